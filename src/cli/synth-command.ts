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
  NonFiniteError,
  parseConfigOverrides,
  removeStaleTempFiles,
  renderNetworkSvg,
  renderTrainingSvg,
  reportMarkdown,
  startSynthesis,
  synthesize,
  writeFileAtomic,
  type NetworkMatrix,
  type SynthConfig,
  type SynthState,
} from "../synth/index.js";
import { layeredNetwork } from "../dmm/index.js";
import { toJSON } from "../vvalue/json.js";
import { collect, intArg } from "./args.js";
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
}

const CHECKPOINT = "checkpoint.json";
const OUTPUTS = [CHECKPOINT, "network.json", "report.md", "network.svg", "training.svg"];

/** The config for a fresh run from the command line options (they override --config). */
function configFrom(o: SynthOptions): SynthConfig {
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
  if (o.workers !== undefined) es.workers = o.workers;
  try {
    return defaultConfig({ ...overrides, network: network as SynthConfig["network"], es: es as SynthConfig["es"] });
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
    };
    if (doc.phase === "done") return;
    if (typeof doc.totalSteps === "number") what = `an unfinished run (${CHECKPOINT} at step ${doc.totalSteps})`;
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

/** Writes network.json, report.md and the two pictures, each atomically. */
async function writeOutputs(dir: string, state: SynthState, commandLine: string, seconds: number): Promise<void> {
  const soft = state.accepted.soft;
  writeFileAtomic(join(dir, "network.json"), `${toJSON(soft, { space: 1 })}\n`);
  writeFileAtomic(join(dir, "report.md"), reportMarkdown(state, { command: commandLine, totalSeconds: seconds }));
  const hard = layeredNetwork(state.config.network).network.hard;
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
    .option("--workers <n>", "ES: worker threads (0 = main thread)", intArg(0, LIMITS.workers))
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
        const given = Object.keys(o).filter(
          (k) => !["out", "resume", "quiet", "jit"].includes(k) && cmd.getOptionValueSource(k) === "cli",
        );
        if (given.length > 0)
          throw new UsageError(
            `--resume continues with the checkpoint's settings; drop --${given.map(kebab).join(", --")}`,
          );
        state = loadCheckpoint(dir);
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
            onStage: (s, r) =>
              bar.stage(
                s,
                r === null
                  ? `${s.config.baseSteps > 0 ? "base training done" : "starting network (no base training)"}: prereg ${s.accepted.prereg.toPrecision(4)}, ${s.accepted.weights} weights`
                  : `stage ${r.stage}: ${r.weightsBefore} → ${r.weightsAfter} weights, prereg ${r.preregAfter.toPrecision(4)}, ${r.accepted ? "accepted" : "backed off"}`,
              ),
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

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace("compat2022", "compat-2022");
}
