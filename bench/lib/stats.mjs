// Timing helpers: warm-up, a fixed number of repetitions, and nearest-rank percentiles.
import { performance } from "node:perf_hooks";

/** Returns the p-th percentile (0..100) of the samples by the nearest-rank method. */
export function percentile(samples, p) {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Returns the median (the mean of the two middle samples for an even count). */
export function median(samples) {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Summarizes samples in milliseconds: count, median, p95, min and max. */
export function summarize(samples) {
  return {
    count: samples.length,
    median_ms: round(median(samples)),
    p95_ms: round(percentile(samples, 95)),
    min_ms: round(Math.min(...samples)),
    max_ms: round(Math.max(...samples)),
  };
}

export function round(value, digits = 3) {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Runs `operation` `warmup` times untimed, then `repetitions` times one after another, and
 * returns the wall-clock milliseconds of each timed call with whatever each call returned.
 */
export async function measure(operation, { warmup, repetitions }) {
  for (let i = 0; i < warmup; i += 1) await operation(i);

  const samples = [];
  const results = [];
  for (let i = 0; i < repetitions; i += 1) {
    const started = performance.now();
    const result = await operation(i);
    samples.push(performance.now() - started);
    results.push(result);
  }
  return { samples, results };
}
