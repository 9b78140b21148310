/**
 * New values of the same structure: a V-value's key paths, key order, kinds (a number
 * versus a tree, `{":number": x}` included) and prototypes kept, its leaves replaced.
 * Written here rather than taken from src/, so that a structure bug in vgrad cannot
 * hide in the helper that the jit properties use to replay on new values.
 */
import fc from "fast-check";
import type { VValue } from "../../src/index.js";

const own = (t: object): string[] => Object.keys(t);

/** A tree with `entries` as own data properties (safe for "__proto__"), with `proto`. */
function makeTree(entries: ReadonlyArray<readonly [string, VValue]>, proto: object | null): VValue {
  const t = Object.create(proto) as Record<string, VValue>;
  for (const [k, v] of entries)
    Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
  return t as VValue;
}

/** How many leaves `v` has. */
export function countLeaves(v: VValue): number {
  if (typeof v === "number") return 1;
  let n = 0;
  for (const k of own(v)) n += countLeaves(v[k]!);
  return n;
}

/**
 * `v` with leaf number i (depth first, in key order) replaced by `f(x, i)`; when `f`
 * returns undefined the leaf is left out (its tree stays, possibly empty).
 */
export function mapLeavesOf(v: VValue, f: (x: number, i: number) => number | undefined): VValue | undefined {
  let i = 0;
  const visit = (x: VValue): VValue | undefined => {
    if (typeof x === "number") return f(x, i++);
    const entries: Array<[string, VValue]> = [];
    for (const k of own(x)) {
      const y = visit(x[k]!);
      if (y !== undefined) entries.push([k, y]);
    }
    return makeTree(entries, Object.getPrototypeOf(x) as object | null);
  };
  return visit(v);
}

/** `v`'s structure with the leaves `xs` (used cyclically when there are more leaves). */
export function withLeaves(v: VValue, xs: readonly number[]): VValue {
  if (xs.length === 0) throw new RangeError("withLeaves: no leaves given");
  return mapLeavesOf(v, (_x, i) => xs[i % xs.length]!)!;
}

/**
 * `v` with the leaves at which `keep` (cycled) is false left out; at least one leaf is
 * always left out when `v` has any (a number becomes `{}`).
 */
export function sparsify(v: VValue, keep: readonly boolean[]): VValue {
  const n = countLeaves(v);
  const dropAll = keep.every((k) => k);
  const out = mapLeavesOf(v, (x, i) => ((dropAll ? i === 0 : !keep[i % keep.length]) ? undefined : x));
  return out === undefined || n === 0 ? {} : out;
}

/** Values with exactly `v`'s structure and fresh leaves drawn from `leaf`. */
export function relabelArb(v: VValue, leaf: fc.Arbitrary<number>): fc.Arbitrary<VValue> {
  const n = countLeaves(v);
  if (n === 0) return fc.constant(v);
  return fc.array(leaf, { minLength: n, maxLength: n }).map((xs) => withLeaves(v, xs));
}

/**
 * What jit's cache is keyed on, computed independently: each argument's trees, own
 * keys in order and kinds (leaf values and prototypes left out).
 */
export function structureKey(args: readonly VValue[]): string {
  const skeleton = (x: VValue): unknown => (typeof x === "number" ? "#" : own(x).map((k) => [k, skeleton(x[k]!)]));
  return JSON.stringify(args.map(skeleton));
}
