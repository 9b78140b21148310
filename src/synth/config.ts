/** The synthesis configuration: every knob, with defaults that work (see docs/synthesis.md). */
import type { LayeredConfig, Sample } from "../dmm/index.js";
import type { SaliencyKind } from "./saliency.js";
import {
  checkKeys,
  fail,
  parseJson,
  readArray,
  readBoolean,
  readChoice,
  readFinite,
  readInt,
  readNumber,
  readObject,
  readString,
  type Path,
  type ReadContext,
} from "./schema.js";

/** Options of the OpenAI-ES gradient estimator (SPEC-DMM §7). */
export interface EsConfig {
  /** Antithetic pairs per step. */
  pairs: number;
  /** Noise scale σ. */
  sigma: number;
  /** Weight decay λ₂ added to the ES gradient. */
  l2: number;
  /** Worker threads evaluating pairs (0 = in this thread). */
  workers: number;
}

/** Everything that determines a synthesis run. */
export interface SynthConfig {
  seed: number;
  method: "gradient" | "es";
  /** Training texts and their windows; the loss sums over them. */
  samples: Sample[];
  /** Stop pruning at this many soft weights or fewer. */
  targetWeights: number;
  compat2022: boolean;
  /**
   * The starting network: the layered one of SPEC-DMM §4 (when absent) or the fully
   * recurrent "prior-free" one, which has `network.perType` copies of each of
   * `network.types` and no layers (`network.layers` is not used).
   */
  topology?: "layered" | "fully-recurrent";
  network: Required<LayeredConfig>;
  /** Initial weights are initScale · N(0, 1). */
  initScale: number;
  /** Base training of the full network. */
  baseSteps: number;
  /** Base learning rate decays geometrically from baseLr to baseLrEnd. */
  baseLr: number;
  baseLrEnd: number;
  baseLambda: number;
  /** Retraining after each cut. */
  stageSteps: number;
  stageLr: number;
  /**
   * A fresh Adam's first steps move every weight by about lr (sign-like updates),
   * which these networks feel strongly: after a cut, lr ramps up linearly over this
   * many steps.
   */
  warmupSteps: number;
  /**
   * The most a stage cuts, as a fraction of the remaining weights. Weights go in order
   * of least saliency (see `saliency`); the stage cuts as many as it
   * can while the loss right after the cut stays within the acceptance threshold.
   */
  pruneFraction: number;
  /** λ at the first stage and its ceiling; it grows by lambdaGrowth per accepted stage. */
  lambdaStart: number;
  lambdaEnd: number;
  lambdaGrowth: number;
  /**
   * A stage is accepted when its prereg after retraining is at most
   * max(acceptLoss, jumpFactor × the last accepted prereg); otherwise the cut is
   * undone (back-off) and half as many weights are cut.
   */
  acceptLoss: number;
  jumpFactor: number;
  /** A cut whose loss is within rescueFactor × the threshold is retrained once more before judging. */
  rescueFactor: number;
  /**
   * How far the loss right after a cut (before retraining) may exceed the acceptance
   * threshold when the cut size is chosen: larger cuts, fewer stages, more retraining.
   */
  cutFactor: number;
  /** Pruning stops after this many single-weight cuts in a row fail (each tries the next weight). */
  patience: number;
  /**
   * How weights are ranked for cutting: `"rms"`, |w| × RMS of the source's output;
   * `"obd"`, Optimal Brain Damage, ½·H_ii·w² with the loss's Hessian diagonal, on
   * networks of at most 100 weights (`"rms"` above). See docs/synthesis.md.
   */
  saliency: SaliencyKind;
  /** Polishing at the end, with a small λ. */
  finalSteps: number;
  finalLr: number;
  finalLambda: number;
  /** Write a checkpoint every this many steps (and at every stage boundary). */
  checkpointEvery: number;
  es: EsConfig;
}

/** The default window for a text: 10 cycles per character plus a tail of 20 (140 for "test string."). */
export function defaultCycles(text: string): number {
  return 10 * Array.from(text).length + 20;
}

/**
 * Upper bounds of the settings that set a run's size: beyond them a run would not end
 * in reasonable time or memory (the defaults are far below: 140 cycles, 5 layers × 2,
 * 1500 + 150 per stage + 1000 steps).
 */
export const LIMITS = {
  /** Cycles per training text (and per `vgrad dmm` run). */
  cycles: 10_000,
  /** Hidden layers of the layered network. */
  layers: 16,
  /** Neurons of each type per layer. */
  perType: 8,
  /** Steps of any one phase (and of `vgrad dmm train`). */
  steps: 1_000_000,
  /** Training texts. */
  samples: 100,
  /** ES: antithetic pairs per step. */
  pairs: 10_000,
  /** ES: worker threads. */
  workers: 64,
} as const;

/** The hidden neuron types a layer can hold. */
export const LAYER_TYPES = ["accum", "norm", "dot", "compare"] as const;

/** The defaults; `defaultConfig({ seed: 7 })` overrides any of them. */
export function defaultConfig(overrides: Partial<SynthConfig> = {}): SynthConfig {
  const base: SynthConfig = {
    seed: 1,
    method: "gradient",
    samples: [{ text: "test string.", cycles: 140 }],
    targetWeights: 20,
    compat2022: false,
    network: { layers: 5, perType: 2, types: ["accum", "norm", "dot", "compare"] },
    initScale: 0.01,
    baseSteps: 1500,
    baseLr: 0.003,
    baseLrEnd: 0.003,
    baseLambda: 0.001,
    stageSteps: 150,
    stageLr: 0.003,
    warmupSteps: 10,
    pruneFraction: 0.5,
    lambdaStart: 0.005,
    lambdaEnd: 0.2,
    lambdaGrowth: 1.3,
    acceptLoss: 0.1,
    jumpFactor: 2,
    rescueFactor: 4,
    cutFactor: 20,
    patience: 8,
    saliency: "rms",
    finalSteps: 1000,
    finalLr: 0.002,
    finalLambda: 0.0005,
    checkpointEvery: 25,
    es: { pairs: 32, sigma: 0.02, l2: 0.005, workers: 2 },
  };
  const cfg = {
    ...base,
    ...overrides,
    es: { ...base.es, ...(overrides.es ?? {}) },
    network: { ...base.network, ...(overrides.network ?? {}) },
  };
  validateConfig(cfg);
  return cfg;
}

/**
 * Checks every setting of a complete configuration: its type, its range, and that
 * there is no unknown one. Throws a SchemaError (a RangeError) naming the first bad
 * setting, e.g. `config.network.types[0] must be one of "accum", …, got the string "foo"`.
 *
 * @example
 * validateConfig(defaultConfig()); // ok
 */
export function validateConfig(c: SynthConfig): void {
  readConfig(c, { name: "config", encoded: false }, [], false);
}

/**
 * Reads the settings of a `--config` file: any subset of the fields of
 * {@link SynthConfig} (and of its `network` and `es` sections; a sample's `cycles`
 * defaults to {@link defaultCycles}), each checked. Throws a SchemaError naming the
 * file and the bad field.
 *
 * @example
 * parseConfigOverrides('{"baseSteps": 500, "network": {"layers": 2}}', "cfg.json"); // { baseSteps: 500, network: { layers: 2 } }
 */
export function parseConfigOverrides(text: string, name: string): Partial<SynthConfig> {
  return readConfig(parseJson(text, name), { name, encoded: false }, [], true);
}

const CONFIG_KEYS = Object.keys(defaultConfigShape()) as Array<keyof SynthConfig>;
const REQUIRED_KEYS = CONFIG_KEYS.filter((k) => k !== "saliency" && k !== "topology");

function defaultConfigShape(): Record<keyof SynthConfig, true> {
  return {
    seed: true,
    method: true,
    samples: true,
    targetWeights: true,
    compat2022: true,
    topology: true,
    network: true,
    initScale: true,
    baseSteps: true,
    baseLr: true,
    baseLrEnd: true,
    baseLambda: true,
    stageSteps: true,
    stageLr: true,
    warmupSteps: true,
    pruneFraction: true,
    lambdaStart: true,
    lambdaEnd: true,
    lambdaGrowth: true,
    acceptLoss: true,
    jumpFactor: true,
    rescueFactor: true,
    cutFactor: true,
    patience: true,
    saliency: true,
    finalSteps: true,
    finalLr: true,
    finalLambda: true,
    checkpointEvery: true,
    es: true,
  };
}

/**
 * Reads a configuration (or with `partial`, any subset of one) from parsed JSON,
 * checking every field; used for `--config` files, checkpoints and `defaultConfig`.
 */
export function readConfig(raw: unknown, ctx: ReadContext, path: Path, partial: true): Partial<SynthConfig>;
export function readConfig(raw: unknown, ctx: ReadContext, path: Path, partial: false): SynthConfig;
export function readConfig(raw: unknown, ctx: ReadContext, path: Path, partial: boolean): Partial<SynthConfig>;
export function readConfig(raw: unknown, ctx: ReadContext, path: Path, partial: boolean): Partial<SynthConfig> {
  const o = readObject(raw, ctx, path);
  checkKeys(o, CONFIG_KEYS, partial ? [] : REQUIRED_KEYS, ctx, path);
  const out: Record<string, unknown> = {};
  const p = (k: string): Path => [...path, k];
  const has = (k: string) => Object.hasOwn(o, k);
  const int = (k: keyof SynthConfig, min: number, max?: number) => {
    if (has(k)) out[k] = readInt(o[k], ctx, p(k), min, max);
  };
  const num = (k: keyof SynthConfig, min: number, max = Infinity, minExclusive = false) => {
    if (has(k)) out[k] = readFinite(o[k], ctx, p(k), min, max, minExclusive);
  };
  int("seed", -Number.MAX_SAFE_INTEGER);
  if (has("method")) out["method"] = readChoice(o["method"], ctx, p("method"), ["gradient", "es"] as const);
  if (has("samples")) {
    const arr = readArray(o["samples"], ctx, p("samples"), LIMITS.samples);
    if (arr.length === 0) fail(ctx, p("samples"), "must hold at least one training text");
    out["samples"] = arr.map((x, i) => readSample(x, ctx, [...path, "samples", i], partial));
  }
  int("targetWeights", 1);
  if (has("compat2022")) out["compat2022"] = readBoolean(o["compat2022"], ctx, p("compat2022"));
  if (has("topology"))
    out["topology"] = readChoice(o["topology"], ctx, p("topology"), ["layered", "fully-recurrent"] as const);
  if (has("network")) out["network"] = readNetwork(o["network"], ctx, p("network"), partial);
  num("initScale", 0);
  int("baseSteps", 0, LIMITS.steps);
  // a geometric decay needs a start above 0
  num("baseLr", 0, Infinity, true);
  num("baseLrEnd", 0);
  num("baseLambda", 0);
  int("stageSteps", 1, LIMITS.steps);
  num("stageLr", 0);
  int("warmupSteps", 0, LIMITS.steps);
  num("pruneFraction", 0, 0.9);
  num("lambdaStart", 0);
  num("lambdaEnd", 0);
  num("lambdaGrowth", 1);
  num("acceptLoss", 0);
  num("jumpFactor", 1);
  num("rescueFactor", 1);
  num("cutFactor", 1);
  int("patience", 1, LIMITS.steps);
  // optional in a whole configuration: checkpoints written before it existed used "rms"
  if (has("saliency")) out["saliency"] = readChoice(o["saliency"], ctx, p("saliency"), ["rms", "obd"] as const);
  else if (!partial) out["saliency"] = "rms";
  int("finalSteps", 0, LIMITS.steps);
  num("finalLr", 0);
  num("finalLambda", 0);
  int("checkpointEvery", 1, LIMITS.steps);
  if (has("es")) out["es"] = readEs(o["es"], ctx, p("es"), partial);
  return out as Partial<SynthConfig>;
}

function readSample(raw: unknown, ctx: ReadContext, path: Path, partial: boolean): Sample {
  const o = readObject(raw, ctx, path);
  checkKeys(o, ["text", "cycles"], partial ? ["text"] : ["text", "cycles"], ctx, path);
  const text = readString(o["text"], ctx, [...path, "text"]);
  if (text.length === 0) fail(ctx, [...path, "text"], "must not be empty");
  const cycles = Object.hasOwn(o, "cycles") ? o["cycles"] : defaultCycles(text);
  const why = Object.hasOwn(o, "cycles")
    ? ""
    : ` (the default for a text of ${Array.from(text).length} characters; give a shorter text or cycles)`;
  const n = readNumber(cycles, ctx, [...path, "cycles"]);
  if (!Number.isSafeInteger(n) || n < 1 || n > LIMITS.cycles) {
    fail(ctx, [...path, "cycles"], `must be a whole number from 1 to ${LIMITS.cycles}, got ${n}${why}`);
  }
  return { text, cycles: n };
}

function readNetwork(raw: unknown, ctx: ReadContext, path: Path, partial: boolean): SynthConfig["network"] {
  const o = readObject(raw, ctx, path);
  const keys = ["layers", "perType", "types"];
  checkKeys(o, keys, partial ? [] : keys, ctx, path);
  const out: Partial<Record<string, unknown>> = {};
  if (Object.hasOwn(o, "layers")) out["layers"] = readInt(o["layers"], ctx, [...path, "layers"], 1, LIMITS.layers);
  if (Object.hasOwn(o, "perType")) out["perType"] = readInt(o["perType"], ctx, [...path, "perType"], 1, LIMITS.perType);
  if (Object.hasOwn(o, "types")) {
    const arr = readArray(o["types"], ctx, [...path, "types"], LAYER_TYPES.length);
    if (arr.length === 0) fail(ctx, [...path, "types"], `must name at least one of ${LAYER_TYPES.join(", ")}`);
    const types = arr.map((t, i) => readChoice(t, ctx, [...path, "types", i], LAYER_TYPES));
    types.forEach((t, i) => {
      if (types.indexOf(t) !== i) fail(ctx, [...path, "types", i], `repeats "${t}"; each type appears once`);
    });
    out["types"] = types;
  }
  return out as SynthConfig["network"];
}

function readEs(raw: unknown, ctx: ReadContext, path: Path, partial: boolean): EsConfig {
  const o = readObject(raw, ctx, path);
  const keys = ["pairs", "sigma", "l2", "workers"];
  checkKeys(o, keys, partial ? [] : keys, ctx, path);
  const out: Partial<Record<string, unknown>> = {};
  if (Object.hasOwn(o, "pairs")) out["pairs"] = readInt(o["pairs"], ctx, [...path, "pairs"], 1, LIMITS.pairs);
  if (Object.hasOwn(o, "sigma")) out["sigma"] = readFinite(o["sigma"], ctx, [...path, "sigma"], 0);
  if (Object.hasOwn(o, "l2")) out["l2"] = readFinite(o["l2"], ctx, [...path, "l2"], 0);
  if (Object.hasOwn(o, "workers")) out["workers"] = readInt(o["workers"], ctx, [...path, "workers"], 0, LIMITS.workers);
  return out as unknown as EsConfig;
}
