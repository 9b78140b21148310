/**
 * A thin layer over benchmark.js: one Suite per workload, medians from the raw samples,
 * progress on stderr (stdout is kept for the result tables).
 */
import Benchmark from "benchmark";
import { median, timeStats } from "../src/testing/sampling.js";
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

export { median };

/**
 * Statistics of per-call times (ms) computed as benchmark.js computes them (mean, and the
 * relative margin of error of the mean at 95 %), plus the median: for samples that did not
 * come from one benchmark.js run (pooled rounds, another language's timer).
 */
export function statsOf(name: string, samplesMs: readonly number[]): Measurement {
  const t = timeStats(samplesMs);
  return { name, meanMs: t.meanMs, medianMs: t.medianMs, rmePct: t.rmePct, samples: t.samples };
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
    suite.add(
      c.name,
      () => {
        sink = fn();
      },
      { minSamples: settings.minSamples, maxTime: settings.maxTime },
    );
  }
  suite.on("cycle", (event: Benchmark.Event) => {
    const b = event.target as unknown as Benchmark;
    if (b.error === undefined) {
      const med = median(b.stats.sample) * 1e3;
      process.stderr.write(
        `  ${title} / ${b.name}: median ${med.toPrecision(4)} ms, ±${b.stats.rme.toFixed(1)}%, ${b.stats.sample.length} samples\n`,
      );
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
