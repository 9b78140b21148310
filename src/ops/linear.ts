/** Linear operations: their pullbacks are linear maps of the cotangent alone. */
import { apply } from "../ad/primitive.js";
import { isPlain } from "../ad/tracked.js";
import { setAddOp } from "../ad/backward.js";
import { addP, linearCombinationP, scaleP, subP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { binary, requireScalar, type Primitive, type Val } from "./define.js";
import { dot } from "./products.js";

const addPrim: Primitive = { name: "add", impl: ([a, b]) => addP(a!, b!), vjp: (g) => [g, g] };
/**
 * `a + b`, key by key (a missing key is 0; a number meets a tree as its ":number").
 *
 * @example
 * add({ a: 1 }, { a: 2, b: 3 }); // { a: 3, b: 3 }
 * add(1, { a: 2 });              // { ":number": 1, a: 2 }
 */
export const add = binary(addPrim, addP);
setAddOp(add as (a: Val, b: Val) => Val);

const subPrim: Primitive = { name: "sub", impl: ([a, b]) => subP(a!, b!), vjp: (g) => [g, neg(g as VValue)] };
/**
 * `a - b`, key by key.
 *
 * @example
 * sub({ a: 3 }, { a: 1, b: 1 }); // { a: 2, b: -1 }
 */
export const sub = binary(subPrim, subP);

const negPrim: Primitive = { name: "neg", impl: ([v]) => scaleP(-1, v!), vjp: (g) => [neg(g as VValue)] };
/**
 * `-v`.
 *
 * @example
 * neg({ a: 1, b: { c: -2 } }); // { a: -1, b: { c: 2 } }
 */
export function neg(v: VValue): VValue {
  return isPlain(v) ? scaleP(-1, v) : (apply(negPrim, [v], undefined) as VValue);
}

const scalePrim: Primitive = {
  name: "scale",
  impl: ([s, v]) => scaleP(s as number, v!),
  vjp: (g, _ans, [s, v], _p, needs) => [
    needs[0] ? dot(g as VValue, v as VValue) : undefined,
    needs[1] ? scale(s as VValue, g as VValue) : undefined,
  ],
};
/**
 * `s · v` for a scalar `s`.
 *
 * @example
 * scale(2, { a: 1, b: { c: 3 } }); // { a: 2, b: { c: 6 } }
 */
export function scale(s: VValue, v: VValue): VValue {
  if (isPlain(s) && isPlain(v)) {
    if (typeof s !== "number") requireScalar("scale", s);
    return scaleP(s as number, v);
  }
  requireScalar("scale", s);
  return apply(scalePrim, [s, v], undefined) as VValue;
}

const divPrim: Primitive = {
  name: "div",
  impl: ([v, s]) => scaleP(1 / (s as number), v!),
  // d(v/s) = dv/s - (v/s)·ds/s
  vjp: (g, ans, [, s], _p, needs) => [
    needs[0] ? div(g as VValue, s as VValue) : undefined,
    needs[1] ? neg(div(dot(g as VValue, ans as VValue), s as VValue)) : undefined,
  ],
};
/**
 * `v / s` for a scalar `s`.
 *
 * @example
 * div({ a: 3 }, 2); // { a: 1.5 }
 */
export function div(v: VValue, s: VValue): VValue {
  if (isPlain(s) && isPlain(v)) {
    if (typeof s !== "number") requireScalar("div", s);
    return scaleP(1 / (s as number), v);
  }
  requireScalar("div", s);
  return apply(divPrim, [v, s], undefined) as VValue;
}

const lcPrim: Primitive<number> = {
  name: "linearCombination",
  impl: (args, n) => linearCombinationP(args.slice(0, n) as number[], args.slice(n)),
  vjp: (g, _ans, args, n, needs) => {
    const out: Array<Val | undefined> = new Array(2 * n);
    for (let i = 0; i < n; i++) {
      if (needs[i]) out[i] = dot(g as VValue, args[n + i] as VValue);
      if (needs[n + i]) out[n + i] = scale(args[i] as VValue, g as VValue);
    }
    return out;
  },
};
/**
 * `Σᵢ coefficients[i] · values[i]` as one fused operation with one pullback.
 *
 * @example
 * linearCombination([2, -1], [{ a: 1 }, { a: 1, b: 1 }]); // { a: 1, b: -1 }
 */
export function linearCombination(coefficients: readonly VValue[], values: readonly VValue[]): VValue {
  if (coefficients.length !== values.length) {
    throw new RangeError(
      `linearCombination: ${coefficients.length} coefficients for ${values.length} values; they must match`,
    );
  }
  let plain = true;
  for (let i = 0; i < values.length; i++) {
    if (!isPlain(coefficients[i]) || !isPlain(values[i])) { plain = false; break; }
  }
  for (let i = 0; i < coefficients.length; i++) {
    if (typeof coefficients[i] !== "number") requireScalar(`linearCombination: coefficient ${i}`, coefficients[i]);
  }
  if (plain) return linearCombinationP(coefficients as number[], values);
  return apply(lcPrim, [...coefficients, ...values], values.length) as VValue;
}
