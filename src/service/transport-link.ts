import type { Logger } from '@nestjs/common';
import type { LaneCallOptions } from '../bus/lane.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { BusTransport, LocalLane } from '../transport/bus-transport.interface.js';

/** What publishing through a transport asks of the local lane. */
interface RefusingLane {
  readonly name: LaneName;
  refusal(message: never, options?: LaneCallOptions): unknown;
}

/**
 * The bus's side of a transport: publishes go to it (checked as a lane checks them), the dispatchers tell it
 * when they are done with a message, and it is stopped and closed around the drain.
 */
export class TransportLink {
  constructor(
    private readonly transport: BusTransport,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes through the transport what the local lane would accept: refused as the lane refuses (a bad
   * message or signal, and once the lane is closed, which for the outbound lanes comes after the inbound
   * handlers finished, so their replies are still accepted while the bus drains).
   */
  publish(lane: RefusingLane, message: unknown, options: LaneCallOptions | undefined): Promise<void> {
    const refusal = lane.refusal(message as never, options);
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.transport.publish(lane.name, message, options?.signal);
  }

  /** Starts the transport feeding the lanes that have a dispatcher, which report back what they finished. */
  start(dispatchers: ReadonlyMap<LaneName, { onFinished: ((message: never, acknowledge: boolean) => void) | undefined }>, lane: (name: LaneName) => LocalLane, capacity: Readonly<Record<LaneName, number>>): Promise<void> {
    const lanes: Partial<Record<LaneName, LocalLane>> = {};
    for (const [name, dispatcher] of dispatchers) {
      lanes[name] = lane(name);
      dispatcher.onFinished = (message, acknowledge) => this.transport.finished(name, message, acknowledge);
    }
    return this.transport.start({ lanes, capacity, warn: (message) => this.logger.warn(message) });
  }

  /**
   * Wraps a handler so that it does not start on a message whose partition may have moved to another
   * instance (this one paused past its lease): the other instance delivers it again, so it is left alone
   * here, with a warning. Only when the transport can tell.
   */
  guard<F extends (message: never, context: never) => unknown>(lane: LaneName, handler: string, invoke: F): F {
    const transport = this.transport;
    if (transport.mayHandle === undefined) return invoke;
    return ((message: never, context: never) => {
      if (transport.mayHandle?.(lane, message) !== false) return invoke(message, context);
      this.logger.warn(`${handler}: not started on a ${lane} message whose partition may have moved to another instance (it will be delivered there)`);
      return undefined;
    }) as F;
  }

  stopReceiving(): Promise<void> {
    return this.transport.stopReceiving();
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
