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

/**
 * Runs `cases` in one benchmark.js Suite, in order, synchronously, and returns their
 * statistics in milliseconds per call. Throws if a case throws.
 */
export function measure(title: string, cases: readonly Case[], settings: Settings): Measurement[] {
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
  const out: Measurement[] = [];
  suite.forEach((b: Benchmark) => {
    if (b.error !== undefined) {
      const e = b.error as unknown;
      throw new Error(`${title} / ${b.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    out.push({
      name: b.name ?? "?",
      meanMs: b.stats.mean * 1e3,
      medianMs: median(b.stats.sample) * 1e3,
      rmePct: b.stats.rme,
      samples: b.stats.sample.length,
    });
  });
  return out;
}
