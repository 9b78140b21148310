/** Bilinear operations. */
import { operation, primitive } from "../ad/define-op.js";
import type { Primitive } from "../ad/primitive.js";
import { addTangents } from "../ad/structural.js";
import { dotP, mulP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { scale } from "./linear.js";
import { dotKernel, zipKernel } from "../ad/kernels.js";

const mulPrim: Primitive = primitive(
  "mul",
  ([a, b]) => mulP(a!, b!),
  [(g, _ans, [, b]) => mul(g as VValue, b as VValue), (g, _ans, [a]) => mul(g as VValue, a as VValue)],
  (at) =>
    zipKernel(
      at,
      (x, y) => x * y,
      () => 0,
      () => 0,
    ),
  // d(a⊙b) = da⊙b + a⊙db
  ([a, b], [ta, tb]) =>
    addTangents(
      ta === undefined ? undefined : mul(ta as VValue, b as VValue),
      tb === undefined ? undefined : mul(a as VValue, tb as VValue),
    ),
);
/**
 * Leafwise product on the key paths common to `a` and `b`.
 *
 * @example
 * mul({ a: 2, b: 3 }, { a: 5 }); // { a: 10 }
 */
export const mul: (a: VValue, b: VValue) => VValue = operation<[VValue, VValue]>(mulPrim);

const dotPrim: Primitive = primitive(
  "dot",
  ([a, b]) => dotP(a!, b!),
  [(g, _ans, [, b]) => scale(g as VValue, b as VValue), (g, _ans, [a]) => scale(g as VValue, a as VValue)],
  dotKernel,
  ([a, b], [ta, tb]) =>
    addTangents(
      ta === undefined ? undefined : dot(ta as VValue, b as VValue),
      tb === undefined ? undefined : dot(a as VValue, tb as VValue),
    ),
);
/**
 * `⟨a, b⟩`: the sum of leafwise products over common key paths.
 *
 * @example
 * dot({ a: 1, b: { c: 2 } }, { a: 3, b: { c: 4 } }); // 11
 */
export const dot: (a: VValue, b: VValue) => number = operation<[VValue, VValue], number>(dotPrim);
