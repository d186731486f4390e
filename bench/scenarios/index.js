/**
 * The scenarios `bench/run.js` runs, in order. To add one, write a module exporting a scenario (see
 * the header of harness.js) and list it here. A scenario that measures something other than message
 * rates (e.g. `streaming`, which counts API calls) brings its own `run({ quick, log })`, returning
 * `{ name, contestants: [{ name, ok, error? }], table }`.
 */
import dispatch from './dispatch.js';
import flood from './flood.js';
import flood1m from './flood-1m.js';
import redis from './redis.js';
import shutdown from './shutdown.js';
import streaming from './streaming.js';
import throughput from './throughput.js';

export const scenarios = [
  throughput,
  flood,
  flood1m,
  shutdown,
  streaming,
  dispatch,
  redis,
];
