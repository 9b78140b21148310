/** Linear operations: their pullbacks are linear maps of the cotangent alone. */
import { operation, primitive } from "../ad/define-op.js";
import { apply, type Primitive } from "../ad/primitive.js";
import { addPrim, addTangents } from "../ad/structural.js";
import { isPlain, type Val } from "../ad/tracked.js";
import { linearCombinationP, mapLeavesP, scaleP, subP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { requireScalar } from "./define.js";
import { leafwiseKernel, scalarKernel, slotMap, zipKernel } from "../ad/kernels.js";
import { dot } from "./products.js";

/**
 * `a + b`, key by key (a missing key is 0; a number meets a tree as its ":number").
 *
 * @example
 * add({ a: 1 }, { a: 2, b: 3 }); // { a: 3, b: 3 }
 * add(1, { a: 2 });              // { ":number": 1, a: 2 }
 */
export const add = operation<[VValue, VValue]>(addPrim);

const subPrim: Primitive = primitive(
  "sub",
  ([a, b]) => subP(a!, b!),
  [(g) => g, (g) => neg(g as VValue)],
  (at) =>
    zipKernel(
      at,
      (x, y) => x - y,
      (x) => x,
      (y) => -y,
    ),
  (_args, [ta, tb]) => (tb === undefined ? ta : ta === undefined ? neg(tb as VValue) : sub(ta as VValue, tb as VValue)),
);
/**
 * `a - b`, key by key.
 *
 * @example
 * sub({ a: 3 }, { a: 1, b: 1 }); // { a: 2, b: -1 }
 */
export const sub: (a: VValue, b: VValue) => VValue = operation<[VValue, VValue]>(subPrim);

const negPrim: Primitive = primitive(
  "neg",
  ([v]) => scaleP(-1, v!),
  [(g) => neg(g as VValue)],
  (at) => leafwiseKernel(at, (x) => -1 * x),
  (_args, [t]) => neg(t as VValue),
);
/**
 * `-v`.
 *
 * @example
 * neg({ a: 1, b: { c: -2 } }); // { a: -1, b: { c: 2 } }
 */
export const neg: (v: VValue) => VValue = operation<[VValue]>(negPrim);

const scalePrim = primitive(
  "scale",
  ([s, v]) => scaleP(s as number, v!),
  [(g, _ans, [, v]) => dot(g as VValue, v as VValue), (g, _ans, [s]) => scale(s as VValue, g as VValue)],
  (at) => scalarKernel(at, 0, 1, (c, x) => c * x),
  // d(s·v) = ds·v + s·dv
  ([s, v], [ts, tv]) =>
    addTangents(
      ts === undefined ? undefined : scale(ts as VValue, v as VValue),
      tv === undefined ? undefined : scale(s as VValue, tv as VValue),
    ),
);
/**
 * `s · v` for a scalar `s`.
 *
 * @example
 * scale(2, { a: 1, b: { c: 3 } }); // { a: 2, b: { c: 6 } }
 */
export function scale(s: VValue, v: VValue): VValue {
  if (typeof s !== "number") requireScalar("scale", s);
  if (isPlain(s) && isPlain(v)) return scaleP(s as number, v);
  return apply(scalePrim, [s, v], undefined) as VValue;
}

/** `v / s`, leaf by leaf: a division, so that `div(x, x)` is 1 even for subnormal x. */
function divP(v: VValue, s: number): VValue {
  return typeof v === "number" ? v / s : mapLeavesP(v, (x) => x / s);
}

const divPrim = primitive(
  "div",
  ([v, s]) => divP(v!, s as number),
  [
    // d(v/s) = dv/s - (v/s)·ds/s
    (g, _ans, [, s]) => div(g as VValue, s as VValue),
    (g, ans, [, s]) => neg(div(dot(g as VValue, ans as VValue), s as VValue)),
  ],
  (at) => scalarKernel(at, 1, 0, (c, x) => x / c),
  ([, s], [tv, ts], _params, ans) =>
    addTangents(
      tv === undefined ? undefined : div(tv as VValue, s as VValue),
      ts === undefined ? undefined : neg(scale(div(ts as VValue, s as VValue), ans as VValue)),
    ),
);
/**
 * `v / s` for a scalar `s`, leaf by leaf.
 *
 * @example
 * div({ a: 3 }, 2); // { a: 1.5 }
 * div(0.3, 0.1);    // 2.9999999999999996, as 0.3 / 0.1 in JavaScript
 */
export function div(v: VValue, s: VValue): VValue {
  if (typeof s !== "number") requireScalar("div", s);
  if (isPlain(s) && isPlain(v)) return divP(v, s as number);
  return apply(divPrim, [v, s], undefined) as VValue;
}

const lcPrim: Primitive<number> = {
  name: "linearCombination",
  impl: (args, n) => linearCombinationP(args.slice(0, n) as number[], args.slice(n)),
  // arguments 0..n-1 are the coefficients, n..2n-1 the values
  vjp: (i, g, _ans, args, n) =>
    i < n ? dot(g as VValue, args[n + i] as VValue) : scale(args[i - n] as VValue, g as VValue),
  // Σ dcᵢ·vᵢ + cᵢ·dvᵢ, as one linear combination of the terms whose tangent is not zero
  jvp: (args, tangents, n) => {
    const cs: Val[] = [];
    const vs: Val[] = [];
    for (let i = 0; i < n; i++) {
      const tc = tangents[i],
        tv = tangents[n + i];
      if (tc !== undefined) {
        cs.push(tc);
        vs.push(args[n + i]!);
      }
      if (tv !== undefined) {
        cs.push(args[i]!);
        vs.push(tv);
      }
    }
    return linearCombination(cs as VValue[], vs as VValue[]);
  },
  lower: ({ params: n, args, out }) => {
    // out[p] = Σ_j c_j · v_j[p] in the order of the values; as in the plain version, a
    // tree's leaf takes its first term as it is (-0 stays -0), a number sums from 0
    const maps = args.slice(n).map((r) => slotMap(r, out));
    const first = maps.map(() => new Uint8Array(0));
    if (typeof out.layout.skeleton !== "number") {
      const seen = new Uint8Array(out.layout.size);
      maps.forEach((m, j) => {
        first[j] = new Uint8Array(m.length);
        m.forEach((slot, i) => {
          if (!seen[slot]) first[j]![i] = seen[slot] = 1;
        });
      });
    }
    const cs = args.slice(0, n).map((r) => r.offset),
      vs = args.slice(n).map((r) => r.offset);
    const o = out.offset,
      size = out.layout.size;
    return (M) => {
      M.fill(0, o, o + size);
      for (let j = 0; j < n; j++) {
        const c = M[cs[j]!]!,
          m = maps[j]!,
          a = vs[j]!,
          f = first[j]!;
        for (let i = 0; i < m.length; i++) {
          const x = c * M[a + i]!;
          M[o + m[i]!] = f[i] ? x : M[o + m[i]!]! + x;
        }
      }
    };
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
    if (typeof coefficients[i] !== "number") requireScalar(`linearCombination: coefficient ${i}`, coefficients[i]);
    if (plain && (!isPlain(coefficients[i]) || !isPlain(values[i]))) plain = false;
  }
  if (plain) return linearCombinationP(coefficients as number[], values);
  return apply(lcPrim, [...coefficients, ...values] as Val[], values.length) as VValue;
}
