/** Adam training of a DMM's soft matrix on the detector loss (SPEC-DMM §5). */
import {
  adam,
  unflatten,
  add,
  get,
  jit,
  primal,
  pullback,
  scale,
  valueAndGradient,
  type AdamState,
  type Jitted,
  type Optimizer,
} from "../index.js";
import { detectorLoss, liveNetwork, withSoft, type LossOptions, type Network } from "../dmm/index.js";
import { formatPath } from "../vvalue/json.js";
import { flatten, pathKeys, type Layout } from "../vvalue/layout.js";
import type { VValue } from "../vvalue/types.js";
import type { FlatOptimizer } from "../optim/index.js";

/**
 * A loss, gradient, weight or optimizer moment became NaN or infinite: training
 * diverged (a learning rate or initial scale too large), or a network's answers
 * overflow. The message says where it first appeared.
 */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
}

/**
 * The first NaN or infinite leaf of a V-value, with its path (e.g.
 * `soft.output["dict-1"].input.char`), or undefined when every leaf is finite.
 *
 * @example
 * firstNonFinite({ a: { b: 1, c: NaN } }, "w"); // { where: "w.a.c", value: NaN }
 */
export function firstNonFinite(v: VValue, name: string): { where: string; value: number } | undefined {
  // iterative, and the path is only spelled out for a leaf that is found: this runs
  // on every training step
  interface Step {
    key: string;
    up: Step | null;
  }
  const stack: Array<[VValue, Step | null]> = [[v, null]];
  while (stack.length > 0) {
    const [x, at] = stack.pop()!;
    if (typeof x === "number") {
      if (Number.isFinite(x)) continue;
      const path: string[] = [];
      for (let s = at; s !== null; s = s.up) path.unshift(s.key);
      return { where: formatPath(name, path), value: x };
    }
    const keys = Object.keys(x);
    for (let i = keys.length - 1; i >= 0; i--) stack.push([x[keys[i]!]!, { key: keys[i]!, up: at }]);
  }
  return undefined;
}

/** The first NaN or infinite entry of a flat array in `layout`, named like {@link firstNonFinite}. */
function firstNonFiniteFlat(
  a: Float64Array,
  layout: Layout,
  name: string,
): { where: string; value: number } | undefined {
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i]!)) continue;
    return { where: formatPath(name, pathKeys(layout)[i]!.split("\u0000").slice(1)), value: a[i]! };
  }
  return undefined;
}

/** What a {@link FlatTraining} step reports: the losses before the update. */
export interface FlatStep {
  loss: number;
  prereg: number;
  regL1: number;
}

/**
 * Adam training of one soft matrix structure on flat arrays: the weights, the
 * gradient and Adam's moments stay Float64Arrays between steps (the loss under
 * `jit(f).flat`), and trees are built only when asked for. Its steps give exactly the
 * values of {@link lossAndGradient} followed by `adam().step` on trees.
 *
 * @example
 * const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
 * const samples = [{ text: "abca.", cycles: 70 }];
 * const training = new FlatTraining(network, initialWeights(links, Rng.seeded(1)), { samples });
 * training.step(0.001, 0.001, "step 1").prereg > 0; // true
 * countLinks(training.soft()); // 34
 */
export class FlatTraining {
  private readonly w: Float64Array;
  private readonly g: Float64Array;
  private readonly lambda = new Float64Array(1);
  private readonly opt: FlatOptimizer<AdamState>;
  private readonly loss: ReturnType<Jitted<LossParts>["flat"]>;
  private readonly layout: Layout;

  constructor(net: Network, soft: VValue, options: LossOptions, state?: AdamState) {
    this.loss = compiledLoss(net, options).flat(soft, 0);
    this.layout = this.loss.layouts[0]!;
    this.w = flatten(soft).values;
    this.g = new Float64Array(this.w.length);
    this.opt = adam().flat(this.layout, state);
  }

  /**
   * One step at learning rate `lr` and L1 weight `lambda`. Throws a NonFiniteError
   * (prefixed with `where`) at a non-finite loss, gradient, weight or moment. The
   * weights are updated in place: after an error from Adam's update they hold it, so
   * a caller that goes on must start a new FlatTraining.
   */
  step(lr: number, lambda: number, where: string): FlatStep {
    this.lambda[0] = lambda;
    const value = this.loss.valueAndGradient([this.w, this.lambda], [this.g, undefined], LOSS_SEED);
    const part = (k: string): number => get(value, k) as number;
    const r = { loss: part("loss"), prereg: part("prereg"), regL1: part("regL1") };
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.prereg)) {
      throw new NonFiniteError(`${where}: the loss is ${r.loss} (prereg ${r.prereg}) at lr ${lr}`);
    }
    const bad = firstNonFiniteFlat(this.g, this.layout, "gradient");
    if (bad !== undefined) throw new NonFiniteError(`${where}: ${bad.where} is ${bad.value}`);
    this.opt.lr = lr;
    this.opt.step(this.w, this.g);
    const [m, v] = this.opt.buffers;
    const badNext =
      firstNonFiniteFlat(this.w, this.layout, "soft") ??
      firstNonFiniteFlat(m!, this.layout, "adam.m") ??
      firstNonFiniteFlat(v!, this.layout, "adam.v");
    if (badNext !== undefined) {
      throw new NonFiniteError(`${where}: Adam's update at lr ${lr} made ${badNext.where} ${badNext.value}`);
    }
    return r;
  }

  /** The weights now, as a soft matrix. */
  soft(): VValue {
    return unflatten(this.layout, this.w);
  }

  /** Adam's state now. */
  state(): AdamState {
    return this.opt.state();
  }
}

const LOSS_SEED: VValue = { loss: 1 };

/** What one step reports: the losses before the update. */
export interface StepInfo {
  step: number;
  prereg: number;
  loss: number;
  regL1: number;
}

/** Options of {@link train}. */
export interface TrainOptions extends LossOptions {
  steps: number;
  /** Adam's learning rate (default 0.001, as in 2022). */
  lr?: number;
  /** Optimizer state to continue from (default: fresh). */
  state?: AdamState;
  /** Called after every step with the losses measured before it. */
  onStep?: (info: StepInfo) => void;
  /** Differentiate through a jit-compiled program (default true) or eagerly. */
  jit?: boolean;
}

/**
 * The loss and its gradient with respect to the soft matrix, computed on the live
 * part of the network only (neurons that can reach the output).
 *
 * @example
 * const { network, links } = layeredNetwork({ layers: 1, perType: 1 }); // a small one: 34 soft links
 * const soft = initialWeights(links, Rng.seeded(1));
 * const { prereg, gradient } = lossAndGradient(network, soft, { samples: [{ text: "abca.", cycles: 70 }] });
 * countLinks(gradient); // 34
 */
export function lossAndGradient(
  net: Network,
  soft: VValue,
  options: LossOptions & { jit?: boolean },
): { loss: number; prereg: number; regL1: number; gradient: VValue } {
  if (options.jit ?? true) {
    const { value, back } = pullback(compiledLoss(net, options), soft, options.lambda ?? 0.001);
    const [gradient] = back({ loss: 1 });
    const part = (k: string): number => get(value, k) as number;
    return { loss: part("loss"), prereg: part("prereg"), regL1: part("regL1"), gradient: gradient! };
  }
  const live = liveNetwork(withSoft(net, soft));
  let prereg: VValue = 0,
    regL1: VValue = 0;
  const { value, gradient } = valueAndGradient((w: VValue) => {
    const r = detectorLoss(live, w, options);
    prereg = r.prereg;
    regL1 = r.regL1;
    return r.loss;
  }, soft);
  return { loss: value, prereg: primal(prereg) as number, regL1: primal(regL1) as number, gradient: gradient[0]! };
}

type LossParts = (w: VValue, lambda: VValue) => VValue;
const compiledLosses = new WeakMap<Network, Map<string, Jitted<LossParts>>>();

/**
 * The detector loss of `net` as a jitted function of the soft matrix and λ returning
 * `{ loss, prereg, regL1 }`: traced once per matrix structure (a pruning traces again),
 * then replayed on flat arrays. The texts, cycles and compat mode are part of the
 * function (one per combination), since jit reads closures once; λ, which a schedule
 * changes every step, is an argument.
 */
function compiledLoss(net: Network, options: LossOptions): Jitted<LossParts> {
  const key = JSON.stringify([options.samples, options.compat2022 ?? false]);
  let byOptions = compiledLosses.get(net);
  if (byOptions === undefined) compiledLosses.set(net, (byOptions = new Map()));
  let f = byOptions.get(key);
  if (f === undefined) {
    const fixed: LossOptions = {
      samples: options.samples.map((s) => ({ ...s })),
      compat2022: options.compat2022 ?? false,
    };
    f = jit(
      (w: VValue, lambda: VValue) => {
        const { prereg, regL1 } = detectorLoss(liveNetwork(withSoft(net, w)), w, fixed);
        return { loss: add(prereg, scale(lambda, regL1)), prereg, regL1 };
      },
      { maxStructures: 4 },
    );
    byOptions.set(key, f);
  }
  return f;
}

/**
 * Runs `steps` Adam steps on the soft matrix and returns the new matrix, the optimizer
 * state and the prereg loss before every step. Throws a NonFiniteError at the first
 * step whose loss, gradient, new weights or Adam moments are not finite.
 *
 * @example
 * const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
 * const initial = initialWeights(links, Rng.seeded(1));
 * const { soft, prereg } = train(network, initial, { samples: [{ text: "abca.", cycles: 70 }], steps: 10, lambda: 0.001 });
 * prereg.length; // 10 (the loss before each step)
 */
export function train(
  net: Network,
  soft: VValue,
  options: TrainOptions,
): { soft: VValue; state: AdamState; prereg: number[] } {
  if (!Number.isInteger(options.steps) || options.steps < 0) {
    throw new RangeError(`train: steps must be an integer >= 0, got ${options.steps}`);
  }
  const lr = options.lr ?? 0.001;
  const prereg: number[] = [];
  if (options.jit ?? true) {
    const training = new FlatTraining(net, soft, options, options.state);
    for (let k = 1; k <= options.steps; k++) {
      const r = training.step(lr, options.lambda ?? 0.001, `training diverged at step ${k}`);
      prereg.push(r.prereg);
      options.onStep?.({ step: k, ...r });
    }
    return { soft: training.soft(), state: training.state(), prereg };
  }
  const opt: Optimizer<AdamState> = adam({ lr });
  let state = options.state ?? opt.init(soft);
  let w = soft;
  for (let k = 1; k <= options.steps; k++) {
    const r = lossAndGradient(net, w, options);
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.prereg)) {
      throw new NonFiniteError(`training diverged at step ${k}: the loss is ${r.loss} (prereg ${r.prereg})`);
    }
    const badGradient = firstNonFinite(r.gradient, "gradient");
    if (badGradient !== undefined)
      throw new NonFiniteError(`training diverged at step ${k}: ${badGradient.where} is ${badGradient.value}`);
    const next = opt.step(w, r.gradient, state);
    const bad =
      firstNonFinite(next.params, "soft") ??
      firstNonFinite(next.state.m, "adam.m") ??
      firstNonFinite(next.state.v, "adam.v");
    if (bad !== undefined)
      throw new NonFiniteError(
        `training diverged at step ${k}: Adam's update at lr ${lr} made ${bad.where} ${bad.value}`,
      );
    prereg.push(r.prereg);
    ({ params: w, state } = next);
    options.onStep?.({ step: k, prereg: r.prereg, loss: r.loss, regL1: r.regL1 });
  }
  return { soft: w, state, prereg };
}
