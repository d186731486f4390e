/**
 * The bus was asked to wait for work that nothing will do: handlers are found and started when the app
 * initialises (`app.init()`, or `app.listen()`), and this app never did.
 */
export class BusNotStartedError extends Error {
  override readonly name = 'BusNotStartedError';

  constructor() {
    super('The message bus has not started: its handlers start when the app initialises. Call `await app.init()` after `compile()` in tests.');
  }
}
