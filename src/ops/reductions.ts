/** Reductions of a tree to a number. */
import { operation, primitive } from "../ad/define-op.js";
import type { Primitive } from "../ad/primitive.js";
import { mapLeavesP, maxAbsLeaf, sumP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { shapeOf } from "../ad/stop-gradient.js";
import { scale } from "./linear.js";
import { leafwise } from "./leafwise.js";
import { maxAbsIndicator, signMask } from "./masks.js";
import { dot, mul } from "./products.js";
import { reduceKernel, sumKernel } from "../ad/kernels.js";

// g arrives as a number (the framework projects a tree cotangent onto a number result)
const ones = (v: VValue): VValue => mapLeavesP(shapeOf(v), () => 1);

/** `1/x`, and 0 at 0: the l2 norm's gradient x/‖x‖ is taken as 0 at the zero vector. */
const reciprocalOrZero = leafwise(
  "reciprocalOrZero",
  (x) => (x === 0 ? 0 : 1 / x),
  (x) => (x === 0 ? 0 : -1 / (x * x)),
  (x, ans) => mul(scale(-1, reciprocalOrZero(x)), ans),
);

const sumPrim: Primitive = primitive(
  "sum",
  ([v]) => sumP(v!),
  [(g, _a, [v]) => scale(g as VValue, ones(v as VValue))],
  (at) => sumKernel(at, (x) => x),
  (_args, [t]) => sum(t as VValue),
);
/**
 * The sum of all leaves.
 *
 * @example
 * sum({ a: 1, b: { c: 2 } }); // 3
 */
export const sum: (v: VValue) => number = operation<[VValue], number>(sumPrim);

function l1P(v: VValue): number {
  return sumP(mapLeavesP(v, Math.abs));
}
const l1Prim = primitive(
  "l1Norm",
  ([v]) => l1P(v!),
  [(g, _a, [v]) => scale(g as VValue, signMask(v as VValue))],
  (at) => sumKernel(at, Math.abs),
  ([v], [t]) => dot(signMask(v as VValue), t as VValue),
);
/**
 * `Σ |leaf|` (the derivative of |x| at 0 is taken as 0).
 *
 * @example
 * l1Norm({ a: -1, b: { c: 2 } }); // 3
 */
export const l1Norm = operation<[VValue], number>(l1Prim);

function l2P(v: VValue): number {
  return Math.sqrt(sumP(mapLeavesP(v, (x) => x * x)));
}
const l2Prim = primitive(
  "l2Norm",
  ([v]) => l2P(v!),
  [
    // x/‖x‖; at 0 the (sub)gradient 0 is used
    (g, ans, [v]) => scale(mul(g as VValue, reciprocalOrZero(ans as VValue)), v as VValue),
  ],
  (at) => sumKernel(at, (x) => x * x, Math.sqrt),
  // ⟨x, dx⟩/‖x‖, and 0 at the zero vector as in reverse mode
  ([v], [t], _params, ans) => mul(dot(v as VValue, t as VValue), reciprocalOrZero(ans as VValue)),
);
/**
 * `sqrt(Σ leaf²)`.
 *
 * @example
 * l2Norm({ a: 3, b: { c: 4 } }); // 5
 */
export const l2Norm = operation<[VValue], number>(l2Prim);

const maxNormPrim = primitive(
  "maxNorm",
  ([v]) => maxAbsLeaf(v!).value,
  [
    // to one maximal leaf only (the first in key order), times sign (0 at 0)
    (g, _a, [v]) => scale(g as VValue, maxAbsIndicator(v as VValue)),
  ],
  (at) => reduceKernel(at, maxAbsOf),
  ([v], [t]) => dot(maxAbsIndicator(v as VValue), t as VValue),
);

/** The largest |x| over M[from..to) (0 when empty; NaN wins, as in maxAbsLeaf). */
function maxAbsOf(M: Float64Array, from: number, to: number): number {
  let best = -1;
  for (let i = from; i < to; i++) {
    const a = Math.abs(M[i]!);
    if (a > best || (a !== a && best === best)) best = a;
  }
  return best < 0 ? 0 : best;
}
/**
 * `max |leaf|`, 0 for an empty tree. The gradient goes to one maximal leaf (the
 * first in key order on ties).
 *
 * @example
 * maxNorm({ a: -3, b: { c: 2 } }); // 3
 */
export const maxNorm = operation<[VValue], number>(maxNormPrim);
