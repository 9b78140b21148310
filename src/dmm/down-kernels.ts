/**
 * Flat kernels of the down movement and of its two cotangent operations (see
 * `Primitive.lower`): every link becomes, once, a list of (weight, source leaf,
 * target leaf) slot triples, so a replay is one multiply-add per triple, in the same
 * order as the plain implementation (bit-identical sums).
 */
import type { Kernel, KernelSite, Region } from "../ad/primitive.js";
import { encodePath, pathKeys, slotsByPath, type Layout, type Skeleton } from "../vvalue/layout.js";
import type { VValue } from "../vvalue/types.js";
import type { Compiled } from "./dense-down.js";

interface Params {
  hard: VValue;
  c: Compiled;
}

/** The encoded path of `t`, `f` and then an encoded rest (see encodePath). */
const join = (t: string, f: string, rest = ""): string => encodePath([t, f]) + rest;

/**
 * For every link l (soft first) and every leaf p of its source value: the weight's
 * slot in memory (soft links) or its constant (hard links), the source leaf's slot,
 * and the key `[t, f, p]` of the target leaf.
 */
function triples(c: Compiled, soft: Region, values: readonly Region[]) {
  const softSlots = slotsByPath(soft.layout);
  const weightSlot: number[] = [],
    weight: number[] = [],
    link: number[] = [],
    source: number[] = [];
  const target: string[] = [],
    targetField: string[] = [];
  for (let l = 0; l < c.w.length; l++) {
    const j = c.src[l]!;
    if (values[j]!.offset < 0) continue; // an absent source (see ABSENT in src/jit/program.ts)
    const [t, f] = c.targets[c.tgt[l]!]!;
    const [s, sf] = c.sources[j]!;
    const ws = l < c.softCount ? softSlots.get(encodePath([t, f, s, sf])) : undefined;
    const v = values[j]!;
    pathKeys(v.layout).forEach((p, i) => {
      weightSlot.push(ws === undefined ? -1 : soft.offset + ws);
      weight.push(c.w[l]!);
      link.push(l);
      source.push(v.offset + i);
      target.push(join(t, f, p));
      targetField.push(join(t, f));
    });
  }
  return {
    weightSlot: Int32Array.from(weightSlot),
    weight: Float64Array.from(weight),
    link,
    source: Int32Array.from(source),
    target,
    targetField,
  };
}

/** `x[t][f][p] = Σ w · y[s][sf][p]`: args [soft, ...values]. */
export function downKernel(at: KernelSite<Params>): Kernel {
  const [soft, ...values] = at.args as Region[];
  const tr = triples(at.params.c, soft!, values);
  const outSlots = slotsByPath(at.out.layout);
  const X = Int32Array.from(tr.target, (k) => at.out.offset + outSlots.get(k)!);
  const { weightSlot: WS, weight: W, source: Y } = tr;
  const o = at.out.offset,
    n = at.out.layout.size;
  return (M) => {
    M.fill(0, o, o + n);
    for (let i = 0; i < X.length; i++) {
      const w = WS[i]! >= 0 ? M[WS[i]!]! : W[i]!;
      M[X[i]!] = M[X[i]!]! + w * M[Y[i]!]!;
    }
  };
}

/**
 * For each triple, the slot of x̄'s leaf at its target: -2 where x̄ has nothing at the
 * target field (the link is skipped, as in the plain backward), -1 where the field is
 * there but not that leaf (a zero).
 */
function cotangentSlots(g: Region, tr: { target: readonly string[]; targetField: readonly string[] }): Int32Array {
  const gSlots = slotsByPath(g.layout);
  let fields = fieldsOf.get(g.layout);
  if (fields === undefined) {
    fieldsOf.set(g.layout, (fields = new Set()));
    collectFields(g.layout.skeleton, fields);
  }
  return Int32Array.from(tr.target, (k, i) => {
    if (!fields.has(tr.targetField[i]!)) return -2;
    const s = gSlots.get(k);
    return s === undefined ? -1 : g.offset + s;
  });
}

const fieldsOf = new WeakMap<Layout, Set<string>>();

/** Adds every `t/f` pair present in x̄'s skeleton (an empty field counts: it is there). */
function collectFields(s: Skeleton, out: Set<string>): void {
  if (typeof s === "number") return;
  for (const t in s) {
    const st = s[t]!;
    if (typeof st === "number") continue;
    for (const f in st) out.add(join(t, f));
  }
}

/** `W̄[l] = Σ_p x̄[t][f][p] · y[s][sf][p]` for the soft links: args [soft, x̄, ...values]. */
export function softBarKernel(at: KernelSite<Params>): Kernel {
  const [soft, g, ...values] = at.args as Region[];
  const { c } = at.params;
  const tr = triples(c, soft!, values);
  const G = cotangentSlots(g!, tr);
  const outSlots = slotsByPath(at.out.layout);
  const links = Int32Array.from(tr.link);
  const linkSlot = new Int32Array(c.softCount).fill(-1);
  for (let l = 0; l < c.softCount; l++) {
    const [t, f] = c.targets[c.tgt[l]!]!;
    const [s, sf] = c.sources[c.src[l]!]!;
    linkSlot[l] = at.out.offset + (outSlots.get(encodePath([t, f, s, sf])) ?? -1 - at.out.offset);
  }
  const Y = tr.source,
    o = at.out.offset,
    n = at.out.layout.size,
    soft0 = c.softCount;
  return (M) => {
    M.fill(0, o, o + n);
    for (let i = 0; i < Y.length; i++) {
      const l = links[i]!;
      if (l >= soft0 || G[i] === -2) continue;
      const to = linkSlot[l]!;
      if (to >= 0) M[to] = M[to]! + (G[i]! >= 0 ? M[G[i]!]! : 0) * M[Y[i]!]!;
    }
  };
}

/** `ȳ_j[p] = Σ_links w · x̄[t][f][p]`, as a tree keyed by j: args [soft, x̄, ...values]. */
export function valueBarsKernel(at: KernelSite<Params>): Kernel {
  const [soft, g, ...values] = at.args as Region[];
  const { c } = at.params;
  const tr = triples(c, soft!, values);
  const G = cotangentSlots(g!, tr);
  const outSlots = slotsByPath(at.out.layout);
  // the out slot of ȳ_j[p] for each triple
  const valueOf = new Map<number, { j: number; p: string }>();
  values.forEach((v, j) => {
    if (v.offset < 0) return;
    pathKeys(v.layout).forEach((p, i) => valueOf.set(v.offset + i, { j, p }));
  });
  const Out = Int32Array.from(tr.source, (y) => {
    const { j, p } = valueOf.get(y)!;
    const s = outSlots.get(encodePath([String(j)]) + p);
    return s === undefined ? -1 : at.out.offset + s;
  });
  const { weightSlot: WS, weight: W } = tr;
  const o = at.out.offset,
    n = at.out.layout.size;
  return (M) => {
    M.fill(0, o, o + n);
    for (let i = 0; i < Out.length; i++) {
      if (G[i] === -2 || Out[i]! < 0) continue;
      const w = WS[i]! >= 0 ? M[WS[i]!]! : W[i]!;
      M[Out[i]!] = M[Out[i]!]! + w * (G[i]! >= 0 ? M[G[i]!]! : 0);
    }
  };
}
