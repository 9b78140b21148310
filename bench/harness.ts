/**
 * A thin layer over benchmark.js: one Suite per workload, medians from the raw samples,
 * progress on stderr (stdout is kept for the result tables).
 */
import Benchmark from "benchmark";
import type { Measurement } from "./report.js";

/** How long each benchmark runs: benchmark.js's `minSamples` and `maxTime` (seconds). */
export interface Settings {
  minSamples: number;
  maxTime: number;
  quick: boolean;
}

export const QUICK: Settings = { minSamples: 3, maxTime: 0.5, quick: true };
export const FULL: Settings = { minSamples: 10, maxTime: 5, quick: false };

/** One function to time; its result goes to a sink so the JIT cannot drop the call. */
export interface Case {
  name: string;
  fn: () => unknown;
}

let sink: unknown;
/** Keeps the last benchmarked result reachable (a dead-code-elimination guard). */
export const lastResult = (): unknown => sink;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** benchmark.js's two-tailed 95 % critical values of Student's t, by degrees of freedom. */
const T_TABLE = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * Statistics of per-call times (ms) computed as benchmark.js computes them (mean, and the
 * relative margin of error of the mean at 95 %), plus the median: for samples that did not
 * come from one benchmark.js run (pooled rounds, another language's timer).
 */
export function statsOf(name: string, samplesMs: readonly number[]): Measurement {
  const n = samplesMs.length;
  const mean = samplesMs.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? samplesMs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance) / Math.sqrt(n);
  const critical = T_TABLE[Math.max(n - 1, 1) - 1] ?? 1.96;
  return { name, meanMs: mean, medianMs: median(samplesMs), rmePct: (sem * critical / mean) * 100 || 0, samples: n };
}

/** One case's statistics and its raw samples (ms per call, one per timed cycle). */
export interface Sampled {
  measurement: Measurement;
  samplesMs: number[];
}

/**
 * Runs `cases` in one benchmark.js Suite, in order, synchronously, and returns their
 * statistics in milliseconds per call. Throws if a case throws.
 */
export function measure(title: string, cases: readonly Case[], settings: Settings): Measurement[] {
  return measureSampled(title, cases, settings).map((s) => s.measurement);
}

/** {@link measure}, keeping each case's raw samples too (to pool them over rounds). */
export function measureSampled(title: string, cases: readonly Case[], settings: Settings): Sampled[] {
  const suite = new Benchmark.Suite(title);
  for (const c of cases) {
    const fn = c.fn;
    suite.add(c.name, () => { sink = fn(); }, { minSamples: settings.minSamples, maxTime: settings.maxTime });
  }
  suite.on("cycle", (event: Benchmark.Event) => {
    const b = event.target as unknown as Benchmark;
    if (b.error === undefined) {
      const med = median(b.stats.sample) * 1e3;
      process.stderr.write(`  ${title} / ${b.name}: median ${med.toPrecision(4)} ms, ±${b.stats.rme.toFixed(1)}%, ${b.stats.sample.length} samples\n`);
    }
  });
  suite.run({ async: false });
  const out: Sampled[] = [];
  suite.forEach((b: Benchmark) => {
    if (b.error !== undefined) {
      const e = b.error as unknown;
      throw new Error(`${title} / ${b.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    out.push({
      measurement: {
        name: b.name ?? "?",
        meanMs: b.stats.mean * 1e3,
        medianMs: median(b.stats.sample) * 1e3,
        rmePct: b.stats.rme,
        samples: b.stats.sample.length,
      },
      samplesMs: b.stats.sample.map((x) => x * 1e3),
    });
  });
  return out;
}
