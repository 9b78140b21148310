/**
 * The down movement as one fused, differentiable sparse tree-matrix product:
 * `x[t][f] = Σ_{s, sf} W[t][f][s][sf] · y[s][sf]`, over the soft matrix W
 * (differentiable) and the hard matrix H (constant). Soft terms come first, then hard.
 *
 * The primitive's arguments are W and the linked source values `y[s][sf]` one by one,
 * so that the outputs of a cycle (object literals of tracked values) need no packing.
 * Flat source values (DMM Lite) take a dense path; nested ones a tree path.
 */
import { apply, type Primitive } from "../ad/primitive.js";
import { isPlain, Tracked, type Val, VALUE } from "../ad/tracked.js";
import { shapeOf } from "../ad/stop-gradient.js";
import { holdsTracked } from "../ad/primitive.js";
import { getVal } from "../ad/structural.js";
import { get } from "../ops/access.js";
import { axpyInto, dotP, getP } from "../vvalue/algebra.js";
import { child, newTree, type MutableTree } from "../vvalue/tree.js";
import type { VTree, VValue } from "../vvalue/types.js";
import { downKernel, softBarKernel, valueBarsKernel } from "./down-kernels.js";
import { compiled, denseBackward, denseForward, linkWeights, type Compiled } from "./dense-down.js";

interface Params {
  hard: VValue;
  c: Compiled;
}

/** The source values of `c`'s links read from outputs y (undefined where absent). */
function sourceValues(c: Compiled, y: VValue): Array<VValue | undefined> {
  return c.sources.map(([s, sf]) => {
    const ys = typeof y === "number" ? undefined : child(y, s);
    return ys === undefined || typeof ys === "number" ? undefined : child(ys, sf);
  });
}

/** Outputs as a tree again, from source values (for the tree path). */
function outputsTree(c: Compiled, values: ReadonlyArray<VValue | undefined>): VTree {
  const y = newTree();
  c.sources.forEach(([s, sf], j) => {
    const v = values[j];
    if (v === undefined) return;
    const ys = (y[s] as MutableTree | undefined) ?? (y[s] = newTree());
    ys[sf] = v;
  });
  return y;
}

/** `acc[t][f] += Σ w · y[s][sf]` over the links of `m` (tree path). */
function accumulateLinks(acc: MutableTree, m: VValue, y: VTree): void {
  if (typeof m === "number") return;
  for (const t in m) {
    const mt = m[t] as VTree;
    for (const f in mt) {
      const mtf = mt[f] as VTree;
      for (const s in mtf) {
        const ys = child(y, s);
        if (ys === undefined || typeof ys === "number") continue;
        const links = mtf[s] as VTree;
        for (const sf in links) {
          const v = child(ys, sf);
          if (v === undefined) continue;
          const xt = (acc[t] as MutableTree | undefined) ?? (acc[t] = newTree());
          const xtf = (xt[f] as MutableTree | undefined) ?? (xt[f] = newTree());
          axpyInto(xtf, links[sf] as number, v);
        }
      }
    }
  }
}

/** `ȳ[s][sf] += w · x̄[t][f]` over the links of `m` (tree path). */
function backLinks(ybar: MutableTree, m: VValue, xbar: VValue): void {
  if (typeof m === "number" || typeof xbar === "number") return;
  for (const t in m) {
    const xt = child(xbar, t);
    if (xt === undefined || typeof xt === "number") continue;
    const mt = m[t] as VTree;
    for (const f in mt) {
      const g = child(xt, f);
      if (g === undefined) continue;
      const mtf = mt[f] as VTree;
      for (const s in mtf) {
        const links = mtf[s] as VTree;
        const ys = (ybar[s] as MutableTree | undefined) ?? (ybar[s] = newTree());
        for (const sf in links) {
          const cur = (ys[sf] as MutableTree | undefined) ?? (ys[sf] = newTree());
          axpyInto(cur, links[sf] as number, g);
        }
      }
    }
  }
}

/** `W̄[t][f][s][sf] = ⟨x̄[t][f], y[s][sf]⟩` on the links of W (tree path). */
function softGradient(soft: VValue, xbar: VValue, y: VTree): VValue {
  const out = newTree();
  if (typeof soft === "number" || typeof xbar === "number") return out;
  for (const t in soft) {
    const xt = child(xbar, t);
    if (xt === undefined || typeof xt === "number") continue;
    const mt = soft[t] as VTree;
    const ot = (out[t] = newTree());
    for (const f in mt) {
      const g = child(xt, f);
      if (g === undefined) continue;
      const mtf = mt[f] as VTree;
      const of = (ot[f] = newTree());
      for (const s in mtf) {
        const links = mtf[s] as VTree;
        const ys = child(y, s);
        const os = (of[s] = newTree());
        for (const sf in links) {
          const v = ys === undefined || typeof ys === "number" ? undefined : child(ys, sf);
          os[sf] = v === undefined ? 0 : dotP(g, v);
        }
      }
    }
  }
  return out;
}

function forward(c: Compiled, soft: VValue, hard: VValue, values: ReadonlyArray<VValue | undefined>): VTree {
  const dense = denseForward(c, values, linkWeights(c, soft));
  if (dense !== null) return dense;
  const y = outputsTree(c, values);
  const x = newTree();
  accumulateLinks(x, soft, y);
  accumulateLinks(x, hard, y);
  return x;
}

/** The soft matrix's cotangent: `W̄[t][f][s][sf] = ⟨x̄[t][f], y[s][sf]⟩` (arguments: W, x̄, the values). */
const softBarPrim: Primitive<Params> = {
  name: "downMovementSoftBar",
  impl: ([soft, g, ...values], { hard, c }) => backwardP(c, soft!, hard, g!, values, true, false).softBar!,
  vjp: noSecondOrder,
  lower: softBarKernel,
};

/** The values' cotangents as one tree keyed by their index (arguments: W, x̄, the values). */
const valueBarsPrim: Primitive<Params> = {
  name: "downMovementValueBars",
  impl: ([soft, g, ...values], { hard, c }) => {
    const out = newTree();
    backwardP(c, soft!, hard, g!, values, false, true).valueBars.forEach((v, j) => {
      if (v !== undefined) out[String(j)] = v;
    });
    return out;
  },
  vjp: noSecondOrder,
  lower: valueBarsKernel,
};

function noSecondOrder(): never {
  throw new TypeError("downMovement: gradients of gradients through a DMM's down movement are not supported");
}

/** The plain backward: the soft matrix's cotangent and the values' (those asked for). */
function backwardP(
  c: Compiled,
  soft: VValue,
  hard: VValue,
  g: VValue,
  vals: ReadonlyArray<VValue | undefined>,
  needSoft: boolean,
  needValues: boolean,
): { softBar: VValue | undefined; valueBars: Array<VValue | undefined> } {
  const dense = denseBackward(c, vals, g, needSoft, needValues, linkWeights(c, soft));
  if (dense !== null) return { softBar: dense.softBar?.toVValue(), valueBars: dense.valueBars };
  const y = outputsTree(c, vals);
  const ybar = newTree();
  backLinks(ybar, soft, g);
  backLinks(ybar, hard, g);
  const valueBars = c.sources.map(([s, sf], j) => (vals[j] === undefined ? undefined : getP(ybar, [s, sf])));
  return { softBar: needSoft ? softGradient(soft, g, y) : undefined, valueBars };
}

const downPrim: Primitive<Params> = {
  name: "downMovement",
  impl: ([soft, ...values], { hard, c }) => forward(c, soft!, hard, values),
  lower: downKernel,
  vjp: () => undefined,
  vjpAll: (g, _ans, [soft, ...values], params, needs) => {
    const { hard, c } = params;
    const needValues = needs.some((n, i) => n && i > 0);
    if (holdsTracked(g) || holdsTracked(soft) || values.some(holdsTracked)) {
      // recorded (under jit), through two operations of their own: first order only
      const args = [soft!, g, ...values] as Val[];
      const softBar = needs[0] ? apply(softBarPrim, args, params) : undefined;
      const all = needValues ? apply(valueBarsPrim, args, params) : undefined;
      const valueBars = values.map((v, j) =>
        all === undefined || v === undefined || !needs[j + 1] ? undefined : getVal(all, [String(j)]),
      );
      return [softBar, ...valueBars];
    }
    const vals = values as Array<VValue | undefined>;
    const dense = denseBackward(c, vals, g as VValue, needs[0]!, needValues, linkWeights(c, soft as VValue));
    if (dense !== null) return [needs[0] ? dense.softBar! : undefined, ...dense.valueBars];
    const y = outputsTree(c, vals);
    const ybar = newTree();
    backLinks(ybar, soft as VValue, g as VValue);
    backLinks(ybar, hard, g as VValue);
    const valueBars = c.sources.map(([s, sf], j) => (vals[j] === undefined ? undefined : getP(ybar, [s, sf])));
    return [needs[0] ? softGradient(soft as VValue, g as VValue, y) : undefined, ...valueBars];
  },
};

/** `v[k]`, tracked where v is, or undefined when absent (as in the plain path). */
function readChild(v: Val | undefined, k: string): Val | undefined {
  if (v === undefined || typeof v === "number") return undefined;
  if (v instanceof Tracked)
    return readChild(v[VALUE], k) === undefined ? undefined : (get(v as unknown as VValue, k) as Val);
  return child(v as VTree, k);
}

/** Plain down movement. */
export function downMovementP(soft: VValue, hard: VValue, y: VValue): VTree {
  const c = compiled(soft, hard);
  return forward(c, soft, hard, sourceValues(c, y));
}

/**
 * One down movement: `x[t][f] = Σ W[t][f][s][sf]·y[s][sf]` (soft W first, then the
 * hard matrix), differentiable with respect to W and the outputs y.
 *
 * @example
 * downMovement({ b: { in: { a: { out: 2 } } } }, {}, { a: { out: { k: 1 } } });
 * // { b: { in: { k: 2 } } }
 */
export function downMovement(soft: VValue, hard: VValue, y: VValue): VValue {
  if (isPlain(soft) && isPlain(y)) return downMovementP(soft, hard, y);
  const c = compiled(shapeOf(soft), hard);
  // read each linked source value; absent ones stay out of the argument list's effect
  const values = c.sources.map(([s, sf]) => readChild(readChild(y, s), sf));
  return apply(downPrim, [soft as Val, ...(values as Val[])], { hard, c }) as VValue;
}
