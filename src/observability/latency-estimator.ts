/** Buckets per doubling: neighbouring bucket bounds are 2^(1/8) (about 9%) apart, so a quantile is within about 5%. */
const STEPS_PER_DOUBLING = 8;
/** The smallest duration told apart: one microsecond. */
const MIN_MS = 0.001;
/** From 1 µs to 2^34 µs (about 4.8 hours); longer calls count in the last bucket. */
const BUCKETS = 34 * STEPS_PER_DOUBLING + 1;
/** Quantiles cover the window being filled and the one before it: the last one to two minutes. */
const WINDOW_MS = 60_000;

/**
 * Quantiles of recent durations in fixed memory (two arrays of 273 counters), as a log-scaled histogram
 * in the manner of HdrHistogram: recording is one logarithm and one increment, and no sample is kept.
 */
export class LatencyEstimator {
  private current = new Uint32Array(BUCKETS);
  private previous = new Uint32Array(BUCKETS);
  private windowStart: number;

  constructor(now: number) {
    this.windowStart = now;
  }

  record(durationMs: number, now: number): void {
    this.rotate(now);
    this.current[bucketOf(durationMs)]++;
  }

  /** The `q` quantile (0 < q <= 1) of the recent durations, in ms; `null` when there are none. */
  quantile(q: number, now: number): number | null {
    this.rotate(now);
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += this.current[i] + this.previous[i];
    if (total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.current[i] + this.previous[i];
      if (seen >= rank) return valueOf(i);
    }
    return valueOf(BUCKETS - 1);
  }

  private rotate(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    if (elapsed >= 2 * WINDOW_MS) this.previous.fill(0);
    else [this.previous, this.current] = [this.current, this.previous];
    this.current.fill(0);
    this.windowStart = now - (elapsed % WINDOW_MS);
  }
}

function bucketOf(durationMs: number): number {
  if (!(durationMs > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log2(durationMs / MIN_MS) * STEPS_PER_DOUBLING));
}

/** A bucket's representative value: the geometric middle of its bounds. */
function valueOf(bucket: number): number {
  if (bucket === 0) return MIN_MS;
  return MIN_MS * 2 ** ((bucket - 0.5) / STEPS_PER_DOUBLING);
}
