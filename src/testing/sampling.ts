/**
 * Timing by benchmark.js's method, in a few lines: adaptive cycles (a function is
 * repeated until one cycle lasts long enough for the clock), one sample per cycle, and
 * the statistics benchmark.js reports (mean, relative margin of error at 95 %), plus
 * the median. Kept here rather than depending on benchmark.js: its sampling loop and
 * statistics are all vgrad/testing needs, and benchmark.js (unmaintained since 2017,
 * two runtime dependencies) would be one more optional peer for users to install.
 */

/** How long {@link sampleTimes} samples. */
export interface SamplingOptions {
  /** At least this many samples. */
  minSamples: number;
  /** Sampling goes on until this many seconds have passed since its start. */
  maxTime: number;
  /** A cycle repeats the function until it lasts at least this many seconds. */
  minTime: number;
}

/** Statistics of per-call times, in milliseconds. */
export interface TimeStats {
  medianMs: number;
  meanMs: number;
  /** Relative margin of error of the mean at 95 % (Student's t), in percent, as benchmark.js computes it. */
  rmePct: number;
  samples: number;
}

/** benchmark.js's two-tailed 95 % critical values of Student's t for 1–30 degrees of freedom (beyond: 1.96). */
const T_TABLE = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Repetitions per cycle never exceed this: a function the clock cannot see is not repeated forever. */
const MAX_COUNT = 2 ** 30;

let sink: unknown;
/** The last result of a timed call, kept reachable so that the call cannot be optimized away. */
export const lastResult = (): unknown => sink;

/**
 * Per-call times of `fn` in milliseconds, one per cycle. A cycle calls `fn` `count`
 * times in a row; while a cycle is shorter than `minTime`, `count` grows by the calls
 * the missing time would hold at the measured pace (benchmark.js's rule; doubled when
 * the clock saw nothing) and the cycle is not a sample. Sampling stops after the first
 * cycle that leaves at least `minSamples` samples and ends `maxTime` or more after the
 * start. The clock is `performance.now()`.
 */
export function sampleTimes(fn: () => unknown, options: SamplingOptions): number[] {
  const minTimeMs = options.minTime * 1e3;
  const maxTimeMs = options.maxTime * 1e3;
  const samples: number[] = [];
  const start = performance.now();
  let count = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) sink = fn();
    const t1 = performance.now();
    const elapsed = t1 - t0;
    if (elapsed < minTimeMs && count < MAX_COUNT) {
      count = Math.min(
        MAX_COUNT,
        elapsed > 0 ? count + Math.ceil((minTimeMs - elapsed) / (elapsed / count)) : 2 * count,
      );
      continue;
    }
    samples.push(elapsed / count);
    if (samples.length >= options.minSamples && t1 - start >= maxTimeMs) return samples;
  }
}

/** The median of `xs` (NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * Median, mean and relative margin of error of per-call times (ms), computed as
 * benchmark.js computes them: the sample variance (n − 1), the standard error of the
 * mean, and Student's t at 95 % for n − 1 degrees of freedom. One sample has no
 * margin: 0.
 */
export function timeStats(samplesMs: readonly number[]): TimeStats {
  const n = samplesMs.length;
  const mean = samplesMs.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? samplesMs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const critical = T_TABLE[Math.max(n - 1, 1) - 1] ?? 1.96;
  return { medianMs: median(samplesMs), meanMs: mean, rmePct: (sem * critical * 100) / mean || 0, samples: n };
}
