/** `vgrad synth`: the whole synthesis with progress, checkpoints, resume and pictures. */
import { existsSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import {
  createEsPool, defaultConfig, defaultCycles, reportMarkdown, renderNetworkSvg, renderTrainingSvg,
  startSynthesis, synthesize, writeFileAtomic, type NetworkMatrix, type SynthConfig, type SynthState,
} from "../synth/index.js";
import { layeredNetwork } from "../dmm/index.js";
import { toJSON } from "../vvalue/json.js";
import { collect, intArg } from "./args.js";
import { UsageError } from "./errors.js";

interface SynthOptions {
  out: string;
  resume?: boolean;
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

/** The config for a fresh run from the command line options. */
function configFrom(o: SynthOptions): SynthConfig {
  const texts = o.text ?? ["test string."];
  const overrides: Partial<SynthConfig> = o.config === undefined ? {} : readConfigFile(o.config);
  if (o.text !== undefined || overrides.samples === undefined) {
    overrides.samples = texts.map((text) => ({ text, cycles: o.cycles ?? defaultCycles(text) }));
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

/** Schedule settings from a JSON file (any field of SynthConfig; see docs/synthesis.md). */
function readConfigFile(file: string): Partial<SynthConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot read --config ${file}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`--config ${file} must hold a JSON object of settings`);
  }
  const known = new Set(Object.keys(defaultConfig()));
  for (const k of Object.keys(parsed)) {
    if (!known.has(k)) throw new UsageError(`--config ${file}: unknown setting "${k}"; known: ${[...known].join(", ")}`);
  }
  return parsed as Partial<SynthConfig>;
}

/** Creates the output folder and proves it is writable, or says why not. */
function prepareOut(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, ".vgrad-write-test");
    writeFileAtomic(probe, "ok\n");
    unlinkSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot write to --out ${dir}: ${err.code ?? err.message}`);
  }
}

function loadCheckpoint(dir: string): SynthState {
  const file = join(dir, CHECKPOINT);
  if (!existsSync(file)) throw new UsageError(`nothing to resume: ${file} does not exist`);
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as SynthState;
    if (state.version !== 1 || typeof state.phase !== "string") throw new Error("not a vgrad synthesis checkpoint");
    return state;
  } catch (e) {
    throw new UsageError(`cannot resume from ${file}: ${(e as Error).message}`);
  }
}

/** Progress: a bar on a terminal, a line per stage and every 100 steps otherwise. */
function progress(quiet: boolean) {
  if (quiet) return { step() {}, stage() {}, stop() {} };
  const tty = process.stderr.isTTY === true;
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const phaseTotal = (s: SynthState) =>
    s.phase === "base" ? s.config.baseSteps : s.phase === "stage" ? s.config.stageSteps : s.config.finalSteps;
  const phaseName = (s: SynthState) => (s.phase === "base" ? "base" : s.phase === "stage" ? `stage ${s.stage}` : "polish");
  let bar: cliProgress.SingleBar | null = null;
  if (tty) {
    bar = new cliProgress.SingleBar(
      {
        format: "{phase} [{bar}] {value}/{total} | prereg {prereg} | weights {weights} | {elapsed}",
        stream: process.stderr, hideCursor: true, clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, { phase: "", prereg: "", weights: "", elapsed: "" });
  }
  return {
    step(s: SynthState, prereg: number, weights: number) {
      const payload = { phase: phaseName(s), prereg: prereg.toPrecision(4), weights, elapsed: elapsed() };
      if (bar) {
        bar.setTotal(phaseTotal(s));
        bar.update(s.stepInPhase, payload);
      } else if (s.stepInPhase % 100 === 0) {
        process.stderr.write(`${payload.phase} step ${s.stepInPhase}/${phaseTotal(s)} prereg ${payload.prereg} weights ${weights} (${payload.elapsed})\n`);
      }
    },
    stage(line: string) {
      if (bar) bar.stop();
      process.stderr.write(`${line} (${elapsed()})\n`);
      if (bar) bar.start(1, 0, { phase: "", prereg: "", weights: "", elapsed: "" });
    },
    stop() {
      bar?.stop();
    },
  };
}

/** Writes network.json, report.md and the two pictures, each atomically. */
async function writeOutputs(dir: string, state: SynthState, command: string, seconds: number): Promise<void> {
  const soft = state.accepted.soft;
  writeFileAtomic(join(dir, "network.json"), `${toJSON(soft, { space: 1 })}\n`);
  writeFileAtomic(join(dir, "report.md"), reportMarkdown(state, { command, totalSeconds: seconds }));
  const hard = layeredNetwork(state.config.network).network.hard;
  writeFileAtomic(
    join(dir, "network.svg"),
    await renderNetworkSvg(soft as NetworkMatrix, { hard: hard as NetworkMatrix, title: `Synthesized network (${state.accepted.weights} soft weights)` }),
  );
  writeFileAtomic(join(dir, "training.svg"), await renderTrainingSvg(state.history, { title: "Loss and size over training steps" }));
}

/** Adds `vgrad synth` to the program. */
export function addSynthCommand(program: Command): void {
  program
    .command("synth")
    .description("synthesize a compact duplicate detector by sparsifying training (checkpointed, resumable)")
    .option("--out <dir>", "output folder", "synth-out")
    .option("--resume", "continue the run whose checkpoint is in --out")
    .option("--seed <n>", "random seed", intArg(-(2 ** 31)))
    .addOption(new Option("--method <m>", "gradient estimator").choices(["gradient", "es"]))
    .option("--target-weights <n>", "stop pruning at this many soft weights", intArg(1))
    .option("--text <s>", "a training text (repeatable; default \"test string.\")", collect)
    .option("--cycles <n>", "cycles per text (default 10 per character + 20)", intArg(1))
    .option("--compat-2022", "cut gradients at accumulator memory, as the 2022 runs did")
    .option("--layers <n>", "hidden layers of the starting network", intArg(1))
    .option("--per-type <n>", "neurons of each type per layer", intArg(1))
    .option("--base-steps <n>", "base training steps", intArg(0))
    .option("--stage-steps <n>", "retraining steps per stage", intArg(1))
    .option("--final-steps <n>", "polishing steps", intArg(0))
    .option("--pairs <n>", "ES: antithetic pairs per step", intArg(1))
    .option("--workers <n>", "ES: worker threads (0 = main thread)", intArg(0))
    .option("--config <file>", "schedule settings as JSON (any field of SynthConfig)")
    .option("--quiet", "no progress output")
    .action(async (o: SynthOptions, cmd: Command) => {
      const dir = resolve(o.out);
      let state: SynthState;
      if (o.resume) {
        const given = Object.keys(o).filter((k) => !["out", "resume", "quiet"].includes(k) && cmd.getOptionValueSource(k) === "cli");
        if (given.length > 0) throw new UsageError(`--resume continues with the checkpoint's settings; drop --${given.map(kebab).join(", --")}`);
        state = loadCheckpoint(dir);
      } else {
        state = startSynthesis(configFrom(o));
      }
      prepareOut(dir);
      const command = `vgrad ${process.argv.slice(2).join(" ")}`;
      const bar = progress(!!o.quiet);
      let stop = false;
      const onSignal = () => {
        stop = true;
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const pool = state.config.method === "es" ? await createEsPool(state.config.es.workers) : null;
      try {
        state = await synthesize(state, {
          pool: pool ?? undefined,
          shouldStop: () => stop,
          onStep: (s, e) => bar.step(s, e.prereg, e.weights),
          onStage: (s, r) =>
            bar.stage(
              r === null
                ? `base training done: prereg ${s.accepted.prereg.toPrecision(4)}, ${s.accepted.weights} weights`
                : `stage ${r.stage}: ${r.weightsBefore} → ${r.weightsAfter} weights, prereg ${r.preregAfter.toPrecision(4)}, ${r.accepted ? "accepted" : "backed off"}`,
            ),
          onCheckpoint: (s) => writeFileAtomic(join(dir, CHECKPOINT), JSON.stringify(s)),
        });
      } finally {
        bar.stop();
        await pool?.close();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (state.phase !== "done") {
        process.stderr.write(`vgrad: interrupted; continue with: vgrad synth --out ${o.out} --resume\n`);
        process.exitCode = 130;
        return;
      }
      writeFileAtomic(join(dir, CHECKPOINT), JSON.stringify(state));
      const seconds = state.baseSeconds + state.stages.reduce((a, r) => a + r.seconds, 0) + state.finalSeconds;
      await writeOutputs(dir, state, command, seconds);
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

