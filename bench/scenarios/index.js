/**
 * The scenarios `bench/run.js` runs, in order. To add one, write a module exporting a scenario (see
 * the header of harness.js) and list it here.
 */
import flood from './flood.js';
import shutdown from './shutdown.js';
import throughput from './throughput.js';

export const scenarios = [
  throughput,
  flood,
  shutdown,
  // ---------------------------------------------------------------------------------------------
  // Streaming scenario (ThrottledStreamer) goes here: bench/scenarios/streaming.js, listed as
  // `streaming`. Not written yet.
  // ---------------------------------------------------------------------------------------------
];
