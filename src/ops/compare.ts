/** Piecewise operations: max, min, clip. Ties and boundaries are documented sharp bits. */
import { primitive } from "../ad/define-op.js";
import { apply } from "../ad/primitive.js";
import { addTangents } from "../ad/structural.js";
import { isPlain } from "../ad/tracked.js";
import { paramMask } from "./masks.js";
import { leafwiseKernel, zipKernel } from "../ad/kernels.js";
import { child, newTree } from "../vvalue/tree.js";
import { mapLeavesP } from "../vvalue/algebra.js";
import type { VTree, VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { mul } from "./products.js";

const asTree = (x: number): VTree => ({ [NUMBER_KEY]: x });

/**
 * `f(aᵢ, bᵢ)` over the union of the key paths of `a` and `b`, a path missing on one
 * side being 0 there (`undefined` = the whole side is missing). Only leaves that exist
 * on one side or the other appear in the result.
 */
function unionZip(a: VValue | undefined, b: VValue | undefined, f: (x: number, y: number) => number): VValue {
  if (b === undefined) return typeof a === "number" ? f(a, 0) : mapLeavesP(a!, (x) => f(x, 0));
  if (a === undefined) return typeof b === "number" ? f(0, b) : mapLeavesP(b, (y) => f(0, y));
  if (typeof a === "number" && typeof b === "number") return f(a, b);
  // a number meets a tree as its ":number" part
  const ta = typeof a === "number" ? asTree(a) : a;
  const tb = typeof b === "number" ? asTree(b) : b;
  const out = newTree();
  for (const k in ta) out[k] = unionZip(ta[k]!, child(tb, k), f);
  for (const k in tb) if (child(ta, k) === undefined) out[k] = unionZip(undefined, tb[k]!, f);
  return out;
}

function piecewise(name: string, pick: (x: number, y: number) => boolean) {
  const plain = (a: VValue, b: VValue): VValue => unionZip(a, b, (x, y) => (pick(x, y) ? x : y));
  const maskOp = paramMask<boolean>(
    `${name}Mask`,
    ([a, b], toA) => unionZip(a!, b!, (x, y) => (pick(x, y) === toA ? 1 : 0)),
    (at) => {
      const m = (x: number, y: number): number => (pick(x, y) === at.params ? 1 : 0);
      return zipKernel(
        at,
        m,
        (x) => m(x, 0),
        (y) => m(0, y),
      );
    },
  );
  const mask = (a: VValue, b: VValue, toA: boolean): VValue => maskOp([a, b], toA);
  const choose = (x: number, y: number): number => (pick(x, y) ? x : y);
  const prim = primitive(
    name,
    ([a, b]) => plain(a!, b!),
    [
      (g, _ans, [a, b]) => mul(g as VValue, mask(a as VValue, b as VValue, true)),
      (g, _ans, [a, b]) => mul(g as VValue, mask(a as VValue, b as VValue, false)),
    ],
    (at) =>
      zipKernel(
        at,
        choose,
        (x) => choose(x, 0),
        (y) => choose(0, y),
      ),
    // each leaf's tangent is the chosen side's
    ([a, b], [ta, tb]) =>
      addTangents(
        ta === undefined ? undefined : mul(ta as VValue, mask(a as VValue, b as VValue, true)),
        tb === undefined ? undefined : mul(tb as VValue, mask(a as VValue, b as VValue, false)),
      ),
  );
  const op = (a: VValue, b: VValue): VValue =>
    isPlain(a) && isPlain(b) ? plain(a, b) : (apply(prim, [a, b], undefined) as VValue);
  Object.defineProperty(op, "name", { value: name });
  return op;
}

/**
 * Leafwise maximum over the union of key paths (a missing key is 0). On a tie the
 * whole gradient goes to `a`.
 *
 * @example
 * max({ a: 1, b: -1 }, { a: 2 }); // { a: 2, b: 0 }
 * max({ a: { b: 1 } }, {});        // { a: { b: 1 } }
 */
export const max = piecewise("max", (x, y) => x >= y || Number.isNaN(x));

/**
 * Leafwise minimum over the union of key paths (a missing key is 0). On a tie the
 * whole gradient goes to `a`.
 *
 * @example
 * min({ a: 1 }, { a: 2, b: 3 }); // { a: 1, b: 0 }
 */
export const min = piecewise("min", (x, y) => x <= y || Number.isNaN(x));

const inWindow = (x: number, lo: number, hi: number): number => (x >= lo && x <= hi ? 1 : Number.isNaN(x) ? NaN : 0);
const clipMask = paramMask<readonly [number, number]>(
  "clipMask",
  ([v], [lo, hi]) => mapLeavesP(v!, (x) => inWindow(x, lo, hi)),
  (at) => leafwiseKernel(at, (x) => inWindow(x, at.params[0], at.params[1])),
);
const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

const clipPrim = primitive<readonly [number, number]>(
  "clip",
  ([v], [lo, hi]) => mapLeavesP(v!, (x) => clamp(x, lo, hi)),
  [
    // the gradient passes where lo <= x <= hi (boundaries included), is 0 where clipped, NaN at NaN
    (g, _ans, [v], bounds) => mul(g as VValue, clipMask([v as VValue], bounds)),
  ],
  (at) => leafwiseKernel(at, (x) => clamp(x, at.params[0], at.params[1])),
  ([v], [t], bounds) => mul(t as VValue, clipMask([v as VValue], bounds)),
);

/**
 * Clamps every leaf to `[lo, hi]`. A clipped leaf passes no gradient.
 *
 * @example
 * clip({ a: -5, b: 0.5, c: 9 }, -1, 1); // { a: -1, b: 0.5, c: 1 }
 */
export function clip(v: VValue, lo: number, hi: number): VValue {
  if (typeof lo !== "number" || typeof hi !== "number" || !(lo <= hi)) {
    throw new RangeError(`clip: bounds must be numbers with lo <= hi, got [${String(lo)}, ${String(hi)}]`);
  }
  return isPlain(v) ? clipPrim.impl([v], [lo, hi]) : (apply(clipPrim, [v], [lo, hi]) as VValue);
}
