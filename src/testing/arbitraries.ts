/**
 * fast-check arbitraries for V-values. By default they reach for the corners that
 * break tree code: keys such as "__proto__", "constructor", "toString", "", "0",
 * ":number" and emoji; zero leaves, repeated leaves (ties), empty trees and empty
 * subtrees; both plain and null-prototype objects.
 */
import { fc } from "./fast-check.js";
import { leaves } from "../vvalue/leaves.js";
import { NUMBER_KEY, type VTree, type VValue } from "../vvalue/types.js";

/**
 * The keys that most often expose prototype or number-key bugs; {@link keyArb} mixes
 * them in.
 *
 * @example
 * fc.assert(fc.property(fc.constantFrom(...SPECIAL_KEYS), (k) => get({}, k) === 0));
 */
export const SPECIAL_KEYS: readonly string[] = Object.freeze([
  "__proto__",
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "",
  "0",
  "1",
  NUMBER_KEY,
  "😀",
  "a.b",
  " ",
]);

/** Options of {@link leafArb}. */
export interface LeafOptions {
  /** Smallest leaf (default -4). */
  min?: number;
  /** Largest leaf (default 4). */
  max?: number;
  /**
   * Also draw from a few fixed values (0, ±1, ±0.5 when in range, and min and max),
   * so that zeros and ties (equal leaves) are common. Default true.
   */
  specialValues?: boolean;
}

/**
 * Finite leaves in `[min, max]`, with zeros and repeated values (ties) mixed in.
 *
 * @example
 * fc.sample(leafArb({ min: 0.1, max: 5 }), 5); // e.g. [0.5, 3.27, 1, 0.5, 4.9]
 */
export function leafArb(options: LeafOptions = {}): fc.Arbitrary<number> {
  const min = options.min ?? -4;
  const max = options.max ?? 4;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) {
    throw new RangeError(`leafArb: need finite min <= max, got [${min}, ${max}]`);
  }
  // fast-check's doubles favour extremes (tiny, subnormal, bounds); an even spread too
  const double = fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
  const spread = fc.integer({ min: 0, max: 1 << 20 }).map((i) => min + ((max - min) * i) / (1 << 20));
  const fixed = [0, 1, -1, 0.5, -0.5, min, max].filter((x, i, all) => x >= min && x <= max && all.indexOf(x) === i);
  const parts: Array<fc.WeightedArbitrary<number>> = [
    { weight: 2, arbitrary: double },
    { weight: 3, arbitrary: spread },
  ];
  if (options.specialValues !== false && fixed.length > 0)
    parts.push({ weight: 2, arbitrary: fc.constantFrom(...fixed) });
  return fc.oneof(...parts);
}

/** Options of {@link keyArb}. */
export interface KeyOptions {
  /** Mix in {@link SPECIAL_KEYS} (default true). */
  specialKeys?: boolean;
  /** Extra keys to draw from (useful to make two trees share keys). */
  pool?: readonly string[];
}

/**
 * Tree keys: short strings from a small alphabet (so that independently drawn trees
 * share keys often), plus the special keys.
 *
 * @example
 * fc.sample(keyArb(), 5); // e.g. ["a", "__proto__", "bc", "", "😀"]
 */
export function keyArb(options: KeyOptions = {}): fc.Arbitrary<string> {
  const plain = fc.string({ unit: fc.constantFrom("a", "b", "c", "x"), minLength: 1, maxLength: 2 });
  const parts: Array<fc.WeightedArbitrary<string>> = [{ weight: 3, arbitrary: plain }];
  if (options.specialKeys !== false) parts.push({ weight: 2, arbitrary: fc.constantFrom(...SPECIAL_KEYS) });
  if (options.pool !== undefined && options.pool.length > 0) {
    parts.push({ weight: 2, arbitrary: fc.constantFrom(...options.pool) });
  }
  return fc.oneof(...parts);
}

/** Options of {@link vvalueArb} and {@link vtreeArb}. */
export interface VValueOptions extends KeyOptions {
  /** Maximum nesting of trees (default 3; 0 gives bare numbers / empty trees). */
  maxDepth?: number;
  /** Maximum keys per tree (default 4). */
  maxKeys?: number;
  /** The leaves (default {@link leafArb}()). */
  leaf?: fc.Arbitrary<number>;
  /**
   * Prototype of the generated objects: "plain" (`{}`, keys like "__proto__" defined
   * as own data properties), "null" (`Object.create(null)`) or "mixed" (default).
   */
  prototype?: "plain" | "null" | "mixed";
  /**
   * Allow trees (not just numbers) under the reserved ":number" key (default false:
   * a tree's ":number" part is a scalar).
   */
  treesUnderNumberKey?: boolean;
}

/**
 * Random V-values: bare numbers or trees, with special keys, zeros, ties, empty trees
 * and empty subtrees.
 *
 * @example
 * fc.assert(fc.property(vvalueArb(), (v) => equals(add(v, neg(v)), {})));
 */
export function vvalueArb(options: VValueOptions = {}): fc.Arbitrary<VValue> {
  const leaf = options.leaf ?? leafArb();
  return fc.oneof({ weight: 1, arbitrary: leaf }, { weight: 3, arbitrary: vtreeArb(options) });
}

/**
 * Random trees (never a bare number at the top; possibly `{}`).
 *
 * @example
 * fc.assert(fc.property(vtreeArb({ maxDepth: 2 }), (t) => typeof t === "object"));
 */
export function vtreeArb(options: VValueOptions = {}): fc.Arbitrary<VTree> {
  const maxDepth = options.maxDepth ?? 3;
  const maxKeys = options.maxKeys ?? 4;
  const leaf = options.leaf ?? leafArb();
  const key = keyArb(options);
  const proto = options.prototype ?? "mixed";
  const nullProto: fc.Arbitrary<boolean> = proto === "mixed" ? fc.boolean() : fc.constant(proto === "null");
  const treeAt = (depth: number): fc.Arbitrary<VTree> => {
    const childArb = (k: string): fc.Arbitrary<VValue> =>
      depth <= 1 || (k === NUMBER_KEY && options.treesUnderNumberKey !== true)
        ? leaf
        : fc.oneof({ weight: 2, arbitrary: leaf }, { weight: 1, arbitrary: treeAt(depth - 1) });
    const entries = fc
      .uniqueArray(key, { maxLength: maxKeys })
      .chain((ks) => fc.tuple(...ks.map((k) => childArb(k).map((v) => [k, v] as const))));
    return fc.tuple(entries, nullProto).map(([es, np]) => makeTree(es, np));
  };
  if (maxDepth <= 0) return nullProto.map((np) => makeTree([], np));
  return treeAt(maxDepth);
}

/** Options of {@link vvaluePairArb}. */
export interface PairOptions extends VValueOptions {
  /**
   * "same": `b` has exactly the key paths of `a`. "overlap" (default): `b` keeps a
   * random part of `a`'s key paths and adds keys of its own, and either may be a bare
   * number meeting a tree.
   */
  shape?: "same" | "overlap";
}

/**
 * Pairs of V-values that share key paths, for binary operations.
 *
 * @example
 * fc.assert(fc.property(vvaluePairArb({ shape: "same" }), ([a, b]) => equals(add(a, b), add(b, a))));
 */
export function vvaluePairArb(options: PairOptions = {}): fc.Arbitrary<[VValue, VValue]> {
  const leaf = options.leaf ?? leafArb();
  const first = vvalueArb(options);
  if (options.shape === "same")
    return first.chain((a) => shapedLikeArb(a, leaf).map((b) => [a, b] as [VValue, VValue]));
  return first.chain((a) =>
    fc
      .tuple(overlapArb(a, leaf, options), fc.boolean())
      .map(([b, swap]) => (swap ? [b, a] : [a, b]) as [VValue, VValue]),
  );
}

/**
 * V-values with exactly the key paths of `v` and fresh leaves (a number for a number).
 *
 * @example
 * fc.sample(shapedLikeArb({ a: 1, b: { c: 2 } }), 1); // e.g. [{ a: -0.3, b: { c: 1 } }]
 */
export function shapedLikeArb(v: VValue, leaf: fc.Arbitrary<number> = leafArb()): fc.Arbitrary<VValue> {
  const n = leaves(v).length;
  return fc.tuple(...Array.from({ length: n }, () => leaf)).map((xs) => rebuild(v, xs));
}

/** `b` sharing some of `a`'s key paths, with extra keys of its own. */
function overlapArb(a: VValue, leaf: fc.Arbitrary<number>, options: VValueOptions): fc.Arbitrary<VValue> {
  const extra = vvalueArb({ ...options, maxDepth: Math.min(options.maxDepth ?? 3, 2) });
  const proto = options.prototype ?? "mixed";
  const nullProto: fc.Arbitrary<boolean> = proto === "mixed" ? fc.boolean() : fc.constant(proto === "null");
  if (typeof a === "number") {
    return fc.oneof(
      leaf,
      fc.tuple(leaf, extra, nullProto).map(([x, e, np]) => withPrototype(mergeInto({ [NUMBER_KEY]: x }, e), np)),
    );
  }
  const paths = leaves(a).map(([p]) => p);
  return fc
    .tuple(fc.tuple(...paths.map(() => fc.option(leaf, { nil: undefined, freq: 3 }))), extra, nullProto)
    .map(([xs, e, np]) => {
      const kept: Array<[string[], number]> = [];
      paths.forEach((p, i) => {
        const x = xs[i];
        if (x !== undefined) kept.push([p, x]);
      });
      return withPrototype(mergeInto(fromLeaves(kept), e), np);
    });
}

/** A copy of `v` whose trees all have a null prototype, or all `Object.prototype`. */
function withPrototype(v: VValue, nullPrototype: boolean): VValue {
  if (typeof v === "number") return v;
  return makeTree(
    Object.keys(v).map((k) => [k, withPrototype(v[k]!, nullPrototype)] as const),
    nullPrototype,
  );
}

/** Adds `extra`'s keys that `t` lacks (a number `extra` only where `t` has no ":number"). */
function mergeInto(t: VTree, extra: VValue): VValue {
  const out: Record<string, VValue> = Object.create(null);
  for (const k of Object.keys(t)) out[k] = t[k]!;
  if (typeof extra === "number") {
    if (!Object.prototype.hasOwnProperty.call(out, NUMBER_KEY)) out[NUMBER_KEY] = extra;
  } else {
    for (const k of Object.keys(extra)) if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = extra[k]!;
  }
  return out;
}

function fromLeaves(entries: ReadonlyArray<[string[], number]>): VTree {
  const root: Record<string, VValue> = Object.create(null);
  for (const [p, x] of entries) {
    let t = root;
    for (let i = 0; i < p.length - 1; i++) {
      const k = p[i]!;
      if (!Object.prototype.hasOwnProperty.call(t, k)) t[k] = Object.create(null) as VTree;
      t = t[k] as Record<string, VValue>;
    }
    if (p.length > 0) t[p[p.length - 1]!] = x;
  }
  return root;
}

/** `v` with its leaves (in `leaves` order) replaced by `xs`, keeping the prototypes. */
function rebuild(v: VValue, xs: readonly number[]): VValue {
  let i = 0;
  const visit = (x: VValue): VValue => {
    if (typeof x === "number") return xs[i++]!;
    const entries = Object.keys(x).map((k) => [k, visit(x[k]!)] as const);
    return makeTree(entries, Object.getPrototypeOf(x) === null);
  };
  return visit(v);
}

/** Builds a tree with the given own keys, safely for "__proto__". */
function makeTree(entries: ReadonlyArray<readonly [string, VValue]>, nullPrototype: boolean): VTree {
  const t: Record<string, VValue> = nullPrototype ? Object.create(null) : {};
  for (const [k, v] of entries) {
    Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return t;
}
