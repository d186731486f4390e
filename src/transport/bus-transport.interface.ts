import type { LaneCallOptions } from '../bus/lane.js';
import type { LaneName } from '../bus/messages.interface.js';

/** A lane of this instance, as a transport feeds it: publishing waits while it is full; closed at the drain. */
export interface LocalLane {
  readonly name: LaneName;
  readonly closed: boolean;
  publish(message: unknown, options?: LaneCallOptions): Promise<void>;
  /** Enqueues at once if there is room: `false` when full; throws as `publish` rejects. */
  tryPublish(message: unknown): boolean;
}

/** What the bus gives a transport when it starts. */
export interface TransportHost {
  /**
   * The in-memory lanes of this instance that have handlers. The transport feeds them with the messages this
   * instance is to handle; the bus's dispatcher consumes them as it does without a transport.
   */
  readonly lanes: Readonly<Partial<Record<LaneName, LocalLane>>>;
  /** Each lane's capacity: how many messages may wait in the transport (per partition) before publishers wait. */
  readonly capacity: Readonly<Record<LaneName, number>>;
  /** Logs what the transport cannot pass on as an error. */
  warn(message: string): void;
}

/**
 * Where the lanes' messages live between publish and handling, when not only in this process's memory: the
 * contract the Redis Streams transport implements. Publishing goes to the transport; the transport feeds
 * the local lanes with what this instance should handle, and acknowledges each message once the dispatcher
 * is done with it, so a message survives the crash of the instance that accepted it (at least once).
 */
export interface BusTransport {
  /** Connects and starts feeding `host.lanes`; rejects with a clear error when the backend is unreachable. */
  start(host: TransportHost): Promise<void>;
  /** Stores the message, waiting while the lane's backlog is at its capacity; rejects with `signal.reason` on abort. */
  publish(lane: LaneName, message: unknown, signal?: AbortSignal): Promise<void>;
  /**
   * The dispatcher is done with a message the transport fed: handled or reported undelivered (`acknowledge`),
   * or abandoned when the drain ran out of time (not acknowledged: another instance will redeliver it).
   */
  finished(lane: LaneName, message: unknown, acknowledge: boolean): void;
  /**
   * Whether this instance may still start a handler call for a message the transport fed: `false` once the
   * message's partition may be held by another instance (the lease lapsed), which will deliver it again. A
   * call refused this way does not run and the message is not acknowledged here.
   */
  mayHandle?(lane: LaneName, message: unknown): boolean;
  /** Stops feeding the local lanes: the first step of the bus's drain. */
  stopReceiving(): Promise<void>;
  /** After the drain: hands this instance's share over to the others and disconnects. */
  close(): Promise<void>;
}
