/**
 * The plain (untracked) vector-space algebra of V-values. These are the fast paths
 * behind the differentiable operations; they never mutate their arguments and never
 * read inherited properties.
 */
import { NUMBER_KEY, type VTree, type VValue } from "./types.js";
import { child, newTree, numberPart, type MutableTree } from "./tree.js";

/** `a + b`, key by key over the union of key paths. */
export function addP(a: VValue, b: VValue): VValue {
  if (typeof a === "number") {
    if (typeof b === "number") return a + b;
    return addP({ [NUMBER_KEY]: a }, b);
  }
  if (typeof b === "number") return addP(a, { [NUMBER_KEY]: b });
  const out = newTree();
  for (const k in a) out[k] = a[k]!;
  for (const k in b) {
    const ak = out[k];
    out[k] = ak === undefined ? b[k]! : addP(ak, b[k]!);
  }
  return out;
}

/** `c · v`. */
export function scaleP(c: number, v: VValue): VValue {
  if (typeof v === "number") return c * v;
  const out = newTree();
  for (const k in v) {
    const x = v[k]!;
    out[k] = typeof x === "number" ? c * x : scaleP(c, x);
  }
  return out;
}

/** `a - b`. */
export function subP(a: VValue, b: VValue): VValue {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return addP(a, scaleP(-1, b));
}

/** A deep copy made of fresh null-prototype trees (safe to mutate). */
export function cloneP(v: VValue): VValue {
  return scaleP(1, v);
}

/**
 * In place: `acc += c · v`, where every tree inside `acc` is owned by the caller.
 * Subtrees of `v` are copied, never aliased, so `acc` stays owned.
 */
export function axpyInto(acc: MutableTree, c: number, v: VValue): void {
  if (typeof v === "number") {
    axpyLeaf(acc, NUMBER_KEY, c * v);
    return;
  }
  for (const k in v) {
    const x = v[k]!;
    if (typeof x === "number") {
      axpyLeaf(acc, k, c * x);
      continue;
    }
    const cur = acc[k];
    if (cur === undefined) acc[k] = scaleP(c, x);
    else if (typeof cur === "number") {
      const t = newTree();
      t[NUMBER_KEY] = cur;
      axpyInto(t, c, x);
      acc[k] = t;
    } else axpyInto(cur as MutableTree, c, x);
  }
}

function axpyLeaf(acc: MutableTree, k: string, x: number): void {
  const cur = acc[k];
  if (cur === undefined) acc[k] = x;
  else if (typeof cur === "number") acc[k] = cur + x;
  else axpyLeaf(cur as MutableTree, NUMBER_KEY, x);
}

/** `Σ cᵢ · vᵢ`: one pass, one fresh result. A number only if every vᵢ is a number. */
export function linearCombinationP(cs: readonly number[], vs: readonly VValue[]): VValue {
  let allNumbers = true;
  for (const v of vs)
    if (typeof v !== "number") {
      allNumbers = false;
      break;
    }
  if (allNumbers) {
    let s = 0;
    for (let i = 0; i < vs.length; i++) s += cs[i]! * (vs[i] as number);
    return s;
  }
  const out = newTree();
  for (let i = 0; i < vs.length; i++) axpyInto(out, cs[i]!, vs[i]!);
  return out;
}

/** `⟨a, b⟩`: the sum of leafwise products over common key paths. */
export function dotP(a: VValue, b: VValue): number {
  if (typeof a === "number") {
    if (typeof b === "number") return a * b;
    const bn = child(b, NUMBER_KEY);
    return bn === undefined ? 0 : dotP(a, bn);
  }
  if (typeof b === "number") return dotP(b, a);
  let s = 0;
  // iterate the smaller tree
  let small = a,
    big = b;
  if (countKeysUpTo(a, 8) > countKeysUpTo(b, 8)) {
    small = b;
    big = a;
  }
  for (const k in small) {
    const y = child(big, k);
    if (y === undefined) continue;
    const x = small[k]!;
    s += typeof x === "number" && typeof y === "number" ? x * y : dotP(x, y);
  }
  return s;
}

function countKeysUpTo(t: VTree, limit: number): number {
  let n = 0;
  for (const _ in t) if (++n >= limit) break;
  return n;
}

/** Leafwise product on common key paths (a number meets a tree as its ":number"). */
export function mulP(a: VValue, b: VValue): VValue {
  if (typeof a === "number") {
    if (typeof b === "number") return a * b;
    const out = newTree();
    const bn = child(b, NUMBER_KEY);
    if (bn !== undefined) out[NUMBER_KEY] = mulP(a, bn);
    return out;
  }
  if (typeof b === "number") return mulP(b, a);
  const out = newTree();
  for (const k in a) {
    const y = child(b, k);
    if (y !== undefined) out[k] = mulP(a[k]!, y);
  }
  return out;
}

/** The sum of all leaves. */
export function sumP(v: VValue): number {
  if (typeof v === "number") return v;
  let s = 0;
  for (const k in v) {
    const x = v[k]!;
    s += typeof x === "number" ? x : sumP(x);
  }
  return s;
}

/** Applies `f` to every leaf, keeping the shape. */
export function mapLeavesP(v: VValue, f: (x: number) => number): VValue {
  if (typeof v === "number") return f(v);
  const out = newTree();
  for (const k in v) {
    const x = v[k]!;
    out[k] = typeof x === "number" ? f(x) : mapLeavesP(x, f);
  }
  return out;
}

/**
 * `f(xᵢ, gᵢ)` on the key paths of `x` where `g` has a value. Used by leafwise
 * pullbacks, where `f(x, 0) = 0`: the result is shaped like `x` and as sparse as `g`
 * (a path that `g` lacks stays absent rather than becoming an explicit 0).
 */
export function zipOnP(x: VValue, g: VValue, f: (x: number, g: number) => number): VValue {
  if (typeof x === "number") {
    const gn = typeof g === "number" ? g : (child(g, NUMBER_KEY) ?? 0);
    return f(x, typeof gn === "number" ? gn : numberPart(gn));
  }
  const out = newTree();
  if (typeof g === "number") {
    // g ≡ {":number": g}: only x's ":number" part meets it.
    const xn = child(x, NUMBER_KEY);
    if (xn !== undefined) out[NUMBER_KEY] = zipOnP(xn, g, f);
    return out;
  }
  for (const k in g) {
    const xk = child(x, k),
      gk = g[k]!;
    // a leaf of x meets only g's scalar part there: none means a zero cotangent, no entry
    if (xk !== undefined && (typeof xk !== "number" || hasNumberPart(gk))) out[k] = zipOnP(xk, gk, f);
  }
  return out;
}

/** Whether `v` has a scalar part: a number, or a tree whose ":number" chain ends in one. */
function hasNumberPart(v: VValue): boolean {
  let x: VValue | undefined = v;
  while (x !== undefined && typeof x !== "number") x = child(x, NUMBER_KEY);
  return x !== undefined;
}

/**
 * `g` restricted to the key paths of `x`, with `x`'s kind: a number for a number.
 * Empty subtrees are dropped, so the result is sparse. Gradients of inputs pass
 * through this so that they come back shaped like the inputs.
 */
export function projectOntoP(g: VValue, x: VValue): VValue {
  if (typeof x === "number") return typeof g === "number" ? g : numberPart(g);
  const out = newTree();
  if (typeof g === "number") {
    if (child(x, NUMBER_KEY) !== undefined) out[NUMBER_KEY] = projectOntoP(g, x[NUMBER_KEY]!);
    return out;
  }
  for (const k in g) {
    const xk = child(x, k);
    // a leaf of x where g has no scalar part gets no cotangent (not an explicit 0)
    if (xk === undefined || (typeof xk === "number" && !hasNumberPart(g[k]!))) continue;
    const p = projectOntoP(g[k]!, xk);
    if (typeof p === "number" || !isEmpty(p)) out[k] = p;
  }
  return out;
}

/** Whether a tree has no keys. */
export function isEmpty(t: VTree): boolean {
  for (const _ in t) return false;
  return true;
}

/** Maximum absolute leaf (0 for an empty tree) and the path to the first maximal leaf. */
export function maxAbsLeaf(v: VValue): { value: number; path: string[] | null } {
  let best = -1;
  let bestPath: string[] | null = null;
  const path: string[] = [];
  const visit = (x: VValue): void => {
    if (typeof x === "number") {
      const a = Math.abs(x);
      // strictly greater: ties go to the first maximal leaf; NaN wins so it propagates
      if (a > best || (Number.isNaN(a) && !Number.isNaN(best))) {
        best = a;
        bestPath = path.slice();
      }
      return;
    }
    for (const k in x) {
      path.push(k);
      visit(x[k]!);
      path.pop();
    }
  };
  visit(v);
  return bestPath === null ? { value: 0, path: null } : { value: best, path: bestPath };
}

/** A tree with `value` at `path` (the value itself for an empty path). */
export function atPath(path: readonly string[], value: VValue): VValue {
  let v = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const t = newTree();
    t[path[i]!] = v;
    v = t;
  }
  return v;
}

/** Reads `v` at `path`; a missing key, or a key below a leaf other than ":number", is 0. */
export function getP(v: VValue, path: readonly string[]): VValue {
  let cur = v;
  for (const k of path) {
    if (typeof cur === "number") {
      if (k !== NUMBER_KEY) return 0;
      continue; // x ≡ {":number": x}
    }
    const next = child(cur, k);
    if (next === undefined) return 0;
    cur = next;
  }
  return cur;
}
