/**
 * Flat kernels of the down movement and of its two cotangent operations (see
 * `Primitive.lower`): every link becomes, once, a list of (weight, source leaf,
 * target leaf) slot triples, so a replay is one multiply-add per triple, in the same
 * order as the plain implementation (bit-identical sums).
 */
import {
  encodePath,
  pathKeys,
  slotsByPath,
  type Kernel,
  type KernelSite,
  type Region,
  type Skeleton,
} from "../extend/index.js";
import type { Layout } from "../vvalue/layout.js";
import type { VValue } from "../vvalue/types.js";
import type { Compiled } from "./dense-down.js";

interface Params {
  hard: VValue;
  c: Compiled;
}

/** The encoded path of `t`, `f` and then an encoded rest (see encodePath). */
const join = (t: string, f: string, rest = ""): string => encodePath([t, f]) + rest;

/**
 * For every link l (soft first) and every leaf p of its source value, relative to the
 * layouts (not the offsets) of the operation's arguments: the weight's slot in the
 * soft matrix (soft links; -1 for hard ones, whose weight is `weight`), the source
 * value `value` and its leaf `leaf`, and the key `[t, f, p]` of the target leaf.
 * Computed once per network and layouts: a program lowers the same plan for each of
 * its cycles (building it per cycle was a third of a first call's time, mostly
 * garbage collection).
 */
interface Plan {
  weightSlot: Int32Array;
  weight: Float64Array;
  link: Int32Array;
  value: Int32Array;
  leaf: Int32Array;
  target: readonly string[];
  targetField: readonly string[];
  /** Derived index maps, by what they depend on (see {@link memo}). */
  derived: Map<string, Int32Array>;
}

const layoutIds = new WeakMap<Layout, number>();
let nextLayoutId = 0;
const idOf = (l: Layout): number => {
  let id = layoutIds.get(l);
  if (id === undefined) layoutIds.set(l, (id = nextLayoutId++));
  return id;
};

const plans = new WeakMap<Compiled, Map<string, Plan>>();

function planOf(c: Compiled, soft: Region, values: readonly Region[]): Plan {
  const key = [soft, ...values].map((r) => (r.offset < 0 ? "-" : idOf(r.layout))).join(",");
  let byKey = plans.get(c);
  if (byKey === undefined) plans.set(c, (byKey = new Map()));
  let plan = byKey.get(key);
  if (plan === undefined) byKey.set(key, (plan = makePlan(c, soft.layout, values)));
  return plan;
}

function makePlan(c: Compiled, softLayout: Layout, values: readonly Region[]): Plan {
  const softSlots = slotsByPath(softLayout);
  const weightSlot: number[] = [],
    weight: number[] = [],
    link: number[] = [],
    value: number[] = [],
    leaf: number[] = [];
  const target: string[] = [],
    targetField: string[] = [];
  for (let l = 0; l < c.w.length; l++) {
    const j = c.src[l]!;
    if (values[j]!.offset < 0) continue; // an absent source (see ABSENT in src/jit/program.ts)
    const [t, f] = c.targets[c.tgt[l]!]!;
    const [s, sf] = c.sources[j]!;
    const ws = l < c.softCount ? softSlots.get(encodePath([t, f, s, sf])) : undefined;
    const field = join(t, f);
    pathKeys(values[j]!.layout).forEach((p, i) => {
      weightSlot.push(ws ?? -1);
      weight.push(c.w[l]!);
      link.push(l);
      value.push(j);
      leaf.push(i);
      target.push(field + p);
      targetField.push(field);
    });
  }
  return {
    weightSlot: Int32Array.from(weightSlot),
    weight: Float64Array.from(weight),
    link: Int32Array.from(link),
    value: Int32Array.from(value),
    leaf: Int32Array.from(leaf),
    target,
    targetField,
    derived: new Map(),
  };
}

/** A map derived from a plan and the layouts in `layouts`, computed once. */
function memo(plan: Plan, what: string, layouts: readonly Layout[], make: () => Int32Array): Int32Array {
  const key = what + layouts.map(idOf).join(",");
  let m = plan.derived.get(key);
  if (m === undefined) plan.derived.set(key, (m = make()));
  return m;
}

/** `rel + offset` where rel ≥ 0, else rel: a relative slot map made absolute. */
function shifted(rel: Int32Array, offset: number): Int32Array {
  const out = new Int32Array(rel.length);
  for (let i = 0; i < rel.length; i++) out[i] = rel[i]! >= 0 ? rel[i]! + offset : rel[i]!;
  return out;
}

/** The plan's triples at the arguments' offsets. */
function triples(c: Compiled, soft: Region, values: readonly Region[]) {
  const plan = planOf(c, soft, values);
  const source = new Int32Array(plan.value.length);
  for (let i = 0; i < source.length; i++) source[i] = values[plan.value[i]!]!.offset + plan.leaf[i]!;
  return {
    plan,
    weightSlot: shifted(plan.weightSlot, soft.offset),
    weight: plan.weight,
    link: plan.link,
    source,
    target: plan.target,
    targetField: plan.targetField,
  };
}

/** `x[t][f][p] = Σ w · y[s][sf][p]`: args [soft, ...values]. */
export function downKernel(at: KernelSite<Params>): Kernel {
  const [soft, ...values] = at.args as Region[];
  const tr = triples(at.params.c, soft!, values);
  const X = shifted(
    memo(tr.plan, "down", [at.out.layout], () => {
      const outSlots = slotsByPath(at.out.layout);
      return Int32Array.from(tr.target, (k) => outSlots.get(k)!);
    }),
    at.out.offset,
  );
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
function cotangentSlots(g: Region, plan: Plan): Int32Array {
  const rel = memo(plan, "cotangent", [g.layout], () => {
    const gSlots = slotsByPath(g.layout);
    let fields = fieldsOf.get(g.layout);
    if (fields === undefined) {
      fieldsOf.set(g.layout, (fields = new Set()));
      collectFields(g.layout.skeleton, fields);
    }
    return Int32Array.from(plan.target, (k, i) => {
      if (!fields.has(plan.targetField[i]!)) return -2;
      return gSlots.get(k) ?? -1;
    });
  });
  return shifted(rel, g.offset);
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
  const G = cotangentSlots(g!, tr.plan);
  const links = tr.link;
  const linkSlot = shifted(
    memo(tr.plan, "softBar", [at.out.layout], () => {
      const outSlots = slotsByPath(at.out.layout);
      const rel = new Int32Array(c.softCount).fill(-1);
      for (let l = 0; l < c.softCount; l++) {
        const [t, f] = c.targets[c.tgt[l]!]!;
        const [s, sf] = c.sources[c.src[l]!]!;
        rel[l] = outSlots.get(encodePath([t, f, s, sf])) ?? -1;
      }
      return rel;
    }),
    at.out.offset,
  );
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
  const G = cotangentSlots(g!, tr.plan);
  // the out slot of ȳ_j[p] for each triple
  const Out = shifted(
    memo(tr.plan, "valueBars", [at.out.layout], () => {
      const outSlots = slotsByPath(at.out.layout);
      const { plan } = tr;
      return Int32Array.from(plan.value, (j, i) => {
        const p = pathKeys(values[j]!.layout)[plan.leaf[i]!]!;
        return outSlots.get(encodePath([String(j)]) + p) ?? -1;
      });
    }),
    at.out.offset,
  );
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
