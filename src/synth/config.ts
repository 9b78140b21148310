/** The synthesis configuration: every knob, with defaults that work (see docs/synthesis.md). */
import type { LayeredConfig, Sample } from "../dmm/index.js";

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
   * of least saliency (|w| × RMS of the source's output); the stage cuts as many as it
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
    finalSteps: 1000,
    finalLr: 0.002,
    finalLambda: 0.0005,
    checkpointEvery: 25,
    es: { pairs: 32, sigma: 0.02, l2: 0.005, workers: 2 },
  };
  const cfg = { ...base, ...overrides, es: { ...base.es, ...(overrides.es ?? {}) }, network: { ...base.network, ...(overrides.network ?? {}) } };
  validateConfig(cfg);
  return cfg;
}

/** Throws a RangeError naming the first bad setting. */
export function validateConfig(c: SynthConfig): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be a whole number >= ${min}, got ${v}`);
  };
  const num = (name: string, v: number, min: number, max = Infinity) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
      throw new RangeError(`${name} must be a finite number in [${min}, ${max}], got ${v}`);
    }
  };
  int("seed", c.seed, -(2 ** 53) + 1);
  if (c.method !== "gradient" && c.method !== "es") throw new RangeError(`method must be "gradient" or "es", got "${c.method}"`);
  if (!Array.isArray(c.samples) || c.samples.length === 0) throw new RangeError("at least one training text is needed");
  for (const s of c.samples) {
    if (typeof s.text !== "string" || s.text.length === 0) throw new RangeError("training texts must not be empty");
    int(`cycles for "${s.text}"`, s.cycles, 1);
  }
  int("targetWeights", c.targetWeights, 1);
  int("network.layers", c.network.layers, 1);
  int("network.perType", c.network.perType, 1);
  num("initScale", c.initScale, 0);
  int("baseSteps", c.baseSteps, 0);
  int("stageSteps", c.stageSteps, 1);
  int("finalSteps", c.finalSteps, 0);
  for (const k of ["baseLr", "baseLrEnd", "stageLr", "finalLr"] as const) num(k, c[k], 0);
  int("warmupSteps", c.warmupSteps, 0);
  for (const k of ["baseLambda", "lambdaStart", "lambdaEnd", "finalLambda", "acceptLoss"] as const) num(k, c[k], 0);
  num("pruneFraction", c.pruneFraction, 0, 0.9);
  num("lambdaGrowth", c.lambdaGrowth, 1);
  num("jumpFactor", c.jumpFactor, 1);
  num("rescueFactor", c.rescueFactor, 1);
  num("cutFactor", c.cutFactor, 1);
  int("patience", c.patience, 1);
  int("checkpointEvery", c.checkpointEvery, 1);
  int("es.pairs", c.es.pairs, 1);
  num("es.sigma", c.es.sigma, 0);
  num("es.l2", c.es.l2, 0);
  int("es.workers", c.es.workers, 0);
}
