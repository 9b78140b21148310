/** Bilinear operations. */
import { operation, primitive } from "../ad/define-op.js";
import type { Primitive } from "../ad/primitive.js";
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
);
/**
 * Leafwise product on the key paths common to `a` and `b`.
 *
 * @example
 * mul({ a: 2, b: 3 }, { a: 5 }); // { a: 10 }
 */
export const mul: (a: VValue, b: VValue) => VValue = operation<[VValue, VValue]>(mulPrim);

const dotPrim = primitive(
  "dot",
  ([a, b]) => dotP(a!, b!),
  [(g, _ans, [, b]) => scale(g as VValue, b as VValue), (g, _ans, [a]) => scale(g as VValue, a as VValue)],
  dotKernel,
);
/**
 * `⟨a, b⟩`: the sum of leafwise products over common key paths.
 *
 * @example
 * dot({ a: 1, b: { c: 2 } }, { a: 3, b: { c: 4 } }); // 11
 */
export const dot = operation<[VValue, VValue], number>(dotPrim);
