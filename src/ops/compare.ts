/** Piecewise operations: max, min, clip. Ties and boundaries are documented sharp bits. */
import { apply } from "../ad/primitive.js";
import { isPlain } from "../ad/tracked.js";
import { primal } from "../ad/stop-gradient.js";
import { child, newTree } from "../vvalue/tree.js";
import { mapLeavesP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import type { Primitive } from "./define.js";
import { mul } from "./products.js";

/** `f(aᵢ, bᵢ)` over the union of key paths, a missing key being 0. */
function unionZip(a: VValue, b: VValue, f: (x: number, y: number) => number): VValue {
  if (typeof a === "number" && typeof b === "number") return f(a, b);
  const ta = typeof a === "number" ? { [NUMBER_KEY]: a } : a;
  const tb = typeof b === "number" ? { [NUMBER_KEY]: b } : b;
  const out = newTree();
  for (const k in ta) out[k] = unionZip(ta[k]!, child(tb, k) ?? 0, f);
  for (const k in tb) if (child(ta, k) === undefined) out[k] = unionZip(0, tb[k]!, f);
  return out;
}

function piecewise(name: string, pick: (x: number, y: number) => boolean) {
  const plain = (a: VValue, b: VValue): VValue => unionZip(a, b, (x, y) => (pick(x, y) ? x : y));
  const prim: Primitive = {
    name,
    impl: ([a, b]) => plain(a!, b!),
    vjp: (g, _ans, [a, b], _p, needs) => {
      const pa = primal(a as VValue), pb = primal(b as VValue);
      return [
        needs[0] ? mul(g as VValue, unionZip(pa, pb, (x, y) => (pick(x, y) ? 1 : 0))) : undefined,
        needs[1] ? mul(g as VValue, unionZip(pa, pb, (x, y) => (pick(x, y) ? 0 : 1))) : undefined,
      ];
    },
  };
  return (a: VValue, b: VValue): VValue =>
    isPlain(a) && isPlain(b) ? plain(a, b) : (apply(prim, [a, b], undefined) as VValue);
}

/**
 * Leafwise maximum over the union of key paths (a missing key is 0). On a tie the
 * whole gradient goes to `a`.
 *
 * @example
 * max({ a: 1, b: -1 }, { a: 2 }); // { a: 2, b: 0 }
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

const clipPrim: Primitive<readonly [number, number]> = {
  name: "clip",
  impl: ([v], [lo, hi]) => mapLeavesP(v!, (x) => (x < lo ? lo : x > hi ? hi : x)),
  // the gradient passes where lo <= x <= hi (boundaries included), and is 0 where clipped
  vjp: (g, _ans, [v], [lo, hi]) => [mul(g as VValue, mapLeavesP(primal(v as VValue), (x) => (x >= lo && x <= hi ? 1 : 0)))],
};

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
