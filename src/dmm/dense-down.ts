/**
 * The fast path of the down movement: when every source value is flat (a number or
 * a tree of numbers, as in DMM Lite), links are compiled once per matrix into index
 * arrays and each cycle is a dense product over the few keys that occur.
 */
import { child, newTree, numberPart, type MutableTree } from "../vvalue/tree.js";
import type { VTree, VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { linksOf } from "./builders.js";
import { SparseCotangent } from "../ad/cotangent.js";
import { axpyInto } from "../vvalue/algebra.js";

/**
 * The soft matrix's cotangent of one cycle, packed in link order: the cycles' packed
 * cotangents sum in place in their Float64Arrays and unpack into a tree once.
 */
class PackedCotangent extends SparseCotangent {
  constructor(
    readonly data: Float64Array,
    readonly c: Compiled,
  ) {
    super();
  }

  override get packed(): boolean {
    return true;
  }

  override absorb(other: SparseCotangent): boolean {
    if (!(other instanceof PackedCotangent) || other.c !== this.c) return false;
    const a = this.data,
      b = other.data;
    for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
    return true;
  }

  addInto(acc: MutableTree): void {
    axpyInto(acc, 1, this.toVValue());
  }

  override toVValue(): VValue {
    let unpack = unpackers.get(this.c);
    if (unpack === undefined) unpackers.set(this.c, (unpack = unpackSoft(this.c)));
    return unpack(this.data);
  }
}

/** A matrix (soft, then hard) compiled to index arrays over target and source fields. */
export interface Compiled {
  targets: Array<[string, string]>;
  sources: Array<[string, string]>;
  tgt: Int32Array;
  src: Int32Array;
  w: Float64Array;
  /** Links [0, softCount) are soft (their gradient is wanted), the rest hard. */
  softCount: number;
  /** The soft matrix `w` was read from. */
  soft: VValue;
}

/**
 * The link weights for `soft`, a matrix of the compiled one's structure: `c.w` when it
 * is that matrix, else a copy with the soft part read from `soft` (a jit replay passes
 * new weights in the same structure).
 */
export function linkWeights(c: Compiled, soft: VValue): Float64Array {
  if (soft === c.soft || typeof soft === "number") return c.w;
  const w = c.w.slice();
  let l = 0;
  for (const t in soft) {
    const mt = soft[t]!;
    if (typeof mt === "number") continue;
    for (const f in mt) {
      const mtf = mt[f]!;
      if (typeof mtf === "number") continue;
      for (const s in mtf) {
        const links = mtf[s]!;
        if (typeof links === "number") continue;
        for (const sf in links) w[l++] = links[sf] as number;
      }
    }
  }
  if (l !== c.softCount)
    throw new RangeError(`downMovement: the soft matrix has ${l} links where ${c.softCount} were compiled`);
  return w;
}

const cache = new WeakMap<object, WeakMap<object, Compiled>>();

function compile(soft: VValue, hard: VValue): Compiled {
  const tIndex = new Map<string, number>(),
    sIndex = new Map<string, number>();
  const targets: Array<[string, string]> = [],
    sources: Array<[string, string]> = [];
  const softLinks = linksOf(soft);
  const links = [...softLinks, ...linksOf(hard)];
  const tgt = new Int32Array(links.length),
    src = new Int32Array(links.length),
    w = new Float64Array(links.length);
  links.forEach(([t, f, s, sf, weight], l) => {
    const tk = JSON.stringify([t, f]),
      sk = JSON.stringify([s, sf]);
    let ti = tIndex.get(tk);
    if (ti === undefined) {
      tIndex.set(tk, (ti = targets.length));
      targets.push([t, f]);
    }
    let si = sIndex.get(sk);
    if (si === undefined) {
      sIndex.set(sk, (si = sources.length));
      sources.push([s, sf]);
    }
    tgt[l] = ti;
    src[l] = si;
    w[l] = weight;
  });
  return { targets, sources, tgt, src, w, softCount: softLinks.length, soft };
}

/** The compiled form of (soft, hard), cached per matrix object. */
export function compiled(soft: VValue, hard: VValue): Compiled {
  const sk = typeof soft === "number" ? compileKeyNumber : soft;
  const hk = typeof hard === "number" ? compileKeyNumber : hard;
  let inner = cache.get(sk);
  if (inner === undefined) cache.set(sk, (inner = new WeakMap()));
  let c = inner.get(hk);
  if (c === undefined) inner.set(hk, (c = compile(soft, hard)));
  return c;
}
const compileKeyNumber = {};

/** Source values gathered densely: Y[j*K + k], presence P[j*K + k], and which exist. */
interface Gathered {
  keys: string[];
  index: Map<string, number>;
  K: number;
  Y: Float64Array;
  P: Uint8Array;
  exists: Uint8Array;
  isNumber: Uint8Array;
  /** CSR lists of each source's present keys: keys of j are kList[kStart[j] .. kStart[j+1]). */
  kStart: Int32Array;
  kList: Int32Array;
}

/** Gathers the source values (in `c.sources` order), or null when one is nested. */
function gather(values: ReadonlyArray<VValue | undefined>): Gathered | null {
  const n = values.length;
  const index = new Map<string, number>();
  const keys: string[] = [];
  for (let j = 0; j < n; j++) {
    const v = values[j];
    if (v === undefined) continue;
    if (typeof v === "number") {
      if (!index.has(NUMBER_KEY)) {
        index.set(NUMBER_KEY, keys.length);
        keys.push(NUMBER_KEY);
      }
      continue;
    }
    for (const k in v) {
      if (typeof v[k] !== "number") return null;
      if (!index.has(k)) {
        index.set(k, keys.length);
        keys.push(k);
      }
    }
  }
  const K = keys.length;
  const Y = new Float64Array(n * K),
    P = new Uint8Array(n * K),
    exists = new Uint8Array(n),
    isNumber = new Uint8Array(n);
  const kStart = new Int32Array(n + 1);
  const kList: number[] = [];
  for (let j = 0; j < n; j++) {
    kStart[j] = kList.length;
    const v = values[j];
    if (v === undefined) continue;
    exists[j] = 1;
    if (typeof v === "number") {
      const k = index.get(NUMBER_KEY)!;
      Y[j * K + k] = v;
      P[j * K + k] = 1;
      isNumber[j] = 1;
      kList.push(k);
      continue;
    }
    for (const key in v) {
      const k = index.get(key)!;
      Y[j * K + k] = v[key] as number;
      P[j * K + k] = 1;
      kList.push(k);
    }
  }
  kStart[n] = kList.length;
  return { keys, index, K, Y, P, exists, isNumber, kStart, kList: Int32Array.from(kList) };
}

/** Dense forward over flat source values, or null when one is nested. */
export function denseForward(c: Compiled, values: ReadonlyArray<VValue | undefined>, w: Float64Array): VTree | null {
  const g = gather(values);
  if (g === null) return null;
  const { K, Y, exists, kStart, kList } = g;
  const T = c.targets.length;
  const X = new Float64Array(T * K),
    XP = new Uint8Array(T * K),
    touched = new Uint8Array(T);
  const { tgt, src } = c;
  for (let l = 0; l < w.length; l++) {
    const j = src[l]!;
    if (!exists[j]) continue;
    const t = tgt[l]!,
      wl = w[l]!;
    touched[t] = 1;
    const xo = t * K,
      yo = j * K;
    for (let p = kStart[j]!, end = kStart[j + 1]!; p < end; p++) {
      const k = kList[p]!;
      X[xo + k] = X[xo + k]! + wl * Y[yo + k]!;
      XP[xo + k] = 1;
    }
  }
  const x = newTree();
  for (let t = 0; t < T; t++) {
    if (!touched[t]) continue;
    const [name, field] = c.targets[t]!;
    const xt = (x[name] as MutableTree | undefined) ?? (x[name] = newTree());
    const xf = newTree();
    for (let k = 0; k < K; k++) if (XP[t * K + k]) xf[g.keys[k]!] = X[t * K + k]!;
    xt[field] = xf;
  }
  return x;
}

/** Unpacks a soft-link gradient (in compiled link order) into a rank-4 tree. */
function unpackSoft(c: Compiled): (data: Float64Array) => VValue {
  return (WB) => {
    const out = newTree();
    for (let l = 0; l < c.softCount; l++) {
      const [name, field] = c.targets[c.tgt[l]!]!;
      const [s, sf] = c.sources[c.src[l]!]!;
      const ot = (out[name] as MutableTree | undefined) ?? (out[name] = newTree());
      const of = (ot[field] as MutableTree | undefined) ?? (ot[field] = newTree());
      const os = (of[s] as MutableTree | undefined) ?? (of[s] = newTree());
      os[sf] = WB[l]!;
    }
    return out;
  };
}

const unpackers = new WeakMap<Compiled, (data: Float64Array) => VValue>();

/**
 * Dense backward: the soft matrix's gradient, packed (summed in place over cycles by
 * the backward pass, unpacked once), and each source value's cotangent shaped like
 * it; or null when a value is nested.
 */
export function denseBackward(
  c: Compiled,
  values: ReadonlyArray<VValue | undefined>,
  xbar: VValue,
  needSoft: boolean,
  needValues: boolean,
  w: Float64Array,
): { softBar: SparseCotangent | null; valueBars: Array<VValue | undefined> } | null {
  const g = gather(values);
  if (g === null) return null;
  const { K, Y, P, exists, isNumber, index, kStart, kList } = g;
  const T = c.targets.length,
    S = c.sources.length;
  const XB = new Float64Array(T * K),
    hasXB = new Uint8Array(T);
  if (typeof xbar !== "number") {
    for (let t = 0; t < T; t++) {
      const [name, field] = c.targets[t]!;
      const xn = child(xbar, name);
      if (xn === undefined || typeof xn === "number") continue;
      const v = child(xn, field);
      if (v === undefined) continue;
      hasXB[t] = 1;
      if (typeof v === "number") {
        const k = index.get(NUMBER_KEY);
        if (k !== undefined) XB[t * K + k] = XB[t * K + k]! + v;
        continue;
      }
      for (const key in v) {
        const k = index.get(key);
        if (k === undefined) continue; // no source has this key: nothing here depends on it
        const gv = v[key]!;
        XB[t * K + k] = XB[t * K + k]! + (typeof gv === "number" ? gv : numberPart(gv));
      }
    }
  }
  const { tgt, src } = c;
  const WB = needSoft ? new Float64Array(c.softCount) : null;
  const YB = needValues ? new Float64Array(S * K) : null;
  const hasYB = new Uint8Array(S);
  for (let l = 0; l < w.length; l++) {
    const t = tgt[l]!,
      j = src[l]!;
    if (!hasXB[t] || !exists[j]) continue;
    const xo = t * K,
      yo = j * K,
      start = kStart[j]!,
      end = kStart[j + 1]!;
    if (WB !== null && l < c.softCount) {
      let d = 0;
      for (let p = start; p < end; p++) {
        const k = kList[p]!;
        d += XB[xo + k]! * Y[yo + k]!;
      }
      WB[l] = d;
    }
    if (YB !== null) {
      hasYB[j] = 1;
      const wl = w[l]!;
      for (let p = start; p < end; p++) {
        const k = kList[p]!;
        YB[yo + k] = YB[yo + k]! + wl * XB[xo + k]!;
      }
    }
  }
  const softBar = WB === null ? null : new PackedCotangent(WB, c);
  const valueBars: Array<VValue | undefined> = new Array(S);
  if (YB !== null) {
    for (let j = 0; j < S; j++) {
      if (!hasYB[j]) continue;
      if (isNumber[j]) {
        valueBars[j] = YB[j * K + index.get(NUMBER_KEY)!]!;
        continue;
      }
      const v = newTree();
      for (let k = 0; k < K; k++) if (P[j * K + k]) v[g.keys[k]!] = YB[j * K + k]!;
      valueBars[j] = v;
    }
  }
  return { softBar, valueBars };
}
