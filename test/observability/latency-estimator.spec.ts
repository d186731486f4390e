import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LatencyEstimator } from '../../src/observability/latency-estimator.js';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

describe('LatencyEstimator', () => {
  it('is null before any duration is recorded', () => {
    expect(new LatencyEstimator(0).quantile(0.5, 0)).toBeNull();
  });

  it('estimates any quantile within 5% of the exact one, from microseconds to minutes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.002, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (durations, q) => {
          const estimator = new LatencyEstimator(0);
          for (const duration of durations) estimator.record(duration, 0);
          const exact = exactQuantile([...durations].sort((a, b) => a - b), q);
          const estimate = estimator.quantile(q, 0) as number;
          expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(0.05);
        },
      ),
    );
  });

  it('forgets durations older than two minutes, and keeps the last minute', () => {
    const estimator = new LatencyEstimator(0);
    estimator.record(1000, 0);
    estimator.record(10, 70_000);
    expect(estimator.quantile(0.99, 70_000)).toBeCloseTo(1000, -2); // both windows count
    expect(estimator.quantile(0.99, 125_000)).toBeCloseTo(10, 0); // the first window is gone
    expect(estimator.quantile(0.99, 250_000)).toBeNull();
  });
});
