/** Reductions of a tree to a number. */
import { atPath, getP, mapLeavesP, maxAbsLeaf, sumP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { primal } from "../ad/stop-gradient.js";
import { unary, type Primitive } from "./define.js";
import { div, scale } from "./linear.js";

const ones = (v: VValue): VValue => mapLeavesP(primal(v), () => 1);
const signs = (v: VValue): VValue => mapLeavesP(primal(v), Math.sign);

const sumPrim: Primitive = { name: "sum", impl: ([v]) => sumP(v!), vjp: (g, _a, [v]) => [scale(g as VValue, ones(v as VValue))] };
/**
 * The sum of all leaves.
 *
 * @example
 * sum({ a: 1, b: { c: 2 } }); // 3
 */
export const sum = unary(sumPrim, sumP) as (v: VValue) => number;

function l1P(v: VValue): number {
  return sumP(mapLeavesP(v, Math.abs));
}
const l1Prim: Primitive = { name: "l1Norm", impl: ([v]) => l1P(v!), vjp: (g, _a, [v]) => [scale(g as VValue, signs(v as VValue))] };
/**
 * `Σ |leaf|` (the derivative of |x| at 0 is taken as 0).
 *
 * @example
 * l1Norm({ a: -1, b: { c: 2 } }); // 3
 */
export const l1Norm = unary(l1Prim, l1P) as (v: VValue) => number;

function l2P(v: VValue): number {
  return Math.sqrt(sumP(mapLeavesP(v, (x) => x * x)));
}
const l2Prim: Primitive = {
  name: "l2Norm",
  impl: ([v]) => l2P(v!),
  // x/‖x‖; at 0 the (sub)gradient 0 is used
  vjp: (g, ans, [v]) => (primal(ans as VValue) === 0 ? [undefined] : [scale(div(g as VValue, ans as VValue), v as VValue)]),
};
/**
 * `sqrt(Σ leaf²)`.
 *
 * @example
 * l2Norm({ a: 3, b: { c: 4 } }); // 5
 */
export const l2Norm = unary(l2Prim, l2P) as (v: VValue) => number;

const maxNormPrim: Primitive = {
  name: "maxNorm",
  impl: ([v]) => maxAbsLeaf(v!).value,
  // to one maximal leaf only (the first in key order), times sign (0 at 0)
  vjp: (g, _a, [v]) => {
    const p = primal(v as VValue);
    const m = maxAbsLeaf(p);
    if (m.path === null) return [undefined];
    return [scale(g as VValue, atPath(m.path, Math.sign(getP(p, m.path) as number)))];
  },
};
/**
 * `max |leaf|`, 0 for an empty tree. The gradient goes to one maximal leaf (the
 * first in key order on ties).
 *
 * @example
 * maxNorm({ a: -3, b: { c: 2 } }); // 3
 */
export const maxNorm = unary(maxNormPrim, (v) => maxAbsLeaf(v).value) as (v: VValue) => number;
