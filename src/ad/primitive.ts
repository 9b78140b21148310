/**
 * Applying a primitive to possibly tracked arguments: find the innermost trace
 * among the arguments, unwrap its boxes (packing object literals of boxes into one
 * node), compute the result one level down (recursively, for outer traces), and
 * record a node whose vjp calls the rule.
 */
import { TREE_PROTO } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { getP } from "../vvalue/algebra.js";
import { child, numberPart } from "../vvalue/tree.js";
import { Trace, Tracked, tracing, type Val } from "./tracked.js";
import { PackedCotangent } from "./packed-cotangent.js";

/** A differentiable operation: a plain forward and a vector-Jacobian product rule. */
export interface Primitive<P = undefined> {
  readonly name: string;
  /** The forward on plain values. */
  impl(args: VValue[], params: P): VValue;
  /**
   * Cotangents of the arguments given the result's cotangent `g` (undefined = zero).
   * Written with vgrad's public operations so that it is itself differentiable.
   * `needs[i]` says whether argument i wants one.
   */
  vjp(g: Val, ans: Val, args: Val[], params: P, needs: boolean[]): Array<Val | PackedCotangent | undefined>;
}

const knownPlain = new WeakSet<object>();

/** The innermost (largest id) trace with a box anywhere in `v`, or null. */
export function innermostTrace(v: unknown): Trace | null {
  if (v instanceof Tracked) return v.trace;
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
  let x: Val = v;
  while (x instanceof Tracked) x = x.value;
  return typeof x === "number";
}

/**
 * Collapses an object literal holding boxes of `trace` into one box of `trace` whose
 * pullback hands each box its part of the cotangent. Returns `v` unchanged when it is
 * already a box, or holds none of `trace`'s boxes.
 */
export function lift(v: Val, trace: Trace): Val {
  if (v instanceof Tracked || typeof v === "number") return v;
  // `trace` is the innermost among all arguments, so v holds its boxes iff this holds
  if (innermostTrace(v) !== trace) return v;
  const paths: string[][] = [];
  const boxes: Tracked[] = [];
  const path: string[] = [];
  let plain = true;
  const unwrap = (x: Val): Val => {
    if (x instanceof Tracked) {
      if (x.trace !== trace) {
        plain = false;
        return x;
      }
      paths.push(path.slice());
      boxes.push(x);
      if (!x.plain) plain = false;
      return x.value;
    }
    if (typeof x === "number") return x;
    const t = innermostTrace(x);
    if (t === null) return x;
    if (t !== trace) {
      plain = false;
      return x;
    }
    const out: Record<string, Val> = Object.create(TREE_PROTO);
    for (const k in x) {
      path.push(k);
      out[k] = unwrap((x as Record<string, Val>)[k]!);
      path.pop();
    }
    return out as unknown as VValue;
  };
  const value = unwrap(v);
  const node = new Tracked(value, trace, boxes, (g) => paths.map((p) => getAt(g, p)));
  node.plain = plain;
  return node;
}

let getOp: (v: Val, path: readonly string[]) => Val = (v, path) => getP(v as VValue, path);
/** Installs the differentiable `get` (ops depend on ad, not the other way round). */
export function setGetOp(f: (v: Val, path: readonly string[]) => Val): void {
  getOp = f;
}

/** `g` at `path`; undefined (no cotangent) where a plain `g` has nothing, to stay sparse. */
function getAt(g: Val, path: readonly string[]): Val | undefined {
  if (holdsTracked(g)) return getOp(g, path);
  let cur = g as VValue;
  for (const k of path) {
    if (typeof cur === "number") {
      if (k !== NUMBER_KEY) return undefined;
      continue; // x ≡ {":number": x}
    }
    const next = child(cur, k);
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}

/** A cotangent projected to a number, for an argument that is a number. */
function toNumberKind(g: Val): Val {
  if (typeof g === "number") return g;
  if (holdsTracked(g)) return getOp(g, [NUMBER_KEY]);
  return numberPart(g as VValue);
}

/** Applies `prim` to arguments that may hold tracked values. */
export function apply<P>(prim: Primitive<P>, args: Val[], params: P): Val {
  const n = args.length;
  let top: Trace | null = null;
  for (let i = 0; i < n; i++) {
    const a = args[i];
    const t = a instanceof Tracked ? a.trace : typeof a === "object" ? innermostTrace(a) : null;
    if (t !== null && (top === null || t.id > top.id)) top = t;
  }
  if (top === null) return prim.impl(args as VValue[], params);
  const trace = top;
  const parents: Tracked[] = [];
  const argOf: number[] = [];
  const unboxed: Val[] = new Array(n);
  const needs: boolean[] = new Array(n);
  let lower = false; // does any argument hold boxes of an outer trace?
  for (let i = 0; i < n; i++) {
    const a = lift(args[i]!, trace);
    if (a instanceof Tracked && a.trace === trace) {
      parents.push(a);
      argOf.push(i);
      needs[i] = true;
      unboxed[i] = a.value;
      if (!a.plain) lower = true;
    } else {
      needs[i] = false;
      unboxed[i] = a;
      if (a instanceof Tracked || (typeof a === "object" && innermostTrace(a) !== null)) lower = true;
    }
  }
  const ans = lower ? apply(prim, unboxed, params) : prim.impl(unboxed as VValue[], params);
  const node = new Tracked(ans, trace, parents, (g) => {
    const gs = prim.vjp(g, ans, unboxed, params, needs);
    const out: Array<Val | PackedCotangent | undefined> = new Array(parents.length);
    for (let j = 0; j < parents.length; j++) {
      const i = argOf[j]!;
      const gi = gs[i];
      out[j] = gi === undefined || gi instanceof PackedCotangent || !isNumberLike(unboxed[i]!) ? gi : toNumberKind(gi);
    }
    return out;
  });
  node.plain = !lower;
  return node;
}
