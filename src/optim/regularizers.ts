import { l1Norm, sum } from "../ops/reductions.js";
import { scale } from "../ops/linear.js";
import { square } from "../ops/leafwise.js";
import type { VValue } from "../vvalue/types.js";

/**
 * The L1 penalty `λ·Σ|w|`, differentiable (d|w|/dw at 0 is 0).
 *
 * @example
 * l1({ a: -1, b: 2 }, 0.1); // 0.30000000000000004
 */
export function l1(params: VValue, lambda = 1): number {
  return scale(lambda, l1Norm(params)) as number;
}

/**
 * The L2 penalty `λ·Σw²`, differentiable.
 *
 * @example
 * l2({ a: -1, b: 2 }, 0.5); // 2.5
 */
export function l2(params: VValue, lambda = 1): number {
  return scale(lambda, sum(square(params))) as number;
}
