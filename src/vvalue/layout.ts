/**
 * Layouts: where each leaf of a V-value lives in a flat Float64Array. A layout is the
 * value's skeleton (its trees, kinds and key order) with each leaf replaced by its
 * slot, so `unflatten(layout, flatten(v).values)` rebuilds `v` exactly — empty
 * subtrees, numbers versus `{":number": x}` and key order included. Leaves are
 * numbered depth first, so every subtree occupies one contiguous range of slots.
 */
import { child, newTree, type MutableTree } from "./tree.js";
import { NUMBER_KEY, type VTree, type VValue } from "./types.js";
import { validate } from "./validate.js";

/** A skeleton: a slot number where the value has a leaf. */
export type Skeleton = number | { readonly [key: string]: Skeleton };

/** The layout of a V-value: its skeleton, its leaf count and a key that identifies it. */
export interface Layout {
  readonly skeleton: Skeleton;
  readonly size: number;
  /** Equal for two values exactly when their skeletons are equal. */
  readonly key: string;
}

/**
 * The layout of `v`: slots numbered depth first from 0.
 *
 * @example
 * layoutOf({ a: 1, b: { c: 2 } }).size; // 2
 */
export function layoutOf(v: VValue): Layout {
  const state = { n: 0 };
  const skeleton = skeletonOf(v, state);
  return { skeleton, size: state.n, key: layoutKey(v) };
}

function skeletonOf(x: VValue, state: { n: number }): Skeleton {
  if (typeof x === "number") return state.n++;
  const out: Record<string, Skeleton> = newTree() as never;
  for (const k in x) out[k] = skeletonOf(x[k]!, state);
  return out;
}

/**
 * `layoutOf(v).key` without building the skeleton (jit interns the layouts of every
 * traced value: most are ones it has seen). Keys are length-prefixed, so distinct key
 * lists never meet.
 *
 * @example
 * layoutKey({ a: 1, b: { c: 2 } }) === layoutOf({ a: 5, b: { c: 6 } }).key; // true
 */
export function layoutKey(v: VValue): string {
  if (typeof v === "number") return "#";
  let key = "{";
  for (const k in v) key += k.length + ":" + k + layoutKey(v[k]!) + ",";
  return key + "}";
}

/**
 * The leaves of `v` as a Float64Array, depth first in key order, with its layout:
 * `unflatten(layout, values)` rebuilds `v` exactly (key order, empty subtrees, a number
 * versus `{":number": x}`). Layouts are jit's: `layout.key` is the structure `jit`
 * compiles one program for, so values of one key can share flat code and buffers.
 * Throws `validate`'s TypeError (naming the path) for what is not a V-value.
 *
 * @example
 * flatten({ a: 1, b: { c: 2 } }).values;                // Float64Array [1, 2]
 * flatten({ b: { c: 5 }, a: 6 }).layout.key === flatten({ b: { c: 1 }, a: 2 }).layout.key; // true
 * flatten({ a: 1, b: 2 }).layout.key === flatten({ b: 2, a: 1 }).layout.key;               // false (key order)
 */
export function flatten(v: VValue): { values: Float64Array; layout: Layout } {
  validate(v, { name: "flatten: value" });
  const layout = layoutOf(v);
  const values = new Float64Array(layout.size);
  writeLeaves(v, values, 0);
  return { values, layout };
}

/** Writes the leaves of `v` (of the layout it has) into `out` from `offset`; returns the next offset. */
export function writeLeaves(v: VValue, out: Float64Array, offset: number): number {
  if (typeof v === "number") {
    out[offset] = v;
    return offset + 1;
  }
  let o = offset;
  for (const k in v) {
    const x = v[k]!;
    if (typeof x === "number") out[o++] = x;
    else o = writeLeaves(x, out, o);
  }
  return o;
}

/**
 * The V-value of `layout` whose leaves are `values[offset + slot]`, made of vgrad's
 * trees (every key is data). Throws a RangeError when `values` holds fewer than
 * `offset + layout.size` numbers, or `offset` is not a valid index (for a layout with leaves).
 *
 * @example
 * const { values, layout } = flatten({ a: 1, b: { c: 2 } });
 * unflatten(layout, values);                           // { a: 1, b: { c: 2 } }
 * unflatten(layout, values.map((x) => 10 * x));        // { a: 10, b: { c: 20 } }
 * unflatten(layout, [0, 0, 7, 8], 2);                  // { a: 7, b: { c: 8 } }
 */
export function unflatten(layout: Layout, values: ArrayLike<number>, offset = 0): VValue {
  // a layout without leaves reads nothing, wherever it starts (jit places some at Infinity)
  if (layout.size > 0) {
    if (!(Number.isInteger(offset) && offset >= 0)) {
      throw new RangeError(`unflatten: offset must be an integer >= 0, got ${String(offset)}`);
    }
    if (!(values.length >= offset + layout.size)) {
      throw new RangeError(
        `unflatten: the layout has ${layout.size} leaves but values holds ${values.length - offset} from offset ${offset}`,
      );
    }
  }
  return build(layout.skeleton, values, offset);
}

/** A skeleton node's keys, listed once (a replay rebuilds the same trees on every call). */
const skeletonKeys = new WeakMap<object, string[]>();

function build(s: Skeleton, values: ArrayLike<number>, offset: number): VValue {
  if (typeof s === "number") return values[offset + s]!;
  let ks = skeletonKeys.get(s);
  if (ks === undefined) skeletonKeys.set(s, (ks = Object.keys(s)));
  const out: MutableTree = newTree();
  for (let i = 0; i < ks.length; i++) {
    const k = ks[i]!;
    const c = s[k]!;
    out[k] = typeof c === "number" ? values[offset + c]! : build(c, values, offset);
  }
  return out;
}

/**
 * A key path as one string: each key after a "\u0000", so that distinct paths (`[]`
 * and `[""]` included) never meet.
 */
export function encodePath(path: readonly string[]): string {
  let s = "";
  for (const k of path) s += "\u0000" + k;
  return s;
}

/**
 * Each leaf's slot by its normalized path: the key path with trailing ":number" keys
 * dropped, so that a number and `{":number": x}` at the same place share a path (as
 * they are the same vector). Keys are {@link encodePath}'s.
 */
export function slotsByPath(layout: Layout): ReadonlyMap<string, number> {
  let out = byPathCache.get(layout);
  if (out === undefined) byPathCache.set(layout, (out = computeSlotsByPath(layout)));
  return out;
}

const byPathCache = new WeakMap<Layout, Map<string, number>>();
const keysCache = new WeakMap<Layout, string[]>();

function computeSlotsByPath(layout: Layout): Map<string, number> {
  const out = new Map<string, number>();
  const path: string[] = [];
  const visit = (s: Skeleton): void => {
    if (typeof s === "number") {
      let end = path.length;
      while (end > 0 && path[end - 1] === NUMBER_KEY) end--;
      out.set(encodePath(path.slice(0, end)), s);
      return;
    }
    for (const k in s) {
      path.push(k);
      visit(s[k]!);
      path.pop();
    }
  };
  visit(layout.skeleton);
  return out;
}

/** The slots of `layout` in order with their normalized path keys (see {@link slotsByPath}). */
export function pathKeys(layout: Layout): readonly string[] {
  let keys = keysCache.get(layout);
  if (keys === undefined) {
    keys = new Array<string>(layout.size);
    for (const [k, slot] of slotsByPath(layout)) keys[slot] = k;
    keysCache.set(layout, keys);
  }
  return keys;
}

/** The sub-skeleton at `path` of a skeleton (undefined when absent), reading through ":number" of a leaf. */
export function skeletonAt(s: Skeleton, path: readonly string[]): Skeleton | undefined {
  let cur: Skeleton = s;
  for (const k of path) {
    if (typeof cur === "number") {
      if (k !== NUMBER_KEY) return undefined;
      continue;
    }
    const next = child(cur as VTree as never, k) as Skeleton | undefined;
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}
