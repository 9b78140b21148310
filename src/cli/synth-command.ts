/** `vgrad synth`: the whole synthesis with progress, checkpoints, resume and pictures. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Command, Option } from "commander";
import {
  checkWritableFile,
  createEsPool,
  decodeCheckpoint,
  defaultConfig,
  defaultCycles,
  encodeCheckpoint,
  LIMITS,
  makeDirectory,
  networkFor,
  NonFiniteError,
  parseConfigOverrides,
  removeStaleTempFiles,
  renderNetworkSvg,
  renderTrainingSvg,
  reportMarkdown,
  startSynthesis,
  synthesize,
  writeFileAtomic,
  bestSeed,
  defaultSeedWorkers,
  encodeSeedsManifest,
  isSeedsManifest,
  priorFreeConfig,
  readSeedsManifest,
  runSeeds,
  sameConfig,
  seedFolder,
  seedList,
  seedsMarkdown,
  SEEDS_LIMIT,
  type NetworkMatrix,
  type SeedResult,
  type SeedsManifest,
  type SynthConfig,
  type SynthState,
} from "../synth/index.js";
import { toJSON } from "../vvalue/json.js";
import { collect, intArg } from "./args.js";
import { seedsProgress, stageLine } from "./seeds-progress.js";
import { EXIT, fsReason, UsageError } from "./errors.js";
import { synthProgress } from "./progress.js";

interface SynthOptions {
  out: string;
  resume?: boolean;
  jit: boolean;
  force?: boolean;
  seed?: number;
  method?: "gradient" | "es";
  targetWeights?: number;
  text?: string[];
  cycles?: number;
  compat2022?: boolean;
  layers?: number;
  perType?: number;
  baseSteps?: number;
  stageSteps?: number;
  finalSteps?: number;
  pairs?: number;
  workers?: number;
  quiet?: boolean;
  config?: string;
  seeds?: number;
  priorFree?: boolean;
}

const CHECKPOINT = "checkpoint.json";
const OUTPUTS = [CHECKPOINT, "network.json", "report.md", "network.svg", "training.svg"];

/** The config for a fresh run from the command line options (they override --config). */
function configFrom(o: SynthOptions): SynthConfig {
  if (o.priorFree && o.layers !== undefined)
    throw new UsageError("--layers does not apply to --prior-free (the fully recurrent network has no layers)");
  const overrides: Partial<SynthConfig> = o.config === undefined ? {} : readConfigFile(o.config);
  if (o.text !== undefined || overrides.samples === undefined) {
    const texts = o.text ?? ["test string."];
    overrides.samples = texts.map((text) => {
      const cycles = o.cycles ?? defaultCycles(text);
      if (cycles > LIMITS.cycles) {
        throw new UsageError(
          `a --text of ${Array.from(text).length} characters needs ${cycles} cycles by default (10 per character + 20); at most ${LIMITS.cycles} are allowed: give --cycles`,
        );
      }
      return { text, cycles };
    });
  } else if (o.cycles !== undefined) {
    overrides.samples = overrides.samples.map((s) => ({ text: s.text, cycles: o.cycles! }));
  }
  if (o.seed !== undefined) overrides.seed = o.seed;
  if (o.method !== undefined) overrides.method = o.method;
  if (o.targetWeights !== undefined) overrides.targetWeights = o.targetWeights;
  if (o.compat2022) overrides.compat2022 = true;
  if (o.baseSteps !== undefined) overrides.baseSteps = o.baseSteps;
  if (o.stageSteps !== undefined) overrides.stageSteps = o.stageSteps;
  if (o.finalSteps !== undefined) overrides.finalSteps = o.finalSteps;
  const network: Partial<SynthConfig["network"]> = { ...(overrides.network ?? {}) };
  if (o.layers !== undefined) network.layers = o.layers;
  if (o.perType !== undefined) network.perType = o.perType;
  const es: Partial<SynthConfig["es"]> = { ...(overrides.es ?? {}) };
  if (o.pairs !== undefined) es.pairs = o.pairs;
  // with --seeds, --workers counts the threads running seeds (each seed's ES runs in its thread)
  if (o.workers !== undefined && o.seeds === undefined) es.workers = o.workers;
  try {
    const make = o.priorFree ? priorFreeConfig : defaultConfig;
    return make({ ...overrides, network: network as SynthConfig["network"], es: es as SynthConfig["es"] });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Schedule settings from a JSON file (any fields of SynthConfig, each checked; see docs/synthesis.md). */
function readConfigFile(file: string): Partial<SynthConfig> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --config ${file}: ${fsReason(e)}`);
  }
  try {
    return parseConfigOverrides(text, `--config ${file}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Creates the output folder (failing fast where it cannot be made), removes temporary
 * files an interrupted earlier run left there, and checks that every output can be
 * written, all before any work.
 */
function prepareOut(dir: string): void {
  try {
    makeDirectory(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(
      `cannot create the folder --out ${dir}: ${err.errno === undefined ? err.message : fsReason(err)}`,
    );
  }
  removeStaleTempFiles(dir);
  for (const name of OUTPUTS) {
    try {
      checkWritableFile(join(dir, name));
    } catch (e) {
      throw new UsageError(`cannot write to --out ${dir}: ${(e as Error).message}`);
    }
  }
}

function loadCheckpoint(dir: string): SynthState {
  const file = join(dir, CHECKPOINT);
  if (!existsSync(file)) throw new UsageError(`nothing to resume: ${file} does not exist`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot resume from ${file}: ${fsReason(e)}`);
  }
  try {
    return decodeCheckpoint(text);
  } catch (e) {
    throw new UsageError(`cannot resume from ${file}: ${(e as Error).message}`);
  }
}

/**
 * Refuses to start a fresh run over an unfinished one (it would overwrite its
 * checkpoint): the user continues it with --resume or discards it with --force.
 */
function refuseUnfinished(dir: string, out: string): void {
  const file = join(dir, CHECKPOINT);
  if (!existsSync(file)) return;
  let what = "an unfinished run";
  try {
    const doc = JSON.parse(readFileSync(file, "utf8").replace(/^\uFEFF/, "")) as {
      phase?: unknown;
      totalSteps?: unknown;
      kind?: unknown;
      seeds?: unknown;
    };
    if (doc.phase === "done") return;
    if (typeof doc.totalSteps === "number") what = `an unfinished run (${CHECKPOINT} at step ${doc.totalSteps})`;
    if (doc.kind === "seeds" && Array.isArray(doc.seeds)) what = `an unfinished run of ${doc.seeds.length} seeds`;
  } catch {
    what = `a ${CHECKPOINT} that cannot be read`;
  }
  throw new UsageError(
    `${out} holds ${what}; continue it with: ${command(["synth", "--out", hintPath(dir), "--resume"])} ` +
      `(or start over with --force, which overwrites it)`,
  );
}

/**
 * How to run vgrad again from where the user is: `vgrad` where it is on the PATH (a
 * global install); `npx vgrad` under npm (`npm run synth`, npx), from a clone's sources
 * or from a project's own node_modules.
 *
 * @example
 * launcher({ npm_command: "run-script" }); // "npx vgrad" (under `npm run synth`)
 */
export function launcher(
  env: NodeJS.ProcessEnv = process.env,
  script = process.argv[1] ?? "",
  cwd = process.cwd(),
): string {
  if (env["npm_command"] === "exec" || env["npm_command"] === "run-script") return "npx vgrad";
  if (/[\\/]src[\\/]cli[\\/]main\.[cm]?[jt]s$/.test(script)) return "npx vgrad";
  for (let d = resolve(cwd); ; d = dirname(d)) {
    if (script.startsWith(join(d, "node_modules") + sep) || script === join(d, "bin", "vgrad.js")) return "npx vgrad";
    if (dirname(d) === d) return "vgrad";
  }
}

/** A command line for the user to type, with arguments quoted for the shell where needed. */
function command(args: string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return `${launcher()} ${args.map(quote).join(" ")}`;
}

/**
 * The output folder as the user can type it: relative to where they are (`npm run`
 * runs in the package folder, INIT_CWD is where the user typed it), else absolute.
 */
function hintPath(dir: string): string {
  const rel = relative(process.env["INIT_CWD"] ?? process.cwd(), dir);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? dir : rel;
}

/**
 * Writes network.json, report.md and the two pictures, each atomically. A run of
 * seeds gives the best seed's state and its section on every seed, which goes before
 * the report's first section.
 */
async function writeOutputs(
  dir: string,
  state: SynthState,
  commandLine: string,
  seconds: number,
  seedsSection?: string,
): Promise<void> {
  const soft = state.accepted.soft;
  writeFileAtomic(join(dir, "network.json"), `${toJSON(soft, { space: 1 })}\n`);
  let report = reportMarkdown(state, { command: commandLine, totalSeconds: seconds });
  if (seedsSection !== undefined) {
    const at = report.indexOf("\n## ");
    report =
      at < 0 ? `${report}\n${seedsSection}` : `${report.slice(0, at + 1)}${seedsSection}\n${report.slice(at + 1)}`;
  }
  writeFileAtomic(join(dir, "report.md"), report);
  const hard = networkFor(state.config).network.hard;
  writeFileAtomic(
    join(dir, "network.svg"),
    await renderNetworkSvg(soft as NetworkMatrix, {
      hard: hard as NetworkMatrix,
      title: `Synthesized network (${state.accepted.weights} soft weights)`,
    }),
  );
  writeFileAtomic(
    join(dir, "training.svg"),
    await renderTrainingSvg(state.history, { title: "Loss and size over training steps" }),
  );
}

/** Adds `vgrad synth` to the program. */
export function addSynthCommand(program: Command): void {
  program
    .command("synth")
    .description("synthesize a compact duplicate detector by sparsifying training (checkpointed, resumable)")
    .option("--out <dir>", "output folder", "synth-out")
    .option("--resume", "continue the run whose checkpoint is in --out")
    .option("--force", "start a fresh run even where --out holds an unfinished one (overwriting its checkpoint)")
    .option("--seed <n>", "random seed", intArg(-(2 ** 31)))
    .addOption(new Option("--method <m>", "gradient estimator").choices(["gradient", "es"]))
    .option("--target-weights <n>", "stop pruning at this many soft weights", intArg(1))
    .option("--text <s>", 'a training text (repeatable; default "test string.")', collect)
    .option(
      "--cycles <n>",
      `cycles per text (default 10 per character + 20; at most ${LIMITS.cycles})`,
      intArg(1, LIMITS.cycles),
    )
    .option("--compat-2022", "cut gradients at accumulator memory, as the 2022 runs did")
    .option(
      "--layers <n>",
      `hidden layers of the starting network (at most ${LIMITS.layers})`,
      intArg(1, LIMITS.layers),
    )
    .option("--per-type <n>", `neurons of each type per layer (at most ${LIMITS.perType})`, intArg(1, LIMITS.perType))
    .option("--base-steps <n>", "base training steps", intArg(0, LIMITS.steps))
    .option("--stage-steps <n>", "retraining steps per stage", intArg(1, LIMITS.steps))
    .option("--final-steps <n>", "polishing steps", intArg(0, LIMITS.steps))
    .option("--pairs <n>", "ES: antithetic pairs per step", intArg(1, LIMITS.pairs))
    .option(
      "--seeds <n>",
      `run n seeds (--seed, --seed + 1, …) on worker threads and keep the best by (size, validation error) (at most ${SEEDS_LIMIT})`,
      intArg(1, SEEDS_LIMIT),
    )
    .option(
      "--workers <n>",
      "worker threads: with --seeds, threads running seeds (default min(n, cores)); else ES pairs (0 = main thread)",
      intArg(0, LIMITS.workers),
    )
    .option("--prior-free", "start from the fully recurrent network (20 306 weights, no prior about its shape)")
    .option("--config <file>", "schedule settings as JSON (any field of SynthConfig)")
    .option("--quiet", "no progress output")
    .option("--no-jit", "differentiate with eager reverse mode instead of compiled (jit) programs")
    .addHelpText(
      "after",
      `\nExit codes: ${EXIT.done} done, ${EXIT.usage} bad input, ${EXIT.nonFinite} the run diverged (the last finite checkpoint is kept), ${EXIT.interrupted} interrupted (continue with --resume).\n`,
    )
    .action(async (o: SynthOptions, cmd: Command) => {
      const dir = resolve(o.out);
      let state: SynthState;
      if (o.resume) {
        const seeds = seedsManifestIn(dir);
        // a run of seeds may continue on another number of threads: its results do not depend on it
        const keep = ["out", "resume", "quiet", "jit", ...(seeds === undefined ? [] : ["workers"])];
        const given = Object.keys(o).filter((k) => !keep.includes(k) && cmd.getOptionValueSource(k) === "cli");
        if (given.length > 0)
          throw new UsageError(
            `--resume continues with the checkpoint's settings; drop --${given.map(kebab).join(", --")}`,
          );
        if (seeds !== undefined) return runSeedsCommand(o, dir, seeds, true);
        state = loadCheckpoint(dir);
      } else if (o.seeds !== undefined) {
        if (o.workers === 0) throw new UsageError("--workers must be at least 1 with --seeds");
        const config = configFrom(o);
        const manifest: SeedsManifest = {
          kind: "seeds",
          version: 1,
          seeds: seedListOrUsage(config.seed, o.seeds),
          config,
          phase: "running",
        };
        if (!o.force) refuseUnfinished(dir, o.out);
        return runSeedsCommand(o, dir, manifest, false);
      } else {
        state = startSynthesis(configFrom(o));
        if (!o.force) refuseUnfinished(dir, o.out);
      }
      prepareOut(dir);
      const checkpoint = (s: SynthState) => writeFileAtomic(join(dir, CHECKPOINT), encodeCheckpoint(s));
      const commandLine = command(process.argv.slice(2));
      let stop = false;
      const onSignal = () => {
        stop = true;
      };
      // from here until the outputs are written, a signal asks the run to stop at the
      // next step: it never kills a write half-way
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        // from the start, this folder holds this run (a later fresh run there must ask)
        if (!o.resume) checkpoint(state);
        const bar = synthProgress(!!o.quiet);
        const pool = state.config.method === "es" ? await createEsPool(state.config.es.workers) : null;
        try {
          state = await synthesize(state, {
            pool: pool ?? undefined,
            jit: o.jit,
            shouldStop: () => stop,
            onStep: (s, e) => bar.step(s, e.prereg, e.weights),
            onStage: (s, r) => bar.stage(s, stageLine(r, s.config.baseSteps, s.accepted.prereg, s.accepted.weights)),
            onCheckpoint: checkpoint,
          });
        } catch (e) {
          if (!(e instanceof NonFiniteError)) throw e;
          // synthesize stops before a non-finite number enters the state: save the last finite one
          checkpoint(state);
          throw new NonFiniteError(
            `${e.message}; ${join(o.out, CHECKPOINT)} keeps the last finite state (step ${state.totalSteps}), from which a resumed run ` +
              `would diverge again: start over with a smaller learning rate or initScale (--config) and --force`,
          );
        } finally {
          bar.stop();
          await pool?.close();
        }
        if (state.phase !== "done") {
          process.stderr.write(
            `vgrad: interrupted at step ${state.totalSteps}; continue with: ${command(["synth", "--out", hintPath(dir), "--resume"])}\n`,
          );
          process.exitCode = EXIT.interrupted;
          return;
        }
        checkpoint(state);
        await writeOutputs(dir, state, commandLine, state.elapsedSeconds);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (!o.quiet) {
        process.stderr.write(
          `done: ${state.accepted.weights} soft weights, prereg ${state.accepted.prereg.toPrecision(4)}; wrote ${join(o.out, "network.json")}, report.md, network.svg, training.svg\n`,
        );
      }
    });
}

/** The manifest in `dir`'s checkpoint.json when it holds a run of seeds. */
function seedsManifestIn(dir: string): SeedsManifest | undefined {
  const file = join(dir, CHECKPOINT);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // loadCheckpoint says why
  }
  if (!isSeedsManifest(text)) return undefined;
  try {
    return readSeedsManifest(text, file);
  } catch (e) {
    throw new UsageError(`cannot resume from ${file}: ${(e as Error).message}`);
  }
}

function seedListOrUsage(first: number, n: number): number[] {
  try {
    return seedList(first, n);
  } catch {
    throw new UsageError(`--seeds ${n} from --seed ${first} leaves the safe integers`);
  }
}

/**
 * `vgrad synth --seeds N` (or --resume of such a run): every seed's run on a worker
 * thread, each in its folder seed-<s>/ with its checkpoint; then the best seed's
 * outputs, with a section on every seed in its report.
 */
async function runSeedsCommand(o: SynthOptions, dir: string, manifest: SeedsManifest, resume: boolean): Promise<void> {
  prepareOut(dir);
  if (resume) {
    // every seed's checkpoint is read (and so checked) here, where a bad one can be named
    for (const seed of manifest.seeds) {
      const file = join(seedFolder(dir, seed), CHECKPOINT);
      const state = loadCheckpoint(seedFolder(dir, seed));
      if (!sameConfig(state.config, { ...manifest.config, seed }))
        throw new UsageError(
          `cannot resume from ${file}: it holds a run of another configuration than ${join(o.out, CHECKPOINT)} names for seed ${seed}`,
        );
    }
  }
  const writeManifest = () => writeFileAtomic(join(dir, CHECKPOINT), encodeSeedsManifest(manifest));
  const commandLine = command(process.argv.slice(2));
  const stop = new SharedArrayBuffer(4);
  const onSignal = () => Atomics.store(new Int32Array(stop), 0, 1);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let results: SeedResult[];
  try {
    if (!resume) writeManifest();
    const bar = seedsProgress(!!o.quiet, manifest.seeds.length, 0);
    try {
      results = await runSeeds({
        dir,
        config: manifest.config,
        seeds: manifest.seeds,
        resume,
        workers: o.workers ?? defaultSeedWorkers(manifest.seeds.length),
        jit: o.jit,
        stop,
        onEvent: (e) => bar.event(e),
        onResult: (r) => bar.result(r),
      });
    } finally {
      bar.stop();
    }
    if (results.some((r) => r.status === "stopped")) {
      const left = results.filter((r) => r.status === "stopped").map((r) => `${r.seed} at step ${r.steps}`);
      process.stderr.write(
        `vgrad: interrupted (seeds ${left.join(", ")}); continue with: ${command(["synth", "--out", hintPath(dir), "--resume"])}\n`,
      );
      process.exitCode = EXIT.interrupted;
      return;
    }
    const best = bestSeed(results);
    if (best === undefined)
      throw new NonFiniteError(
        `every seed diverged (${results.map((r) => `seed ${r.seed}: ${r.message ?? "?"}`).join("; ")})`,
      );
    const state = loadCheckpoint(seedFolder(dir, best.seed));
    await writeOutputs(dir, state, commandLine, state.elapsedSeconds, seedsMarkdown(results));
    manifest.phase = "done";
    writeManifest();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!o.quiet) {
    const best = bestSeed(results)!;
    process.stderr.write(
      `done: the best of ${results.length} seeds is seed ${best.seed}: ${best.weights} soft weights, prereg ${best.prereg.toPrecision(4)}, ` +
        `validation error ${best.validation.toPrecision(4)}; wrote ${join(o.out, "network.json")}, report.md, network.svg, training.svg\n`,
    );
  }
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace("compat2022", "compat-2022");
}
