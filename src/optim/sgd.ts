import { newTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { walk3 } from "./adam.js";
import { checkHyper, flatState, type FlatOptimizer, type Optimizer } from "./optimizer.js";
import { unflatten } from "../vvalue/layout.js";

/** SGD's state: the velocity tree (sparse). */
export interface SgdState {
  readonly velocity: VValue;
}

/**
 * Stochastic gradient descent with optional momentum: `u ← μ·u + g`, `w ← w − lr·u`.
 *
 * @example
 * const opt = sgd({ lr: 0.1 });
 * opt.step({ w: 1 }, { w: 2 }, opt.init({ w: 1 })).params; // { w: 0.8 }
 */
export function sgd(options: { lr?: number; momentum?: number } = {}): Optimizer<SgdState> {
  const lr = checkHyper("sgd", "lr", options.lr ?? 0.01, 0, Infinity);
  const mu = checkHyper("sgd", "momentum", options.momentum ?? 0, 0, 1);
  return {
    init: () => ({ velocity: newTree() }),
    step(params, grad, state) {
      const [p, u] = walk3(params, grad, state.velocity, undefined, (w, g, u0) => {
        const u1 = mu * u0 + g;
        return [w - lr * u1, u1, 0];
      });
      return { params: p, state: { velocity: u ?? newTree() } };
    },
    flat(layout, state) {
      const u = state === undefined ? new Float64Array(layout.size) : flatState(layout, state.velocity);
      const flat: FlatOptimizer<SgdState> = {
        lr,
        buffers: [u],
        step(params, g) {
          const lr = flat.lr;
          for (let i = 0; i < params.length; i++) {
            const u1 = mu * u[i]! + g[i]!;
            params[i] = params[i]! - lr * u1;
            u[i] = u1;
          }
        },
        state: () => ({ velocity: unflatten(layout, u) }),
      };
      return flat;
    },
  };
}
