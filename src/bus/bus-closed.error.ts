/** Rejects a publish on a closed lane, and publishers still waiting when their lane closes. */
export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';

  constructor() {
    super('message bus closed');
  }
}
