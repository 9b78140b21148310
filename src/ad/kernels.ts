/**
 * Building flat kernels (see `Primitive.lower`): index maps between the layouts of
 * an operation's arguments and result, matched by normalized key path (a number and
 * `{":number": x}` at the same place share a path, as they are the same vector).
 */
import type { Kernel, KernelSite, Region } from "./primitive.js";
import { pathKeys, skeletonAt, slotsByPath, type Skeleton } from "../vvalue/layout.js";

/** `out[i] = f(a[i])`: the result has its argument's layout (leafwise operations). */
export function leafwiseKernel(site: KernelSite<unknown>, f: (x: number) => number, arg = 0): Kernel {
  const a = site.args[arg]!.offset, o = site.out.offset, n = site.out.layout.size;
  return (M) => {
    for (let i = 0; i < n; i++) M[o + i] = f(M[a + i]!);
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
  const ma = slotMap(site.out, ra), mb = slotMap(site.out, rb);
  const a = ra.offset, b = rb.offset, o = site.out.offset, n = ma.length;
  return (M) => {
    for (let i = 0; i < n; i++) {
      const ia = ma[i]!, ib = mb[i]!;
      M[o + i] = ia >= 0 ? (ib >= 0 ? both(M[a + ia]!, M[b + ib]!) : onlyA(M[a + ia]!)) : ib >= 0 ? onlyB(M[b + ib]!) : 0;
    }
  };
}

/** `out = Σ_p a[p]·b[p]` over the paths both have. */
export function dotKernel(site: KernelSite<unknown>): Kernel {
  const [ra, rb] = site.args as [Region, Region];
  const byPath = slotsByPath(rb.layout);
  const ia: number[] = [], ib: number[] = [];
  pathKeys(ra.layout).forEach((k, i) => {
    const j = byPath.get(k);
    if (j !== undefined) {
      ia.push(ra.offset + i);
      ib.push(rb.offset + j);
    }
  });
  const A = Int32Array.from(ia), B = Int32Array.from(ib), o = site.out.offset;
  return (M) => {
    let s = 0;
    for (let i = 0; i < A.length; i++) s += M[A[i]!]! * M[B[i]!]!;
    M[o] = s;
  };
}

/** `out = reduce(a[0..n))` into one slot. */
export function reduceKernel(site: KernelSite<unknown>, reduce: (M: Float64Array, from: number, to: number) => number): Kernel {
  const a = site.args[0]!.offset, n = site.args[0]!.layout.size, o = site.out.offset;
  return (M) => {
    M[o] = reduce(M, a, a + n);
  };
}

/** Copies the argument's leaves at `path` (a contiguous range), or writes 0 where there is none. */
export function subtreeKernel(site: KernelSite<unknown>, path: readonly string[]): Kernel {
  const r = site.args[0]!, o = site.out.offset, n = site.out.layout.size;
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
  const a = site.args[arg]!.offset, o = site.out.offset, n = site.out.layout.size;
  return (M) => {
    M.copyWithin(o, a, a + n);
  };
}

/** `out[p] = a[p]` on the result's paths (a gather: projections, restrictions). */
export function gatherKernel(site: KernelSite<unknown>, arg = 0): Kernel {
  const m = slotMap(site.out, site.args[arg]!);
  const a = site.args[arg]!.offset, o = site.out.offset;
  return (M) => {
    for (let i = 0; i < m.length; i++) M[o + i] = m[i]! >= 0 ? M[a + m[i]!]! : 0;
  };
}
