/**
 * Applying a primitive to possibly tracked arguments: find the innermost trace
 * among the arguments, unwrap its boxes (packing object literals of boxes into one
 * node), compute the result one level down (recursively, for outer traces), and
 * record a node whose vjp calls the rule once per argument that needs a cotangent.
 */
import { child, numberPart, TREE_PROTO } from "../vvalue/tree.js";
import { NUMBER_KEY, type VValue } from "../vvalue/types.js";
import { SparseCotangent } from "./cotangent.js";
import { getVal } from "./structural.js";
import { skeletonAt, unflatten, writeLeaves, type Layout } from "../vvalue/layout.js";
import { firstSlot } from "./kernels.js";
import { undrafted } from "./drafts.js";
import { bottom, escapedError, isPlain, Trace, Tracked, tracing, type Val, VALUE, TRACE, PLAIN } from "./tracked.js";

/** A cotangent as a rule may return it: a V-value (possibly tracked) or a sparse form. */
export type Cotangent = Val | SparseCotangent;

/**
 * A differentiable operation: a plain forward, and one pullback per argument.
 *
 * `vjp(i, g, ans, args, params)` is the cotangent of argument `i` given the result's
 * cotangent `g` (undefined = zero). It is called only for arguments that need one, and
 * `g` arrives projected onto the result's kind (a number for a number result). Written
 * with vgrad's public operations it is itself differentiable.
 */
export interface Primitive<P = undefined> {
  readonly name: string;
  /** The forward on plain values. */
  impl(args: VValue[], params: P): VValue;
  vjp(i: number, g: Val, ans: Val, args: Val[], params: P): Cotangent | undefined;
  /**
   * For rules whose cotangents share one computation (a recomputation, a user's
   * all-arguments pullback): every argument's cotangent at once; `needs[i]` says
   * which are wanted. Used instead of `vjp` when present.
   */
  vjpAll?(g: Val, ans: Val, args: Val[], params: P, needs: readonly boolean[]): ReadonlyArray<Cotangent | undefined>;
  /**
   * The forward-mode rule: the result's tangent given the arguments' tangents
   * (`tangents[i]` undefined = zero, and an absent leaf is a zero leaf), the
   * arguments, the parameters and the result `ans`. Called only when some tangent is
   * given; undefined = a zero tangent. Written with vgrad's operations it is itself
   * differentiable (a jvp of a gradient, a gradient of a jvp). Without one, forward
   * mode through this operation throws, naming it.
   */
  jvp?(primals: Val[], tangents: ReadonlyArray<Val | undefined>, params: P, ans: Val): Val | undefined;
  /**
   * The flat kernel for jit: reads the arguments' leaves and writes the result's in
   * one Float64Array, at the offsets and in the layouts of `at` (see src/jit). Without
   * one, jit calls `impl` on rebuilt values (correct, slower).
   */
  lower?(at: KernelSite<P>): Kernel;
  /**
   * For jit, when the result's leaves are, in order, a contiguous run of one
   * argument's (a read at a path, an embedding): that run's offset in memory. The
   * result then shares the argument's slots and needs no kernel (values are never
   * written twice, so sharing is safe).
   */
  alias?(at: Omit<KernelSite<P>, "out"> & { readonly out: { readonly layout: Layout } }): number | undefined;
}

/** A compiled step of a flat program: reads and writes the program's memory. */
export type Kernel = (M: Float64Array) => void;

/** Where a kernel's arguments and result live in a flat program's memory. */
export interface KernelSite<P> {
  readonly params: P;
  readonly args: ReadonlyArray<Region>;
  readonly out: Region;
}

/** A value's place in memory: its layout and the offset of its slot 0. */
export interface Region {
  readonly layout: Layout;
  readonly offset: number;
}

/** The cotangents of the arguments in `argOf`, from the per-argument rules or the joint one. */
export function cotangentsOf<P>(
  prim: Primitive<P>,
  g: Val,
  ans: Val,
  args: Val[],
  params: P,
  argOf: readonly number[],
): Array<Cotangent | undefined> {
  if (prim.vjpAll !== undefined) {
    const needs = new Array<boolean>(args.length).fill(false);
    for (const i of argOf) needs[i] = true;
    const all = prim.vjpAll(g, ans, args, params, needs);
    return argOf.map((i) => all[i]);
  }
  return argOf.map((i) => prim.vjp(i, g, ans, args, params));
}

const knownPlain = new WeakSet<object>();

/** The innermost (largest id) trace with a box anywhere in `v`, or null. */
export function innermostTrace(v: unknown): Trace | null {
  if (v instanceof Tracked) return v[TRACE];
  if (typeof v !== "object" || v === null || knownPlain.has(v)) return null;
  let best: Trace | null = null;
  for (const k in v) {
    const t = innermostTrace((v as Record<string, unknown>)[k]);
    if (t !== null && (best === null || t.id > best.id)) best = t;
  }
  if (best === null) knownPlain.add(v);
  return best;
}

/** Whether `v` holds a tracked value (deep scans only while a differentiation runs). */
export function holdsTracked(v: unknown): boolean {
  return v instanceof Tracked || (tracing() && innermostTrace(v) !== null);
}

/** Whether `v` is, at every trace level, a number (not a tree). */
export function isNumberLike(v: Val): boolean {
  return typeof bottom(v) === "number";
}

/**
 * A cotangent projected onto a number: its scalar part. A tree is vector-equal to a
 * number when it holds only ":number" parts, so every ":number" level is read, for a
 * plain cotangent and (differentiably) for a tracked one alike.
 */
export function toNumber(g: Val): Val {
  if (typeof g === "number") return g;
  if (!holdsTracked(g)) return numberPart(g as VValue);
  let x: Val = g;
  while (!isNumberLike(x)) x = getVal(x, [NUMBER_KEY]);
  return x;
}

/** A place in an object literal's template where a box goes (`impl` fills it). */
class Hole {
  constructor(readonly i: number) {}
}

interface PackParams {
  /** The literal with every box replaced by a Hole. */
  readonly template: unknown;
  readonly paths: readonly (readonly string[])[];
}

function fill(template: unknown, args: readonly VValue[]): VValue {
  if (template instanceof Hole) return args[template.i]!;
  if (typeof template === "number") return template;
  const out: Record<string, VValue> = Object.create(TREE_PROTO);
  for (const k in template as object) out[k] = fill((template as Record<string, unknown>)[k], args);
  return out as VValue;
}

/** An object literal of boxes as one value: each box's cotangent is the literal's at its path. */
const packPrim: Primitive<PackParams> = {
  name: "pack",
  impl: (args, { template }) => fill(template, args),
  vjp: (i, g, _ans, _args, { paths }) => readAt(g, paths[i]!),
  // the literal of the boxes' tangents: its constants are zeros, so they drop out
  jvp: (_args, tangents, { template, paths }) => {
    const kept: Val[] = [];
    const renumbered: number[] = [];
    tangents.forEach((t, i) => {
      if (t !== undefined) renumbered[i] = kept.push(t) - 1;
    });
    const holes = (x: unknown): unknown => {
      if (x instanceof Hole) return renumbered[x.i] === undefined ? undefined : new Hole(renumbered[x.i]!);
      if (typeof x === "number") return undefined;
      let out: Record<string, unknown> | undefined;
      for (const k in x as object) {
        const c = holes((x as Record<string, unknown>)[k]);
        if (c !== undefined) (out ??= Object.create(TREE_PROTO) as Record<string, unknown>)[k] = c;
      }
      return out;
    };
    const t = {
      template: holes(template) ?? Object.create(TREE_PROTO),
      paths: paths.filter((_, i) => tangents[i] !== undefined),
    };
    return kept.every(isPlain) ? fill(t.template, kept as VValue[]) : apply(packPrim, kept, t);
  },
  lower: ({ params, args, out }) => {
    // the literal's own leaves, with zeros where the boxes go; then each box's leaves
    const zeros = args.map((r) => unflatten(r.layout, new Float64Array(r.layout.size)));
    const base = new Float64Array(out.layout.size);
    writeLeaves(fill(params.template, zeros), base, 0);
    const o = out.offset;
    const from = args.map((r) => r.offset);
    const to = params.paths.map((p) => o + firstSlot(skeletonAt(out.layout.skeleton, p)!));
    const n = args.map((r) => r.layout.size);
    return (M) => {
      M.set(base, o);
      for (let i = 0; i < from.length; i++) M.copyWithin(to[i]!, from[i]!, from[i]! + n[i]!);
    };
  },
};

/**
 * Collapses an object literal holding boxes of `trace` into one box of `trace`: a
 * recorded `pack` of all the boxes it holds. Returns `v` unchanged when it is already
 * a box, or holds none of `trace`'s boxes.
 */
export function lift(v: Val, trace: Trace): Val {
  if (v instanceof Tracked || typeof v === "number") return v;
  // `trace` is the innermost among all arguments, so v holds its boxes iff this holds
  if (innermostTrace(v) !== trace) return v;
  const paths: string[][] = [];
  const boxes: Tracked[] = [];
  const path: string[] = [];
  const template = (x: Val): unknown => {
    if (x instanceof Tracked) {
      paths.push(path.slice());
      return new Hole(boxes.push(x) - 1);
    }
    if (typeof x === "number") return x;
    if (innermostTrace(x) === null) return undrafted(x);
    const out: Record<string, unknown> = Object.create(TREE_PROTO);
    for (const k in x) {
      path.push(k);
      out[k] = template((x as Record<string, Val>)[k]!);
      path.pop();
    }
    return out;
  };
  return apply(packPrim, boxes, { template: template(v), paths });
}

/**
 * `g` at `path`; undefined (no cotangent) where `g` has nothing there, to stay sparse
 * — for a tracked `g` too, judged by its structure, so that a traced reverse pass
 * (under jit) is as sparse as a plain one.
 */
export function readAt(g: Val, path: readonly string[]): Val | undefined {
  const tracked = holdsTracked(g);
  let cur = g as VValue;
  for (const k of path) {
    while ((cur as Val) instanceof Tracked) cur = (cur as unknown as Tracked)[VALUE] as VValue;
    if (typeof cur === "number") {
      if (k !== NUMBER_KEY) return undefined;
      continue; // x ≡ {":number": x}
    }
    const next = child(cur, k);
    if (next === undefined) return undefined;
    cur = next;
  }
  return tracked ? getVal(g, path) : cur;
}

/** Applies `prim` to arguments that may hold tracked values. */
export function apply<P>(prim: Primitive<P>, args: Val[], params: P): Val {
  const n = args.length;
  let top: Trace | null = null;
  for (let i = 0; i < n; i++) {
    const a = args[i];
    const t = a instanceof Tracked ? a[TRACE] : typeof a === "object" ? innermostTrace(a) : null;
    if (t !== null && (top === null || t.id > top.id)) top = t;
  }
  if (top === null) return prim.impl(args as VValue[], params);
  if (top.done) throw escapedError(prim.name);
  const trace = top;
  const parents: Tracked[] = [];
  const argOf: number[] = [];
  const unboxed: Val[] = new Array(n);
  let lower = false; // does any argument hold boxes of an outer trace?
  for (let i = 0; i < n; i++) {
    const a = lift(undrafted(args[i]!), trace);
    if (a instanceof Tracked && a[TRACE] === trace) {
      parents.push(a);
      argOf.push(i);
      unboxed[i] = a[VALUE];
      if (!a[PLAIN]) lower = true;
    } else {
      unboxed[i] = a;
      if (a instanceof Tracked || (typeof a === "object" && innermostTrace(a) !== null)) lower = true;
    }
  }
  const ans = lower ? apply(prim, unboxed, params) : prim.impl(unboxed as VValue[], params);
  const node = trace.record(prim as Primitive<unknown>, ans, parents, unboxed, params, argOf);
  node[PLAIN] = !lower;
  return node;
}
