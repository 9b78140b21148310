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

/** `[F(θ + σε), F(θ − σε)]` with F the loss (prereg + λ·Σ|w|). */
export function evaluatePair(task: EsTask): [number, number] {
  const eps = pairNoise(task.noiseSeed, task.theta.length);
  const net = networkFor({ network: task.network as Required<LayeredConfig>, topology: task.topology }).network;
  const f = (sign: number): number => {
    const links: Link[] = task.paths.map(([t, tf, s, sf], i) => [
      t,
      tf,
      s,
      sf,
      task.theta[i]! + sign * task.sigma * eps[i]!,
    ]);
    const soft = matrixFromLinks(links);
    return detectorLoss(liveNetwork(withSoft(net, soft)), soft, {
      samples: task.samples,
      lambda: task.lambda,
      compat2022: task.compat2022,
    }).loss as number;
  };
  return [f(1), f(-1)];
}
