/**
 * Building flat kernels (see `Primitive.lower`): index maps between the layouts of
 * an operation's arguments and result, matched by normalized key path (a number and
 * `{":number": x}` at the same place share a path, as they are the same vector).
 */
import type { Kernel, KernelSite, Region } from "./primitive.js";
import { pathKeys, skeletonAt, slotsByPath, type Skeleton } from "../vvalue/layout.js";
import { NUMBER_KEY } from "../vvalue/types.js";

/** `out[i] = f(a[i])`: the result has its argument's layout (leafwise operations). */
export function leafwiseKernel(site: KernelSite<unknown>, f: (x: number) => number, arg = 0): Kernel {
  const a = site.args[arg]!.offset,
    o = site.out.offset,
    n = site.out.layout.size;
  return (M) => {
    for (let i = 0; i < n; i++) M[o + i] = f(M[a + i]!);
  };
}

/** `out[i] = f(s, v[i])` for a scalar argument `s` (at `at.args[si]`) and a tree `v` (at `at.args[vi]`). */
export function scalarKernel(
  site: KernelSite<unknown>,
  si: number,
  vi: number,
  f: (s: number, x: number) => number,
): Kernel {
  const s = site.args[si]!.offset,
    a = site.args[vi]!.offset,
    o = site.out.offset,
    n = site.out.layout.size;
  return (M) => {
    const c = M[s]!;
    for (let i = 0; i < n; i++) M[o + i] = f(c, M[a + i]!);
  };
}

/** Each slot of `out`, its slot in `r` by path, or -1 where `r` has no leaf there. */
export function slotMap(out: Region, r: Region): Int32Array {
  if (out.layout === r.layout || out.layout.key === r.layout.key) return identity(out.layout.size);
  const byPath = slotsByPath(r.layout);
  const keys = pathKeys(out.layout);
  const m = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) m[i] = byPath.get(keys[i]!) ?? -1;
  return m;
}

const identities: Int32Array[] = [];

/** 0, 1, …, n-1 (shared: kernels only read their maps). */
function identity(n: number): Int32Array {
  let m = identities[n];
  if (m === undefined) identities[n] = m = Int32Array.from({ length: n }, (_, i) => i);
  return m;
}

/**
 * A binary leafwise operation on the result's key paths: `both(x, y)` where both
 * arguments have a leaf, `onlyA(x)` or `onlyB(y)` where one does.
 */
export function zipKernel(
  site: KernelSite<unknown>,
  both: (x: number, y: number) => number,
  onlyA: (x: number) => number,
  onlyB: (y: number) => number,
): Kernel {
  const [ra, rb] = site.args as [Region, Region];
  const ma = slotMap(site.out, ra),
    mb = slotMap(site.out, rb);
  const a = ra.offset,
    b = rb.offset,
    o = site.out.offset,
    n = ma.length;
  return (M) => {
    for (let i = 0; i < n; i++) {
      const ia = ma[i]!,
        ib = mb[i]!;
      M[o + i] =
        ia >= 0 ? (ib >= 0 ? both(M[a + ia]!, M[b + ib]!) : onlyA(M[a + ia]!)) : ib >= 0 ? onlyB(M[b + ib]!) : 0;
    }
  };
}

/** `out = reduce(a[0..n))` into one slot. */
export function reduceKernel(
  site: KernelSite<unknown>,
  reduce: (M: Float64Array, from: number, to: number) => number,
): Kernel {
  const a = site.args[0]!.offset,
    n = site.args[0]!.layout.size,
    o = site.out.offset;
  return (M) => {
    M[o] = reduce(M, a, a + n);
  };
}

/** Copies the argument's leaves at `path` (a contiguous range), or writes 0 where there is none. */
export function subtreeKernel(site: KernelSite<unknown>, path: readonly string[]): Kernel {
  const r = site.args[0]!,
    o = site.out.offset,
    n = site.out.layout.size;
  const s = skeletonAt(r.layout.skeleton, path);
  if (s === undefined) {
    return (M) => {
      M.fill(0, o, o + n);
    };
  }
  const from = r.offset + firstSlot(s);
  return (M) => {
    M.copyWithin(o, from, from + n);
  };
}

/** The smallest slot of a skeleton (its subtree's slots are contiguous from there). */
export function firstSlot(s: Skeleton): number {
  if (typeof s === "number") return s;
  let min = Infinity;
  for (const k in s) min = Math.min(min, firstSlot(s[k]!));
  return min;
}

/** `out = a` leaf for leaf (the same leaves in the same order, as `embed`'s result). */
export function copyKernel(site: KernelSite<unknown>, arg = 0): Kernel {
  const a = site.args[arg]!.offset,
    o = site.out.offset,
    n = site.out.layout.size;
  return (M) => {
    M.copyWithin(o, a, a + n);
  };
}

/** `out[p] = a[p]` on the result's paths (a gather: projections, restrictions). */
export function gatherKernel(site: KernelSite<unknown>, arg = 0): Kernel {
  const m = slotMap(site.out, site.args[arg]!);
  const a = site.args[arg]!.offset,
    o = site.out.offset;
  return (M) => {
    for (let i = 0; i < m.length; i++) M[o + i] = m[i]! >= 0 ? M[a + m[i]!]! : 0;
  };
}

// --- sums in the plain implementation's order --------------------------------------
// The plain `sumP` and `dotP` add subtree by subtree, and return a lone leaf as it is
// (so -0 stays -0); these plans replay exactly that order, for bit-identical results.

const OPEN = -1,
  CLOSE = -2;

/** The order in which `sumP` adds the leaves of a skeleton: slots, with OPEN/CLOSE around each subtree. */
export function sumPlan(s: Skeleton): Int32Array {
  const out: number[] = [];
  const visit = (x: Skeleton): void => {
    if (typeof x === "number") {
      out.push(x);
      return;
    }
    out.push(OPEN);
    for (const k in x) visit(x[k]!);
    out.push(CLOSE);
  };
  visit(s);
  return Int32Array.from(out);
}

/** Σ f(leaf) over a region in the order of `plan` (see {@link sumPlan}). */
export function runSumPlan(
  plan: Int32Array,
  M: Float64Array,
  offset: number,
  f: (x: number) => number,
  stack: Float64Array,
): number {
  if (plan.length === 1) return f(M[offset + plan[0]!]!);
  let sp = 0,
    result = 0;
  stack[0] = 0;
  for (let k = 0; k < plan.length; k++) {
    const c = plan[k]!;
    if (c >= 0) stack[sp] = stack[sp]! + f(M[offset + c]!);
    else if (c === OPEN) stack[++sp] = 0;
    else {
      const v = stack[sp--]!;
      if (sp === 0) result = v;
      else stack[sp] = stack[sp]! + v;
    }
  }
  return result;
}

/** The deepest nesting of a plan (the stack it needs). */
export function planDepth(plan: Int32Array, step = 1): number {
  let d = 0,
    max = 0;
  for (let k = 0; k < plan.length; k += step) {
    if (plan[k] === OPEN) max = Math.max(max, ++d);
    else if (plan[k] === CLOSE) d--;
  }
  return max + 1;
}

/** A reduction in `sumP`'s order: `post(Σ f(leaf))`. */
export function sumKernel(
  site: KernelSite<unknown>,
  f: (x: number) => number,
  post: (s: number) => number = (s) => s,
): Kernel {
  const r = site.args[0]!,
    o = site.out.offset;
  const plan = sumPlan(r.layout.skeleton);
  const stack = new Float64Array(planDepth(plan) + 1);
  return (M) => {
    M[o] = post(runSumPlan(plan, M, r.offset, f, stack));
  };
}

const PRODUCT = 0,
  ZERO = 1;

/** `dotP`'s order on two skeletons, as [code, slot in a, slot in b] triples. */
export function dotPlan(sa: Skeleton, sb: Skeleton): Int32Array {
  const out: number[] = [];
  const countUpTo = (t: object, limit: number): number => {
    let n = 0;
    for (const _ in t) if (++n >= limit) break;
    return n;
  };
  // mirrors dotP(a, b); `swapped` when a is b's side
  const value = (a: Skeleton, b: Skeleton, swapped: boolean): void => {
    if (typeof a === "number") {
      if (typeof b === "number") {
        out.push(PRODUCT, swapped ? b : a, swapped ? a : b);
        return;
      }
      const bn = Object.hasOwn(b, NUMBER_KEY) ? b[NUMBER_KEY] : undefined;
      if (bn === undefined) out.push(ZERO, 0, 0);
      else value(a, bn, swapped);
      return;
    }
    if (typeof b === "number") {
      value(b, a, !swapped);
      return;
    }
    out.push(OPEN, 0, 0);
    let small = a,
      big = b,
      sw = swapped;
    if (countUpTo(a, 8) > countUpTo(b, 8)) {
      small = b;
      big = a;
      sw = !swapped;
    }
    for (const k in small) {
      if (!Object.hasOwn(big, k)) continue;
      const x = small[k]!,
        y = big[k]!;
      if (typeof x === "number" && typeof y === "number") out.push(PRODUCT, sw ? y : x, sw ? x : y);
      else value(x, y, sw);
    }
    out.push(CLOSE, 0, 0);
  };
  value(sa, sb, false);
  return Int32Array.from(out);
}

/** `⟨a, b⟩` in `dotP`'s order. */
export function dotKernel(site: KernelSite<unknown>): Kernel {
  const [ra, rb] = site.args as [Region, Region];
  const plan = dotPlan(ra.layout.skeleton, rb.layout.skeleton);
  const stack = new Float64Array(planDepth(plan, 3) + 1);
  const A = ra.offset,
    B = rb.offset,
    o = site.out.offset;
  return (M) => {
    let sp = 0,
      result = 0;
    stack[0] = 0;
    for (let k = 0; k < plan.length; k += 3) {
      const c = plan[k]!;
      let v: number;
      if (c === OPEN) {
        stack[++sp] = 0;
        continue;
      } else if (c === CLOSE) v = stack[sp--]!;
      else if (c === PRODUCT) v = M[A + plan[k + 1]!]! * M[B + plan[k + 2]!]!;
      else v = 0;
      if (sp === 0) result = v;
      else stack[sp] = stack[sp]! + v;
    }
    M[o] = result;
  };
}
