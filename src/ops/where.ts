/** `where(cond, a, b)`: a differentiable select, for code that must not branch on values. */
import { apply, type Primitive } from "../ad/primitive.js";
import { addTangents } from "../ad/structural.js";
import { isPlain, type Val } from "../ad/tracked.js";
import { pathKeys, slotsByPath } from "../vvalue/layout.js";
import { child, newTree, numberPart } from "../vvalue/tree.js";
import { getP } from "../vvalue/algebra.js";
import { NUMBER_KEY, type VTree, type VValue } from "../vvalue/types.js";
import { paramMask } from "./masks.js";
import { mul } from "./products.js";

/** `f(path, a leaf, b leaf)` over the union of key paths (missing = undefined). */
function unionPaths(
  a: VValue | undefined,
  b: VValue | undefined,
  f: (path: readonly string[], x: number | undefined, y: number | undefined) => number,
  path: string[] = [],
): VValue {
  if ((a === undefined || typeof a === "number") && (b === undefined || typeof b === "number")) return f(path, a, b);
  const asTree = (v: VValue | undefined): VTree | undefined => (typeof v === "number" ? { [NUMBER_KEY]: v } : v);
  const ta = asTree(a),
    tb = asTree(b);
  const out = newTree();
  const visit = (k: string): void => {
    path.push(k);
    out[k] = unionPaths(
      ta === undefined ? undefined : child(ta, k),
      tb === undefined ? undefined : child(tb, k),
      f,
      path,
    );
    path.pop();
  };
  if (ta !== undefined) for (const k in ta) visit(k);
  if (tb !== undefined) for (const k in tb) if (ta === undefined || child(ta, k) === undefined) visit(k);
  return out;
}

/** Whether `cond` selects the first argument at `path`: its scalar part there is > 0 (a number cond everywhere). */
const selects = (cond: VValue, path: readonly string[]): boolean =>
  (typeof cond === "number" ? cond : numberPart(getP(cond, path))) > 0;

function whereP(cond: VValue, a: VValue, b: VValue): VValue {
  return unionPaths(a, b, (p, x, y) => (selects(cond, p) ? (x ?? 0) : (y ?? 0)));
}

/** The kernel of a select on the result's paths: `cond > 0 ? a : b`, a missing leaf being 0. */
function selectKernel(
  at: Parameters<NonNullable<Primitive["lower"]>>[0],
  pick: (c: boolean, x: number, y: number) => number,
) {
  const [rc, ra, rb] = at.args;
  const keys = pathKeys(at.out.layout);
  const ma = slotsByPath(ra!.layout),
    mb = slotsByPath(rb!.layout),
    mc = slotsByPath(rc!.layout);
  const scalarCond = typeof rc!.layout.skeleton === "number";
  const slot = (m: ReadonlyMap<string, number>, k: string, offset: number): number => {
    const s = m.get(k);
    return s === undefined ? -1 : offset + s;
  };
  const A = Int32Array.from(keys, (k) => slot(ma, k, ra!.offset));
  const B = Int32Array.from(keys, (k) => slot(mb, k, rb!.offset));
  const C = Int32Array.from(keys, (k) => (scalarCond ? rc!.offset : slot(mc, k, rc!.offset)));
  const o = at.out.offset;
  return (M: Float64Array): void => {
    for (let i = 0; i < A.length; i++) {
      const c = C[i]! >= 0 && M[C[i]!]! > 0;
      M[o + i] = pick(c, A[i]! >= 0 ? M[A[i]!]! : 0, B[i]! >= 0 ? M[B[i]!]! : 0);
    }
  };
}

/** 1 where the select takes `a` (or, for `toA` false, `b`), on the union of their paths. */
const selectMask = paramMask<boolean>(
  "whereMask",
  ([cond, a, b], toA) => unionPaths(a, b, (p) => (selects(cond!, p) === toA ? 1 : 0)),
  (at) => selectKernel(at as never, (c) => (c === at.params ? 1 : 0)),
);

const wherePrim: Primitive = {
  name: "where",
  impl: ([cond, a, b]) => whereP(cond!, a!, b!),
  vjp: (i, g, _ans, [cond, a, b]) =>
    i === 0 ? undefined : mul(g as VValue, selectMask([cond as VValue, a as VValue, b as VValue], i === 1)),
  // the selected side's tangent; the condition's has no effect
  jvp: ([cond, a, b], [, ta, tb]) => {
    const side = (t: Val | undefined, toA: boolean): Val | undefined =>
      t === undefined ? undefined : mul(t as VValue, selectMask([cond as VValue, a as VValue, b as VValue], toA));
    return addTangents(side(ta, true), side(tb, false));
  },
  lower: (at) => selectKernel(at, (c, x, y) => (c ? x : y)),
};

/**
 * Selects leaf by leaf: `a`'s leaf where `cond`'s leaf at the same path is > 0, else
 * `b`'s, over the union of the key paths of `a` and `b` (a missing leaf is 0; a
 * number `cond` applies to every leaf). The gradient goes to the selected side; `cond`
 * gets none. Unlike `primal(c) > 0 ? a : b`, it compiles under `jit`: the choice is
 * made again on every call.
 *
 * @example
 * where({ x: 1, y: -1 }, { x: 10, y: 20 }, { x: 30, y: 40 }); // { x: 10, y: 40 }
 * gradient((x) => where(x, square(x), neg(x)), 3);          // [6]
 */
export function where(cond: VValue, a: VValue, b: VValue): VValue {
  if (isPlain(cond) && isPlain(a) && isPlain(b)) return whereP(cond, a, b);
  return apply(wherePrim, [cond, a, b], undefined) as VValue;
}
