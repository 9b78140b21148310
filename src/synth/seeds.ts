/**
 * Several seeds of one synthesis at once (`vgrad synth --seeds N`): each seed is an
 * ordinary run with its own folder and checkpoint, run on a worker thread; the best
 * is the smallest network, ties broken by the validation error.
 *
 * The folder of a run of seeds holds `checkpoint.json` — a manifest naming the seeds
 * and the configuration — and `seed-<s>/checkpoint.json` for every seed s, each the
 * checkpoint of a plain run (`vgrad synth --out DIR/seed-<s> --resume` continues one
 * alone). A seed's result depends on its configuration only, never on how many
 * threads run the seeds or in which order.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { makeDirectory, removeStaleTempFiles, writeFileAtomic } from "./atomic-write.js";
import { encodeCheckpoint } from "./checkpoint.js";
import { readConfig, type SynthConfig } from "./config.js";
import {
  checkKeys,
  encodeNumbers,
  fail,
  parseJson,
  readArray,
  readChoice,
  readInt,
  readObject,
  type ReadContext,
} from "./schema.js";
import { startSynthesis, type StageRecord, type SynthState } from "./synthesize.js";
import { networkFor } from "./topology.js";
import { setError, VALIDATION_SET } from "./validation.js";

/** The most seeds one run takes. */
export const SEEDS_LIMIT = 1000;

/** The manifest of a run of several seeds (the `checkpoint.json` of its folder). */
export interface SeedsManifest {
  kind: "seeds";
  version: 1;
  /** The seeds, in the order they are reported. */
  seeds: number[];
  /** The configuration of every seed's run but for its `seed`. */
  config: SynthConfig;
  /** "done" once every seed has ended and the best's outputs are written. */
  phase: "running" | "done";
}

/** How one seed's run ended, as the report shows it. */
export interface SeedResult {
  seed: number;
  /** "done", "diverged" (a NaN or infinite number stopped it) or "stopped" (interrupted). */
  status: "done" | "diverged" | "stopped";
  /** Soft weights of the accepted network. */
  weights: number;
  /** Its prereg loss on the training texts. */
  prereg: number;
  /** Its mean per-element squared error on the validation set (NaN unless done). */
  validation: number;
  steps: number;
  /** Wall time of the seed's run, across interruptions. */
  seconds: number;
  /** Why it diverged. */
  message?: string;
}

/**
 * The seeds `first`, `first + 1`, …, `first + n − 1`.
 *
 * @example
 * seedList(7, 3); // [7, 8, 9]
 */
export function seedList(first: number, n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 1 || n > SEEDS_LIMIT)
    throw new RangeError(`seedList: n must be a whole number from 1 to ${SEEDS_LIMIT}, got ${n}`);
  const seeds = Array.from({ length: n }, (_, i) => first + i);
  if (!seeds.every(Number.isSafeInteger)) throw new RangeError(`seedList: seeds from ${first} leave the safe integers`);
  return seeds;
}

/**
 * The folder of one seed's run inside the folder of a run of seeds.
 *
 * @example
 * seedFolder("synth-out", 3); // "synth-out/seed-3"
 */
export function seedFolder(dir: string, seed: number): string {
  return join(dir, `seed-${seed}`);
}

/**
 * The result of a seed's run from its state: size, prereg, and for a finished run the
 * validation error `setError(soft, VALIDATION_SET).mean` on the run's network.
 *
 * @example
 * const state = startSynthesis(defaultConfig({ seed: 4 }));
 * seedResult(state, "stopped").validation; // NaN (not measured before the run is done)
 */
export function seedResult(state: SynthState, status: SeedResult["status"], message?: string): SeedResult {
  const done = status === "done";
  return {
    seed: state.config.seed,
    status,
    weights: state.accepted.weights,
    prereg: state.accepted.prereg,
    validation: done ? setError(state.accepted.soft, VALIDATION_SET, networkFor(state.config).network).mean : NaN,
    steps: state.totalSteps,
    seconds: state.elapsedSeconds,
    ...(message === undefined ? {} : { message }),
  };
}

/**
 * The best finished seed: fewest weights, then the smallest validation error, then
 * the smallest prereg, then the first in the list; undefined when none finished.
 *
 * @example
 * const r = (seed: number, weights: number, validation: number): SeedResult =>
 *   ({ seed, status: "done", weights, prereg: 0.01, validation, steps: 10, seconds: 1 });
 * bestSeed([r(1, 20, 0.001), r(2, 19, 0.5), r(3, 19, 0.002)])?.seed; // 3
 */
export function bestSeed(results: readonly SeedResult[]): SeedResult | undefined {
  let best: SeedResult | undefined;
  for (const r of results) {
    if (r.status !== "done") continue;
    if (
      best === undefined ||
      r.weights < best.weights ||
      (r.weights === best.weights &&
        (r.validation < best.validation || (r.validation === best.validation && r.prereg < best.prereg)))
    )
      best = r;
  }
  return best;
}

const num = (x: number, digits = 4): string =>
  Number.isFinite(x) ? (x === 0 ? "0" : x.toPrecision(digits)) : Number.isNaN(x) ? "—" : String(x);

/**
 * The report's section on the seeds: one row per seed (size, prereg, validation
 * error, steps, time), the best marked, and how the best was chosen.
 *
 * @example
 * const r: SeedResult = { seed: 1, status: "done", weights: 19, prereg: 0.001, validation: 0.002, steps: 900, seconds: 41 };
 * seedsMarkdown([r]).includes("| **1** (best) | done | 19 |"); // true
 */
export function seedsMarkdown(results: readonly SeedResult[]): string {
  const best = bestSeed(results);
  const lines = [
    "## Seeds",
    "",
    `${results.length} seeds, each a whole run on a worker thread. The best is the smallest network, ` +
      `ties broken by the mean per-element squared error on the validation set ` +
      `(${VALIDATION_SET.length} samples of other texts and lengths than the default training text); its network is the one shown in this report.`,
    "",
    "| seed | result | soft weights | prereg (training) | validation error | steps | time |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const seed = r === best ? `**${r.seed}** (best)` : String(r.seed);
    const result = r.status === "diverged" ? `diverged: ${r.message ?? "a non-finite number"}` : r.status;
    lines.push(
      `| ${seed} | ${result.replace(/\|/g, "\\|")} | ${r.weights} | ${num(r.prereg)} | ${num(r.validation)} | ${r.steps} | ${r.seconds.toFixed(1)} s |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * Whether two configurations are the same (whatever the order of their keys).
 *
 * @example
 * sameConfig(defaultConfig({ seed: 2 }), defaultConfig({ seed: 2 })); // true
 * sameConfig(defaultConfig({ seed: 2 }), defaultConfig({ seed: 3 })); // false
 */
export function sameConfig(a: SynthConfig, b: SynthConfig): boolean {
  const canonical = (c: SynthConfig) =>
    JSON.stringify(c, (_k, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, (v as Record<string, unknown>)[k]]),
          )
        : v,
    );
  return canonical(a) === canonical(b);
}

/**
 * The manifest's text (numbers kept exact, as in a checkpoint).
 *
 * @example
 * const text = encodeSeedsManifest({ kind: "seeds", version: 1, seeds: [1, 2], config: defaultConfig(), phase: "running" });
 * readSeedsManifest(text).seeds; // [1, 2]
 */
export function encodeSeedsManifest(m: SeedsManifest): string {
  return `${JSON.stringify(m, encodeNumbers)}\n`;
}

/**
 * Reads a manifest, checking every field; throws a SchemaError (one line, naming the
 * field) for anything else.
 *
 * @example
 * readSeedsManifest('{"kind": "seeds"}'); // SchemaError: checkpoint.version is missing
 */
export function readSeedsManifest(text: string, name = "checkpoint"): SeedsManifest {
  const ctx: ReadContext = { name, encoded: true };
  const o = readObject(parseJson(text, name), ctx, []);
  const keys = ["kind", "version", "seeds", "config", "phase"];
  checkKeys(o, keys, keys, ctx, []);
  readChoice(o["kind"], ctx, ["kind"], ["seeds"] as const);
  if (o["version"] !== 1) fail(ctx, ["version"], `is ${JSON.stringify(o["version"])}; this vgrad reads version 1`);
  const raw = readArray(o["seeds"], ctx, ["seeds"], SEEDS_LIMIT);
  if (raw.length === 0) fail(ctx, ["seeds"], "must name at least one seed");
  const seeds = raw.map((s, i) => readInt(s, ctx, ["seeds", i], -Number.MAX_SAFE_INTEGER));
  seeds.forEach((s, i) => {
    if (seeds.indexOf(s) !== i) fail(ctx, ["seeds", i], `repeats the seed ${s}`);
  });
  return {
    kind: "seeds",
    version: 1,
    seeds,
    config: readConfig(o["config"], ctx, ["config"], false),
    phase: readChoice(o["phase"], ctx, ["phase"], ["running", "done"] as const),
  };
}

/**
 * Whether checkpoint text is a manifest of seeds (rather than one run's state).
 *
 * @example
 * isSeedsManifest('{"kind": "seeds", "version": 1}'); // true
 */
export function isSeedsManifest(text: string): boolean {
  try {
    const doc = JSON.parse(text.replace(/^\uFEFF/, "")) as { kind?: unknown } | null;
    return typeof doc === "object" && doc !== null && doc.kind === "seeds";
  } catch {
    return false;
  }
}

/** What the main thread hears from a seed's run while it goes. */
export type SeedEvent =
  | {
      kind: "step";
      seed: number;
      phase: SynthState["phase"];
      stage: number;
      stepInPhase: number;
      phaseSteps: number;
      prereg: number;
      weights: number;
      targetWeights: number;
      elapsedSeconds: number;
    }
  | {
      kind: "stage";
      seed: number;
      /** The stage that ended, or null when base training ended. */
      record: StageRecord | null;
      /** The accepted network after it. */
      prereg: number;
      weights: number;
      baseSteps: number;
      elapsedSeconds: number;
    };

/** One seed's run as a task for a worker thread (plain data and transferables). */
export interface SeedTask {
  config: SynthConfig;
  /** The seed's folder: the run continues from its checkpoint.json and writes it as it goes. */
  dir: string;
  jit: boolean;
  /** Int32Array over it: a non-zero first element asks the run to stop (after a checkpoint). */
  stop: SharedArrayBuffer;
  /** Where progress events go (null: nowhere). */
  port: MessagePort | null;
}

/** Options of {@link runSeeds}. */
export interface RunSeedsOptions {
  /** The folder of the run; seed s runs in `seed-<s>/` inside it. */
  dir: string;
  config: SynthConfig;
  seeds: readonly number[];
  /**
   * Continue each seed from its checkpoint; else every seed starts afresh (its
   * checkpoint is written at once, before any seed runs, so that the folder holds this
   * run only whenever it is stopped).
   */
  resume: boolean;
  /** Worker threads (default min(seeds, cores)). */
  workers?: number;
  jit?: boolean;
  /** Set its first Int32 element to stop every run at its next step, after a checkpoint. */
  stop?: SharedArrayBuffer;
  onEvent?(event: SeedEvent): void;
  /** As each seed's run ends (or stops). */
  onResult?(result: SeedResult): void;
}

/**
 * The worker threads for `seeds` seeds by default: one per seed, at most one per core.
 *
 * @example
 * defaultSeedWorkers(1); // 1
 */
export function defaultSeedWorkers(seeds: number): number {
  return Math.max(1, Math.min(seeds, availableParallelism()));
}

function workerFile(): { filename: string; execArgv: string[] } {
  for (const rel of ["./seed-worker.js", "../seed-worker.js", "./synth/seed-worker.js", "./seed-worker.ts"]) {
    const url = new URL(rel, import.meta.url);
    const path = fileURLToPath(url);
    // a TypeScript worker (running from source) needs tsx's loader in the thread
    if (existsSync(path)) return { filename: url.href, execArgv: path.endsWith(".ts") ? ["--import", "tsx"] : [] };
  }
  throw new Error("vgrad: the seed worker (seed-worker.js) is missing from this installation");
}

/**
 * Runs every seed's synthesis on a pool of worker threads (piscina) and returns their
 * results in the order of `seeds`. Each seed checkpoints into its folder as it goes,
 * so a run stopped through `stop` (or killed) continues with `resume: true`.
 *
 * @example
 * const config = defaultConfig({
 *   network: { layers: 1, perType: 1, types: ["accum", "norm", "dot", "compare"] },
 *   samples: [{ text: "ab.", cycles: 12 }], baseSteps: 10, stageSteps: 3, finalSteps: 2, targetWeights: 8,
 * });
 * const dir = mkdtempSync(join(tmpdir(), "vgrad-seeds-"));
 * const results = await runSeeds({ dir, config, seeds: [1, 2], resume: false, workers: 2 });
 * results.map((r) => r.status); // ["done", "done"]
 */
export async function runSeeds(options: RunSeedsOptions): Promise<SeedResult[]> {
  const { dir, config, seeds } = options;
  const workers = options.workers ?? defaultSeedWorkers(seeds.length);
  const stop = options.stop ?? new SharedArrayBuffer(4);
  if (!options.resume) {
    for (const seed of seeds) {
      const d = seedFolder(dir, seed);
      makeDirectory(d);
      removeStaleTempFiles(d);
      writeFileAtomic(join(d, "checkpoint.json"), encodeCheckpoint(startSynthesis({ ...config, seed })));
    }
  }
  const file = workerFile();
  // the CommonJS build sees piscina's CommonJS export as `default`
  const mod = (await import("piscina")) as unknown as {
    Piscina?: typeof import("piscina").Piscina;
    default?: { Piscina?: typeof import("piscina").Piscina };
  };
  const Piscina = (mod.Piscina ?? mod.default?.Piscina ?? mod.default) as typeof import("piscina").Piscina;
  const pool = new Piscina({
    filename: file.filename,
    minThreads: Math.min(workers, seeds.length),
    maxThreads: Math.min(workers, seeds.length),
    // a seed's run lasts minutes: idle threads are not worth keeping
    idleTimeout: 1000,
    execArgv: file.execArgv,
  });
  const ports: MessagePort[] = [];
  try {
    return await Promise.all(
      seeds.map((seed) => {
        let port: MessagePort | null = null;
        if (options.onEvent !== undefined) {
          const channel = new MessageChannel();
          channel.port1.on("message", (e: SeedEvent) => options.onEvent!(e));
          ports.push(channel.port1);
          port = channel.port2;
        }
        const task: SeedTask = {
          config: { ...config, seed },
          dir: seedFolder(dir, seed),
          jit: options.jit ?? true,
          stop,
          port,
        };
        const run = pool.run(task, port === null ? {} : { transferList: [port] }) as Promise<SeedResult>;
        return run.then((r) => (options.onResult?.(r), r));
      }),
    );
  } finally {
    await pool.destroy();
    for (const p of ports) p.close();
  }
}
