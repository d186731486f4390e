import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full, synchronous garbage collection, whatever flags the test runner was started with. */
const collect = runInNewContext('gc') as () => void;

/** Heap in use after a full collection, in bytes. */
export async function heapAfterGc(): Promise<number> {
  // Let pending promise jobs and timers release what they hold before collecting.
  await new Promise((resolve) => setImmediate(resolve));
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

export const MB = 1024 * 1024;
