/** Bilinear operations. */
import { dotP, mulP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { binary, type Primitive } from "./define.js";
import { scale } from "./linear.js";

const mulPrim: Primitive = {
  name: "mul",
  impl: ([a, b]) => mulP(a!, b!),
  vjp: (g, _ans, [a, b], _p, needs) => [
    needs[0] ? mul(g as VValue, b as VValue) : undefined,
    needs[1] ? mul(g as VValue, a as VValue) : undefined,
  ],
};
/**
 * Leafwise product on the key paths common to `a` and `b`.
 *
 * @example
 * mul({ a: 2, b: 3 }, { a: 5 }); // { a: 10 }
 */
export const mul = binary(mulPrim, mulP);

const dotPrim: Primitive = {
  name: "dot",
  impl: ([a, b]) => dotP(a!, b!),
  vjp: (g, _ans, [a, b], _p, needs) => [
    needs[0] ? scale(g as VValue, b as VValue) : undefined,
    needs[1] ? scale(g as VValue, a as VValue) : undefined,
  ],
};
/**
 * `⟨a, b⟩`: the sum of leafwise products over common key paths.
 *
 * @example
 * dot({ a: 1, b: { c: 2 } }, { a: 3, b: { c: 4 } }); // 11
 */
export const dot = binary<number>(dotPrim, dotP);
