/** A method the bus calls for the messages of one lane. */
export interface BusHandler<T> {
  /** `Class.method`, for logs. */
  readonly name: string;
  /** Only messages of these channels; `undefined` means every channel. */
  readonly channels: ReadonlySet<string> | undefined;
  /** Calls the method. May return a promise; the lane waits for it before the next message. */
  readonly invoke: (message: T) => unknown;
}
