/** One antithetic pair of the ES estimator: shared by the main thread and the workers. */
import {
  detectorLoss,
  liveNetwork,
  matrixFromLinks,
  withSoft,
  type LayeredConfig,
  type Link,
  type Sample,
} from "../dmm/index.js";
import { jit } from "../jit/index.js";
import type { VValue } from "../vvalue/types.js";
import { Rng } from "./random.js";
import { networkFor } from "./topology.js";

/** Everything a worker needs to evaluate one pair, as plain data. */
export interface EsTask {
  network: LayeredConfig;
  /** The layered network of `network` (when absent) or the fully recurrent one. */
  topology?: "layered" | "fully-recurrent";
  /** Link paths (target, targetField, source, sourceField) in θ's order. */
  paths: Array<[string, string, string, string]>;
  theta: number[];
  sigma: number;
  noiseSeed: number;
  samples: Sample[];
  lambda: number;
  compat2022: boolean;
  /** Evaluate the loss through a jit-compiled program (default) or eagerly. */
  jit?: boolean;
}

/** A 32-bit mix of (seed, step, pair): each pair's noise has its own seed. */
export function pairSeed(seed: number, step: number, pair: number): number {
  let h = (seed | 0) ^ 0x9e3779b9;
  for (const x of [Math.floor(seed / 2 ** 32) | 0, step | 0, pair | 0]) {
    h = Math.imul(h ^ x, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h | 0;
}

/** The pair's noise ε ~ N(0, I) of dimension d. */
export function pairNoise(noiseSeed: number, d: number): Float64Array {
  const rng = Rng.seeded(noiseSeed);
  const eps = new Float64Array(d);
  for (let i = 0; i < d; i++) eps[i] = rng.normal();
  return eps;
}

type Loss = (soft: VValue) => { loss: number; prereg: number };
const losses = new Map<string, Loss>();

/**
 * The loss F of a task's network, texts and λ as a function of the soft matrix: under
 * jit (traced once per matrix structure, which every pair of a step shares, then
 * replayed), or eager. Kept per thread for the tasks that come after.
 *
 * @example
 * const f = lossOf({ network: { layers: 1, perType: 1 }, samples: [{ text: "ab.", cycles: 12 }], lambda: 0.001, compat2022: false });
 * // y2 = 0.5 from cycle 2 on, where the target is 0: 11 × 0.25, plus λ × 0.5
 * f(matrixFromLinks([["output", "dict-2", "const_1", "const_1", 0.5]])); // { loss: 2.7505, prereg: 2.75 }
 */
export function lossOf(task: Omit<EsTask, "paths" | "theta" | "sigma" | "noiseSeed">): Loss {
  const jitted = task.jit ?? true;
  const key = JSON.stringify([task.network, task.topology, task.samples, task.lambda, task.compat2022, jitted]);
  let f = losses.get(key);
  if (f === undefined) {
    const net = networkFor({ network: task.network as Required<LayeredConfig>, topology: task.topology }).network;
    const options = { samples: task.samples, lambda: task.lambda, compat2022: task.compat2022 };
    const loss = (w: VValue): VValue => {
      const r = detectorLoss(liveNetwork(withSoft(net, w)), w, options);
      return { loss: r.loss, prereg: r.prereg };
    };
    const run = jitted ? jit(loss, { maxStructures: 4 }) : loss;
    f = (w) => {
      const r = run(w) as { loss: number; prereg: number };
      return { loss: r.loss, prereg: r.prereg };
    };
    // a run uses one or two; a long-lived worker need not keep every one it saw
    if (losses.size >= 8) losses.clear();
    losses.set(key, f);
  }
  return f;
}

/** `[F(θ + σε), F(θ − σε)]` with F the loss (prereg + λ·Σ|w|). */
export function evaluatePair(task: EsTask): [number, number] {
  const eps = pairNoise(task.noiseSeed, task.theta.length);
  const loss = lossOf(task);
  const f = (sign: number): number => {
    const links: Link[] = task.paths.map(([t, tf, s, sf], i) => [
      t,
      tf,
      s,
      sf,
      task.theta[i]! + sign * task.sigma * eps[i]!,
    ]);
    return loss(matrixFromLinks(links)).loss;
  };
  return [f(1), f(-1)];
}
