import type { LaneName } from './messages.interface.js';

/** Why a publish was refused: the lane had closed, its signal aborted, or the message was bad. */
export type PublishRejection = 'closed' | 'aborted' | 'invalid';

/** A handler call as observability sees it. */
export interface ObservedCall {
  readonly lane: LaneName;
  readonly handler: string;
  /** The ordering key; `undefined` with `orderBy: 'none'`. */
  readonly key: string | undefined;
  readonly attempt: number;
  /** The message handed to the handler (the newest). */
  readonly message: unknown;
  /** Every message of the call, oldest first. */
  readonly messages: readonly unknown[];
  /** The same object for every attempt at the same messages (a retry is a new call with the same batch). */
  readonly batch: object;
  /** What the observer remembered of the publish of the oldest and of the newest message ({@link BusObserver.claim}). */
  readonly oldestPublication: unknown;
  readonly newestPublication: unknown;
  /** When the call started (`performance.now()`), set by the observer. */
  startedAt: number;
  /** What the observer keeps with the call while it runs (a span, say). */
  observed: unknown;
}

/** How a handler call ended. */
export type CallOutcome =
  | { readonly type: 'delivered' }
  | { readonly type: 'failed'; readonly error: unknown; readonly willRetry: boolean }
  | { readonly type: 'superseded'; readonly error: unknown }
  | { readonly type: 'abandoned'; readonly error: unknown };

/**
 * The one narrow hook through which the lanes and the dispatcher tell observability what happens. Every
 * call site asks `active` first, so while nobody observes, nothing is measured and nothing is allocated;
 * `wrapsCalls` is fixed at startup, so a bus that does not wrap its calls never looks at `runCall`.
 */
export interface BusObserver {
  /** Whether anyone observes now. */
  readonly active: boolean;
  /**
   * Whether publishes themselves are observed (their outcome, the publisher's context): a subset of
   * `active`, so that timing calls for stats costs a publish nothing.
   */
  readonly watchingPublishes: boolean;
  /** Whether every handler call runs through {@link runCall} (context propagation, tracing). */
  readonly wrapsCalls: boolean;
  /** Runs a publish (`publish` does it) in the publisher's async context, and sees how it ends. */
  observePublish(lane: LaneName, message: unknown, signal: AbortSignal | undefined, publish: () => Promise<void>): Promise<void>;
  /** The same for `tryPublish`. */
  observeTryPublish(lane: LaneName, message: unknown, tryPublish: () => boolean): boolean;
  /** The lane accepted the message (it is buffered or handed over), before it moves on. */
  accepted(lane: LaneName, message: unknown): void;
  /** Whether it remembers publishes that no dispatcher has claimed yet. */
  readonly holding: boolean;
  /** A dispatcher took the message: what the observer remembered of its publish, now the dispatcher's to keep. */
  claim(message: unknown): unknown;
  callStarted(call: ObservedCall): void;
  callEnded(call: ObservedCall, outcome: CallOutcome): void;
  /** Runs `invoke` for the call, in whatever context the observer gives it. */
  runCall<R>(call: ObservedCall, invoke: () => R): R;
}
