import { sleep } from '../../bus/sleep.js';
import type { TransportCommands } from './transport-commands.js';

const FIRST_WAIT_MS = 2;
const LONGEST_WAIT_MS = 100;

/**
 * Publishes into a partition stream with real backpressure: while the stream's backlog is at `capacity`,
 * the publisher waits (backing off from 2 ms to 100 ms) and tries again, until the entry is admitted or
 * `signal` aborts, which rejects with its reason and adds nothing. Resolves with the entry id.
 */
export async function admit(commands: TransportCommands, stream: string, capacity: number, fields: readonly string[], signal?: AbortSignal): Promise<string> {
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(LONGEST_WAIT_MS, wait * 2)) {
    signal?.throwIfAborted();
    const id = await commands.admit(stream, capacity, fields);
    if (id !== undefined) return id;
    await sleep(wait, signal);
  }
}
