import type { Logger } from '@nestjs/common';
import { channel } from 'node:diagnostics_channel';
import { Observable, Subject } from 'rxjs';
import { BUS_EVENTS_CHANNEL } from '../bus.constants.js';
import { describeError } from '../bus/describe.js';
import type { BusEvent } from './bus-event.interface.js';

/**
 * Where bus events go: the `events$` stream and the diagnostics channel. It knows whether anyone listens,
 * so that the bus builds an event only then.
 */
export class EventOutlet {
  private readonly subject = new Subject<BusEvent>();
  private readonly channel = channel(BUS_EVENTS_CHANNEL);
  private subscribers = 0;
  /** Hot: every subscriber, whenever it subscribed, sees the events from then on; none are replayed. */
  readonly events$: Observable<BusEvent>;

  constructor(private readonly logger: Logger) {
    this.events$ = new Observable<BusEvent>((subscriber) => {
      const subscription = this.subject.subscribe(subscriber);
      this.subscribers++;
      return () => {
        subscription.unsubscribe();
        this.subscribers--;
      };
    });
  }

  /** Whether anyone listens, on either side. */
  get emitting(): boolean {
    return this.subscribers > 0 || this.channel.hasSubscribers;
  }

  /**
   * Hands the event to every listener. rxjs reports what a subscriber's `next` throws on its own (to
   * `config.onUnhandledError`), and the diagnostics channel to `uncaughtException`; whatever escapes
   * regardless is logged here, so that no listener can change what the bus does.
   */
  emit(event: BusEvent): void {
    try {
      if (this.subscribers > 0) this.subject.next(event);
      if (this.channel.hasSubscribers) this.channel.publish(event);
    } catch (error) {
      this.logger.error(`A bus event listener threw on a "${event.type}" event`, describeError(error));
    }
  }

  /** Ends `events$` for its subscribers: the bus has closed. */
  complete(): void {
    this.subject.complete();
  }
}
