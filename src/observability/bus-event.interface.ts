import type { PublishRejection } from '../bus/bus-observer.interface.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { UndeliveredReason } from '../bus/undelivered.interface.js';
import type { CloseReport } from '../bus/close-report.interface.js';

/** What every event about a message carries. */
interface MessageEventBase {
  /** When it happened (`Date.now()`). */
  readonly timestamp: number;
  readonly lane: LaneName;
  /** The message's channel and chat; `undefined` when they cannot be read. */
  readonly channel: string | undefined;
  readonly chatId: string | undefined;
}

/** A lane accepted a message (it is buffered, or already handed to a handler). */
export interface PublishedEvent extends MessageEventBase {
  readonly type: 'published';
  readonly message: unknown;
}

/** A publish was refused and nothing was enqueued. */
export interface PublishRejectedEvent extends MessageEventBase {
  readonly type: 'publish-rejected';
  readonly reason: PublishRejection;
  /** What the publish rejected with. */
  readonly error: unknown;
  readonly message: unknown;
}

/** What every event about one handler call carries. */
interface CallEventBase extends MessageEventBase {
  /** The handler, as `Class.method`. */
  readonly handler: string;
  /** The call's ordering key; `undefined` with `orderBy: 'none'`. */
  readonly key: string | undefined;
  /** 1 for the first call, 2 for the first retry, ... */
  readonly attempt: number;
  /** The message the handler was given (the newest of the call). */
  readonly message: unknown;
  /** Every message of the call, oldest first (more than one under `onBusy: 'collect'` or `'interrupt'`). */
  readonly messages: readonly unknown[];
  /** How long the call ran. */
  readonly durationMs: number;
}

/** A handler call succeeded: its messages are handled by this handler. */
export interface DeliveredEvent extends CallEventBase {
  readonly type: 'delivered';
  /** How long the oldest message of the call waited between its lane accepting it and this call starting. */
  readonly waitedMs: number;
}

/** A handler call threw or rejected (or a guard, pipe or interceptor refused the message). */
export interface HandlerFailedEvent extends CallEventBase {
  readonly type: 'handler-failed';
  readonly error: unknown;
  /** Whether the messages will be tried again; if not, an `undelivered` event follows. */
  readonly willRetry: boolean;
}

/** A handler call ran past its `timeoutMs`: its signal was aborted and its key released. */
export interface HandlerTimeoutEvent extends CallEventBase {
  readonly type: 'handler-timeout';
  /** A `HandlerTimeoutError`. */
  readonly error: unknown;
  readonly willRetry: boolean;
}

/** Under `onBusy: 'interrupt'`, a newer message aborted the call; its messages go to the next call. */
export interface SupersededEvent extends CallEventBase {
  readonly type: 'superseded';
  /** A `SupersededError`, also the reason of the call's aborted signal. */
  readonly error: unknown;
}

/** An accepted message was handed to `onUndelivered` (one event per report). */
export interface UndeliveredEvent extends MessageEventBase {
  readonly type: 'undelivered';
  readonly reason: UndeliveredReason;
  /** The handler that gave up on it, when one did. */
  readonly handler: string | undefined;
  readonly error: unknown;
  readonly message: unknown;
}

/** `close()` began: the lanes refuse new messages and drain. */
export interface CloseStartedEvent {
  readonly type: 'close-started';
  readonly timestamp: number;
  /** How long the drain may take. */
  readonly timeoutMs: number;
}

/** `close()` finished. */
export interface CloseCompletedEvent {
  readonly type: 'close-completed';
  readonly timestamp: number;
  readonly report: CloseReport;
}

/** Everything `bus.events$` emits, told apart by `type`. */
export type BusEvent =
  | PublishedEvent
  | PublishRejectedEvent
  | DeliveredEvent
  | HandlerFailedEvent
  | HandlerTimeoutEvent
  | SupersededEvent
  | UndeliveredEvent
  | CloseStartedEvent
  | CloseCompletedEvent;

/** The `type` of every bus event. */
export type BusEventType = BusEvent['type'];
