/**
 * Leafwise nonlinearities. Each rule is `g ⊙ f'(x)` on the leaves of x: a fused plain
 * loop when nothing is traced, and an expression in vgrad operations otherwise (so a
 * gradient of a gradient works).
 */
import { operation, primitive } from "../ad/define-op.js";
import { holdsTracked } from "../ad/primitive.js";
import type { Val } from "../ad/tracked.js";
import { mapLeavesP, zipOnP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { shapeOf } from "../ad/stop-gradient.js";
import { leafMask, signMask } from "./masks.js";
import { leafwiseKernel } from "../ad/kernels.js";
import { scale, sub } from "./linear.js";
import { mul } from "./products.js";

const traced = (v: Val): boolean => holdsTracked(v);

/**
 * Builds a leafwise op from `f`, its derivative `df` (plain numbers) and `dfTree`, the
 * derivative as an expression in vgrad ops (used for higher-order differentiation).
 */
export function leafwise(
  name: string,
  f: (x: number) => number,
  df: (x: number) => number,
  dfTree: (x: VValue, ans: VValue) => VValue,
): (v: VValue) => VValue {
  // the Jacobian is diagonal: a tangent and a cotangent are both multiplied by f'(x)
  const times = (g: Val, ans: Val, x: Val): Val =>
    traced(g) || traced(x)
      ? mul(g as VValue, dfTree(x as VValue, ans as VValue))
      : zipOnP(x as VValue, g as VValue, (xi, gi) => gi * df(xi));
  const prim = primitive(
    name,
    ([v]) => mapLeavesP(v!, f),
    // IEEE throughout: 0·∞ is NaN on both paths (a gradient of mul(0, sqrt(x)) at 0)
    [(g, ans, [x]) => times(g, ans, x!)],
    (at) => leafwiseKernel(at, f),
    ([x], [t], _params, ans) => times(t!, ans, x!),
  );
  return operation<[VValue]>(prim);
}

const ones = (x: VValue): VValue => mapLeavesP(shapeOf(x), () => 1);
const reluSlopeMask = leafMask("reluSlope", reluSlope);

const reciprocal = leafwise(
  "reciprocal",
  (x) => 1 / x,
  (x) => -1 / (x * x),
  (_x, ans) => scale(-1, square(ans)),
);

/** relu's derivative: 1 from 0 on (the 2022 convention), NaN at NaN (it propagates). */
function reluSlope(x: number): number {
  return x >= 0 ? 1 : x < 0 ? 0 : NaN;
}

/**
 * `max(x, 0)` leafwise. Sharp bit: its derivative at 0 is taken as 1 (as in the
 * 2022 DMM experiments), not 0.
 *
 * @example
 * relu({ a: -1, b: 2 }); // { a: 0, b: 2 }
 */
export const relu = leafwise(
  "relu",
  (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  reluSlope,
  (x) => reluSlopeMask(x),
);

/** `tanh` leafwise. @example tanh({ a: 0 }); // { a: 0 } */
export const tanh = leafwise(
  "tanh",
  Math.tanh,
  (x) => 1 - Math.tanh(x) ** 2,
  (x, ans) => sub(ones(x), square(ans)),
);

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
/** The logistic function leafwise. @example sigmoid(0); // 0.5 */
export const sigmoid = leafwise(
  "sigmoid",
  sig,
  (x) => sig(x) * (1 - sig(x)),
  (x, ans) => mul(ans, sub(ones(x), ans)),
);

/** `e^x` leafwise (only on present leaves: exp({}) is {}). @example exp({ a: 0 }); // { a: 1 } */
export const exp = leafwise("exp", Math.exp, Math.exp, (_x, ans) => ans);

/** Natural logarithm leafwise. @example log({ a: 1 }); // { a: 0 } */
export const log = leafwise(
  "log",
  Math.log,
  (x) => 1 / x,
  (x) => reciprocal(x),
);

/** `x²` leafwise. @example square({ a: 3 }); // { a: 9 } */
export const square = leafwise(
  "square",
  (x) => x * x,
  (x) => 2 * x,
  (x) => scale(2, x),
);

/** Square root leafwise. @example sqrt({ a: 4 }); // { a: 2 } */
export const sqrt = leafwise(
  "sqrt",
  Math.sqrt,
  (x) => 0.5 / Math.sqrt(x),
  (_x, ans) => scale(0.5, reciprocal(ans)),
);

/** `|x|` leafwise; its derivative at 0 is taken as 0. @example abs({ a: -2 }); // { a: 2 } */
export const abs = leafwise("abs", Math.abs, Math.sign, (x) => signMask(x));
