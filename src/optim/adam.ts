import { child, newTree, type MutableTree } from "../vvalue/tree.js";
import type { VTree, VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { checkHyper, flatState, type FlatOptimizer, type Optimizer } from "./optimizer.js";
import { unflatten } from "../vvalue/layout.js";

/** Adam's state: the step count and the two moment trees (sparse: created when touched). */
export interface AdamState {
  readonly t: number;
  readonly m: VValue;
  readonly v: VValue;
}

/** Adam's hyperparameters. */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Adam over trees ("TreeADAM"): per leaf `m ← β1·m + (1−β1)·g`,
 * `v ← β2·v + (1−β2)·g²`, `w ← w − lr·m̂/(√v̂ + ε)`. Pure: returns new params and state.
 * A leaf with neither a gradient nor state is left alone and gets no state (a missing
 * gradient is 0); a gradient key that is not a parameter is ignored.
 *
 * @example
 * const opt = adam({ lr: 0.1 });
 * opt.step({ w: 1 }, { w: 2 }, opt.init({ w: 1 })).params; // { w: 0.9000000005 } (a first step moves by about lr)
 *
 * @example
 * // the same step on flat arrays (in place), as in a loop over jit(f).flat
 * const flat = adam({ lr: 0.1 }).flat(layoutOf({ w: 1 }));
 * const p = new Float64Array([1]);
 * flat.step(p, new Float64Array([2]));
 * p; // Float64Array [0.9000000005]
 */
export function adam(options: AdamOptions = {}): Optimizer<AdamState> {
  const lr = checkHyper("adam", "lr", options.lr ?? 0.001, 0, Infinity);
  const b1 = checkHyper("adam", "beta1", options.beta1 ?? 0.9, 0, 1);
  const b2 = checkHyper("adam", "beta2", options.beta2 ?? 0.999, 0, 1);
  const eps = checkHyper("adam", "eps", options.eps ?? 1e-8, 0, Infinity);
  return {
    init: () => ({ t: 0, m: newTree(), v: newTree() }),
    step(params, grad, state) {
      const t = state.t + 1;
      const c1 = 1 - b1 ** t,
        c2 = 1 - b2 ** t;
      const leaf = (p: number, g: number, m: number, v: number): [number, number, number] => {
        const m2 = b1 * m + (1 - b1) * g;
        const v2 = b2 * v + (1 - b2) * g * g;
        return [p - (lr * (m2 / c1)) / (Math.sqrt(v2 / c2) + eps), m2, v2];
      };
      const [p, m, v] = walk3(params, grad, state.m, state.v, leaf);
      return { params: p, state: { t, m: m ?? state.m, v: v ?? state.v } };
    },
    flat(layout, state) {
      // a leaf with neither gradient nor moments stays as it is here too: m = v = 0
      // give m̂ = 0 and w − 0 = w, so dense arrays give the sparse step's values
      let t = state?.t ?? 0;
      const m = state === undefined ? new Float64Array(layout.size) : flatState(layout, state.m);
      const v = state === undefined ? new Float64Array(layout.size) : flatState(layout, state.v);
      const flat: FlatOptimizer<AdamState> = {
        lr,
        buffers: [m, v],
        step(params, g) {
          const lr = flat.lr;
          t++;
          const c1 = 1 - b1 ** t,
            c2 = 1 - b2 ** t;
          for (let i = 0; i < params.length; i++) {
            const gi = g[i]!;
            const m2 = b1 * m[i]! + (1 - b1) * gi;
            const v2 = b2 * v[i]! + (1 - b2) * gi * gi;
            params[i] = params[i]! - (lr * (m2 / c1)) / (Math.sqrt(v2 / c2) + eps);
            m[i] = m2;
            v[i] = v2;
          }
        },
        state: () => ({ t, m: unflatten(layout, m), v: unflatten(layout, v) }),
      };
      return flat;
    },
  };
}

/**
 * Walks params with a gradient and two state trees of the same layout, applying
 * `leaf` where a gradient or state exists. Returns new [params, s1, s2].
 */
export function walk3(
  p: VValue,
  g: VValue | undefined,
  s1: VValue | undefined,
  s2: VValue | undefined,
  leaf: (p: number, g: number, s1: number, s2: number) => [number, number, number],
): [VValue, VValue | undefined, VValue | undefined] {
  if (typeof p === "number") {
    const gn = scalar(g),
      a = scalar(s1),
      b = scalar(s2);
    if (gn === undefined && a === undefined && b === undefined) return [p, undefined, undefined];
    return leaf(p, gn ?? 0, a ?? 0, b ?? 0);
  }
  if (g === undefined && s1 === undefined && s2 === undefined) return [p, undefined, undefined];
  const np = newTree(),
    n1 = newTree(),
    n2 = newTree();
  let any1 = false,
    any2 = false;
  for (const k in p) {
    const [a, b, c] = walk3(p[k]!, sub(g, k), sub(s1, k), sub(s2, k), leaf);
    np[k] = a;
    if (b !== undefined) {
      n1[k] = b;
      any1 = true;
    }
    if (c !== undefined) {
      n2[k] = c;
      any2 = true;
    }
  }
  return [np, any1 ? n1 : newTree(), any2 ? n2 : newTree()];
}

function sub(t: VValue | undefined, k: string): VValue | undefined {
  if (t === undefined) return undefined;
  if (typeof t === "number") return k === NUMBER_KEY ? t : undefined;
  return child(t as VTree, k);
}

function scalar(t: VValue | undefined): number | undefined {
  if (t === undefined || typeof t === "number") return t;
  const n = child(t, NUMBER_KEY);
  return n === undefined ? undefined : scalar(n);
}

export type { MutableTree };
