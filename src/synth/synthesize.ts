/**
 * The automatic sparsifying synthesis (SPEC-DMM §6) as a resumable state machine:
 * base training, then stages of "cut the smallest weights, fresh Adam, retrain" with a
 * rising λ and back-off when a cut makes the loss jump, then polishing. Everything a
 * later step depends on is in {@link SynthState}, so a run interrupted after any step
 * and resumed from its checkpoint ends exactly where an uninterrupted run ends.
 */
import { adam, type AdamState } from "../optim/index.js";
import {
  countLinks,
  detectorLoss,
  layeredNetwork,
  liveNetwork,
  withSoft,
  type LossOptions,
  type Network,
} from "../dmm/index.js";
import type { VValue } from "../vvalue/types.js";
import { assertState } from "./checkpoint.js";
import { defaultConfig, type SynthConfig } from "./config.js";
import { esGradient, type EsPool } from "./es.js";
import { initialWeights } from "./init.js";
import { dropLinks, salienceOrder } from "./saliency.js";
import { Rng } from "./random.js";
import { networkFor as topologyNetwork } from "./topology.js";
import { firstNonFinite, FlatTraining, lossAndGradient, NonFiniteError, type FlatStep } from "./train.js";

/** One training step as recorded in the history. */
export interface HistoryEntry {
  /** Global step number, from 1. */
  step: number;
  /** 0 for base training, k for stage k, -1 for polishing. */
  stage: number;
  prereg: number;
  loss: number;
  weights: number;
}

/** What happened at one pruning stage. */
export interface StageRecord {
  stage: number;
  lambda: number;
  weightsBefore: number;
  cut: number;
  weightsAfter: number;
  preregBefore: number;
  preregAfter: number;
  accepted: boolean;
  steps: number;
  seconds: number;
}

/**
 * The whole state of a run: the checkpoint (written by encodeCheckpoint, which keeps
 * every number exact, and read back by decodeCheckpoint).
 */
export interface SynthState {
  version: 2;
  config: SynthConfig;
  phase: "base" | "stage" | "final" | "done";
  stage: number;
  stepInPhase: number;
  totalSteps: number;
  soft: VValue;
  adam: AdamState;
  lambda: number;
  fraction: number;
  cut: number;
  /** Whether the current stage got its second helping of steps. */
  extended: boolean;
  /** How many of the least salient weights are kept because cutting each alone failed. */
  protect: number;
  accepted: { soft: VValue; prereg: number; weights: number };
  history: HistoryEntry[];
  stages: StageRecord[];
  /** Wall time per phase, for the report (not part of any result). */
  phaseSeconds: number;
  baseSeconds: number;
  finalSeconds: number;
  /** Wall time of the whole run so far, across interruptions (not part of any result). */
  elapsedSeconds: number;
}

/** The starting network for a configuration (neurons and hard links), layered or fully recurrent. */
export function networkFor(config: SynthConfig): {
  network: Network;
  links: ReturnType<typeof layeredNetwork>["links"];
} {
  return topologyNetwork(config);
}

/**
 * A fresh run: seeded initial weights (or the `initial` ones, links of the configured
 * network, checked like a checkpoint's when the run starts), base training ahead
 * (with `baseSteps: 0`, the base phase only measures the starting network, which the
 * first stage is judged against). Throws a NonFiniteError when `initScale` is so large
 * that a weight is infinite.
 *
 * @example
 * const state = startSynthesis(defaultConfig({ seed: 7 }));
 * // or from given weights (links of the configured network), e.g. a network to repair
 * const from = startSynthesis(defaultConfig(), matrixFromLinks([["output", "dict-2", "eos", "char", 0.5]]));
 * from.accepted.weights; // 1
 */
export function startSynthesis(config: SynthConfig = defaultConfig(), initial?: VValue): SynthState {
  const { links } = networkFor(config);
  const soft = initial ?? initialWeights(links, Rng.seeded(config.seed), config.initScale);
  const bad = firstNonFinite(soft, "soft");
  if (bad !== undefined)
    throw new NonFiniteError(
      `the initial weight ${bad.where} is ${bad.value}${initial === undefined ? ` (initScale ${config.initScale} is too large)` : ""}`,
    );
  const weights = countLinks(soft);
  return {
    version: 2,
    config,
    phase: "base",
    stage: 0,
    stepInPhase: 0,
    totalSteps: 0,
    soft,
    adam: adam().init(soft),
    lambda: config.lambdaStart,
    fraction: config.pruneFraction,
    cut: 0,
    extended: false,
    protect: 0,
    accepted: { soft, prereg: Number.NaN, weights },
    history: [],
    stages: [],
    phaseSeconds: 0,
    baseSeconds: 0,
    finalSeconds: 0,
    elapsedSeconds: 0,
  };
}

/**
 * How many steps the current phase has: `baseSteps`, `stageSteps` (twice that when a
 * stage got its second helping), `finalSteps`; 0 when done.
 *
 * @example
 * phaseSteps(startSynthesis(defaultConfig())); // 1500
 */
export function phaseSteps(state: SynthState): number {
  const c = state.config;
  switch (state.phase) {
    case "base":
      return c.baseSteps;
    case "stage":
      return state.extended ? 2 * c.stageSteps : c.stageSteps;
    case "final":
      return c.finalSteps;
    default:
      return 0;
  }
}

/** The prereg loss of a soft matrix on the run's samples. */
export function prereg(config: SynthConfig, net: Network, soft: VValue): number {
  return detectorLoss(liveNetwork(withSoft(net, soft)), soft, {
    samples: config.samples,
    compat2022: config.compat2022,
  }).prereg as number;
}

/** Hooks of {@link synthesize}. */
export interface SynthHooks {
  /** After every step. */
  onStep?(state: SynthState, entry: HistoryEntry): void;
  /** At stage boundaries. */
  onStage?(state: SynthState, record: StageRecord | null): void;
  /** Every `checkpointEvery` steps and at every phase or stage boundary. */
  onCheckpoint?(state: SynthState): void;
  /** Polled before every step: true stops the run (after a checkpoint). */
  shouldStop?(): boolean;
  /** A worker pool for ES (created by the caller, so it can be closed). */
  pool?: EsPool;
  /**
   * Differentiate through jit-compiled programs (default true) or eagerly. Results
   * agree to rounding (sums in another order), so a resumed run should keep the choice.
   */
  jit?: boolean;
}

/**
 * Runs (or resumes) a synthesis until it is done or `shouldStop` says so. The state is
 * checked first (a SchemaError names a bad field). A loss, gradient, weight or Adam
 * moment that becomes NaN or infinite stops the run with a NonFiniteError where it
 * first appears; the state is then still the last finite one (checkpoint it).
 *
 * @example
 * // a small network and schedule (seconds); defaultConfig({ seed: 7 }) is the full run
 * const config = defaultConfig({
 *   network: { layers: 1, perType: 1, types: ["accum", "norm", "dot", "compare"] },
 *   baseSteps: 20, stageSteps: 5, finalSteps: 5, targetWeights: 20,
 * });
 * const state = await synthesize(startSynthesis(config));
 * state.phase;                  // "done"
 * state.accepted.weights <= 20; // true
 * state.accepted.soft;          // the synthesized soft matrix
 */
export async function synthesize(state: SynthState, hooks: SynthHooks = {}): Promise<SynthState> {
  assertState(state);
  const { network } = networkFor(state.config);
  let last = Date.now();
  const tick = () => {
    const now = Date.now();
    state.phaseSeconds += (now - last) / 1000;
    state.elapsedSeconds += (now - last) / 1000;
    last = now;
  };
  while (state.phase !== "done") {
    // let the event loop run (signals, progress output): the steps themselves never wait
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (hooks.shouldStop?.()) {
      tick();
      hooks.onCheckpoint?.(state);
      return state;
    }
    let boundary: boolean;
    try {
      boundary = await advance(state, network, hooks);
    } finally {
      tick();
    }
    if (boundary || state.totalSteps % state.config.checkpointEvery === 0) hooks.onCheckpoint?.(state);
  }
  return state;
}

/** One step, or one phase transition (returns true at a transition). */
async function advance(state: SynthState, net: Network, hooks: SynthHooks): Promise<boolean> {
  const c = state.config;
  if (state.phase === "base") {
    if (state.stepInPhase < c.baseSteps)
      return (await trainStep(state, net, baseLr(c, state.stepInPhase), c.baseLambda, 0, hooks), false);
    const p = finiteLoss(state, prereg(c, net, state.soft), "after base training");
    state.baseSeconds = state.phaseSeconds;
    state.accepted = { soft: state.soft, prereg: p, weights: countLinks(state.soft) };
    hooks.onStage?.(state, null);
    beginStage(state, net);
    return true;
  }
  if (state.phase === "stage") {
    const budget = state.extended ? 2 * c.stageSteps : c.stageSteps;
    if (state.stepInPhase < budget)
      return (await trainStep(state, net, warm(c, c.stageLr, state), state.lambda, state.stage, hooks), false);
    endStage(state, net, hooks);
    return true;
  }
  if (state.phase === "final") {
    if (state.stepInPhase < c.finalSteps)
      return (await trainStep(state, net, warm(c, c.finalLr, state), c.finalLambda, -1, hooks), false);
    state.finalSeconds = state.phaseSeconds;
    const p = prereg(c, net, state.soft);
    // polishing only keeps what it improves (a NaN or infinite loss is no improvement)
    if (p <= state.accepted.prereg) state.accepted = { soft: state.soft, prereg: p, weights: countLinks(state.soft) };
    state.phase = "done";
    return true;
  }
  if (state.phase === "done") return false;
  throw new RangeError(`synthesize: unknown phase "${String(state.phase)}"`);
}

/** The base learning rate at step k: a geometric decay from baseLr to baseLrEnd. */
function baseLr(c: SynthConfig, k: number): number {
  const x = k / Math.max(1, c.baseSteps - 1);
  const lr = c.baseLr * (c.baseLrEnd / c.baseLr) ** x;
  // the ratio overflows only for extreme settings; the same decay in logarithms then
  return Number.isFinite(lr) ? lr : Math.exp(Math.log(c.baseLr) + x * (Math.log(c.baseLrEnd) - Math.log(c.baseLr)));
}

/** The loss, or a NonFiniteError saying where the run diverged. */
function finiteLoss(state: SynthState, p: number, when: string): number {
  if (!Number.isFinite(p))
    throw new NonFiniteError(`training diverged: the prereg loss ${when} (step ${state.totalSteps}) is ${p}`);
  return p;
}

/** The step about to be taken and its phase, for messages. */
function where(state: SynthState): string {
  const phase =
    state.phase === "base" ? "base training" : state.phase === "stage" ? `stage ${state.stage}` : "polishing";
  return `training diverged at step ${state.totalSteps + 1} (${phase}, step ${state.stepInPhase + 1} of ${phaseSteps(state)})`;
}

/** The learning rate during a fresh Adam's warmup: a linear ramp to lr. */
function warm(c: SynthConfig, lr: number, state: SynthState): number {
  return c.warmupSteps > 0 ? lr * Math.min(1, (state.stepInPhase + 1) / c.warmupSteps) : lr;
}

/** Polishing starts from the last accepted network with a fresh optimizer. */
function enterPolishing(state: SynthState): void {
  state.phase = "final";
  state.soft = state.accepted.soft;
  state.adam = freshAdam(state.soft);
  state.stepInPhase = 0;
  state.phaseSeconds = 0;
}

function freshAdam(soft: VValue): AdamState {
  return adam().init(soft);
}

function beginStage(state: SynthState, net: Network): void {
  const c = state.config;
  const n = state.accepted.weights;
  state.phaseSeconds = 0;
  state.stepInPhase = 0;
  if (n <= c.targetWeights) {
    enterPolishing(state);
    return;
  }
  state.phase = "stage";
  state.stage += 1;
  state.extended = false;
  // The largest cut, in order of least saliency and at most `fraction` of the weights,
  // whose immediate loss (before any retraining) stays within cutFactor × the
  // acceptance threshold: found by bisection with plain forward runs, which cost little.
  // the `protect` least salient weights failed single cuts since the last success
  const order = salienceOrder(net, state.accepted.soft, c.samples, c.saliency).slice(state.protect ?? 0);
  const kMax = Math.max(1, Math.min(Math.floor(state.fraction * n), n - c.targetWeights, order.length));
  const threshold = c.cutFactor * Math.max(c.acceptLoss, c.jumpFactor * state.accepted.prereg);
  const cutOf = (k: number): VValue => dropLinks(state.accepted.soft, order.slice(0, k));
  let lo = 1,
    hi = kMax;
  if (prereg(c, net, cutOf(kMax)) <= threshold) lo = kMax;
  else {
    while (lo < hi - 1) {
      const mid = (lo + hi) >> 1;
      if (prereg(c, net, cutOf(mid)) <= threshold) lo = mid;
      else hi = mid;
    }
  }
  state.cut = lo;
  state.soft = cutOf(lo);
  state.adam = freshAdam(state.soft);
}

function endStage(state: SynthState, net: Network, hooks: SynthHooks): void {
  const c = state.config;
  const p = finiteLoss(state, prereg(c, net, state.soft), `at the end of stage ${state.stage}`);
  const threshold = Math.max(c.acceptLoss, c.jumpFactor * state.accepted.prereg);
  const accepted = p <= threshold;
  if (!accepted && !state.extended && p <= c.rescueFactor * threshold) {
    // a moderate jump: give the cut network a second stage's worth of steps first
    state.extended = true;
    return;
  }
  const record: StageRecord = {
    stage: state.stage,
    lambda: state.lambda,
    weightsBefore: state.accepted.weights,
    cut: state.cut,
    weightsAfter: state.accepted.weights - state.cut,
    preregBefore: state.accepted.prereg,
    preregAfter: p,
    accepted,
    steps: state.stepInPhase,
    seconds: state.phaseSeconds,
  };
  state.stages.push(record);
  if (accepted) {
    state.accepted = { soft: state.soft, prereg: p, weights: record.weightsAfter };
    state.lambda = Math.min(c.lambdaEnd, state.lambda * c.lambdaGrowth);
    state.fraction = Math.min(c.pruneFraction, state.fraction * 1.5);
    state.protect = 0;
  } else if (state.cut === 1 && state.protect + 1 < Math.min(c.patience, state.accepted.weights)) {
    // that one weight is needed: keep it, and try the next least salient one (while
    // there is one)
    state.protect += 1;
  } else if (state.cut === 1) {
    // `patience` single weights in a row (or every weight) could not go: this is the network
    hooks.onStage?.(state, record);
    state.fraction = 0;
    enterPolishing(state);
    return;
  } else {
    // half as large a cut next time, and in any case a smaller one than this
    const n = state.accepted.weights;
    state.fraction = Math.max(1 / n, Math.min(state.fraction / 2, (state.cut - 1) / n));
  }
  hooks.onStage?.(state, record);
  beginStage(state, net);
}

async function trainStep(
  state: SynthState,
  net: Network,
  lr: number,
  lambda: number,
  stage: number,
  hooks: SynthHooks,
): Promise<void> {
  const c = state.config;
  const opt = adam({ lr });
  const options = { samples: c.samples, lambda, compat2022: c.compat2022, jit: hooks.jit ?? true };
  if (c.method === "gradient" && options.jit) {
    const r = flatTraining(state, net, options).step(lr, lambda, where(state));
    recordStep(state, stage, r.prereg, r.loss, hooks);
    return;
  }
  let g: VValue, pre: number, loss: number;
  if (c.method === "gradient") {
    const r = lossAndGradient(net, state.soft, options);
    g = r.gradient;
    pre = r.prereg;
    loss = r.loss;
  } else {
    const r = await esGradient(net, state.soft, options, {
      ...c.es,
      seed: c.seed,
      step: state.totalSteps,
      network: c.network,
      ...(c.topology === undefined ? {} : { topology: c.topology }),
      pool: hooks.pool ?? null,
      jit: hooks.jit ?? true,
    });
    g = r.gradient;
    pre = r.prereg;
    loss = r.loss;
  }
  const at = where(state);
  if (!Number.isFinite(pre) || !Number.isFinite(loss)) {
    throw new NonFiniteError(`${at}: the loss is ${loss} (prereg ${pre}) at lr ${lr}`);
  }
  const bad = firstNonFinite(g, "gradient");
  if (bad !== undefined) throw new NonFiniteError(`${at}: ${bad.where} is ${bad.value}`);
  const next = opt.step(state.soft, g, state.adam);
  const badNext =
    firstNonFinite(next.params, "soft") ??
    firstNonFinite(next.state.m, "adam.m") ??
    firstNonFinite(next.state.v, "adam.v");
  if (badNext !== undefined)
    throw new NonFiniteError(`${at}: Adam's update at lr ${lr} made ${badNext.where} ${badNext.value}`);
  state.soft = next.params;
  state.adam = next.state;
  recordStep(state, stage, pre, loss, hooks);
}

function recordStep(state: SynthState, stage: number, prereg: number, loss: number, hooks: SynthHooks): void {
  state.stepInPhase += 1;
  state.totalSteps += 1;
  const entry: HistoryEntry = { step: state.totalSteps, stage, prereg, loss, weights: countLinks(state.soft) };
  state.history.push(entry);
  hooks.onStep?.(state, entry);
}

/**
 * The flat training of this state's weights: kept between steps while the state's
 * weights and Adam state are the ones it wrote last (a cut, a fresh Adam, a resume
 * start a new one). It writes them back as trees after every step, so a checkpoint
 * or hook reads the state as the tree path leaves it.
 */
function flatTraining(state: SynthState, net: Network, options: LossOptions): { step: typeof step } {
  let t = trainings.get(state);
  if (t === undefined || t.soft !== state.soft || t.adam !== state.adam || t.net !== net) {
    t = { training: new FlatTraining(net, state.soft, options, state.adam), soft: state.soft, adam: state.adam, net };
    trainings.set(state, t);
  }
  const session = t;
  const step = (lr: number, lambda: number, at: string): FlatStep => {
    let r: FlatStep;
    try {
      r = session.training.step(lr, lambda, at);
    } catch (e) {
      trainings.delete(state); // its arrays may hold the bad update
      throw e;
    }
    state.soft = session.soft = session.training.soft();
    state.adam = session.adam = session.training.state();
    return r;
  };
  return { step };
}

const trainings = new WeakMap<SynthState, { training: FlatTraining; soft: VValue; adam: AdamState; net: Network }>();
