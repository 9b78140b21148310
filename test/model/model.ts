/**
 * A reference model of vgrad's documented semantics (README.md, docs/guide.md, the
 * operations' TSDoc), written from those docs alone: it imports nothing from src/ and
 * is deliberately simple and slow.
 *
 * A value is a flat map from key paths to leaves. A bare number x is the vector
 * {":number": x}, so a path is normalised by dropping its trailing ":number" segments
 * (`3`, `{":number": 3}` and `{":number": {":number": 3}}` all hold one leaf at `[]`);
 * a ":number" key that holds a tree is an ordinary key. The leaf set (the normalised
 * paths, explicit zeros included) is the value's structure: leafwise operations act on
 * present leaves only, so structure is observable (`exp({})` is `{}`, `exp(0)` is 1).
 *
 * Empty subtrees hold no leaves and are invisible to every operation but one: `get`
 * returns an empty subtree as `{}` and a missing key as the number 0. So a value also
 * lists its "hollow" paths, the raw tree paths of its leafless subtrees: exactly for
 * inputs and object literals, and for results of operations (whose empty subtrees the
 * docs do not fix) as a superset of where one may be. A `get` whose answer depends on
 * that unknown throws {@link AmbiguousStructure}.
 *
 * Each leaf also carries what comparing against an independent implementation needs:
 * - `exact`: the leaf comes from single correctly rounded IEEE operations (+ − × ÷ √,
 *   negation, comparisons; sums of at most two terms, whose order cannot matter) on
 *   exact leaves, so every correct implementation gets the same bits;
 * - `m`: an error scale (always ≥ |x|, the magnitude of the terms the leaf was computed
 *   from): if every argument of an operation is within {@link TOLERANCE}·m of the
 *   model's, so is its result. A correct implementation that sums in another order or
 *   evaluates a function another way is off by a few ε·m per operation, far inside
 *   that. `m` is Infinity where the leaf is not determined to that precision (the
 *   logarithm of a value within rounding of 0, say).
 */

/** The relative precision (≈ 4500 ε) that the error scales `m` are built for. */
export const TOLERANCE = 1e-12;

export const NUMBER_KEY = ":number";

export type Path = readonly string[];

/** One leaf: its value `x`, its error scale `m` and whether it is `exact`. */
export interface Leaf {
  readonly x: number;
  readonly m: number;
  readonly exact: boolean;
}

/** A modelled V-value. */
export interface MValue {
  /** Normalised path (as {@link pathKey}) → leaf. */
  readonly leaves: ReadonlyMap<string, Leaf>;
  /** Raw tree paths of leafless subtrees (for an inexact value: where one may be). */
  readonly hollow: readonly Path[];
  /** Whether `hollow` is exact. */
  readonly hollowExact: boolean;
}

/** Thrown by `get` when its answer depends on empty subtrees the docs do not fix. */
export class AmbiguousStructure extends Error {}

/** Where the model's function is not smooth, for callers that take finite differences. */
export interface Watch {
  /** Smallest distance of an argument of a piecewise op to its kink (relu, abs, max, …). */
  kink: number;
  /** Smallest distance of an argument to a singularity (sqrt, log, division, l2Norm at 0). */
  pole: number;
}

export const newWatch = (): Watch => ({ kink: Infinity, pole: Infinity });

export const pathKey = (p: Path): string => JSON.stringify(p);
const parsed = new Map<string, Path>();
export function keyPath(k: string): Path {
  let p = parsed.get(k);
  if (p === undefined) parsed.set(k, (p = JSON.parse(k) as string[]));
  return p;
}

/** `p` without its trailing ":number" segments. */
export function normalise(p: Path): Path {
  let n = p.length;
  while (n > 0 && p[n - 1] === NUMBER_KEY) n--;
  return p.slice(0, n);
}

const isPrefix = (q: Path, p: Path): boolean => q.length <= p.length && q.every((k, i) => p[i] === k);

const inputLeaf = (x: number): Leaf => ({ x, m: Math.abs(x), exact: true });

function make(leaves: Map<string, Leaf>, hollow: readonly Path[], hollowExact: boolean): MValue {
  return { leaves, hollow, hollowExact };
}

/** A number (a reduction's result): one leaf at `[]`, no subtrees. */
function scalar(l: Leaf): MValue {
  return make(new Map([[pathKey([]), l]]), [], true);
}

/** The model of a constant (an operation's argument that is not a traced value). */
export function constant(x: number): MValue {
  return scalar(inputLeaf(x));
}

/** The result of an operation on `args` may hold an empty subtree wherever they held a node. */
function derivedHollow(args: readonly MValue[]): Path[] {
  const out = new Map<string, Path>();
  for (const a of args) {
    for (const h of a.hollow) out.set(pathKey(h), h);
    for (const k of a.leaves.keys()) out.set(k, keyPath(k));
  }
  return [...out.values()];
}

/**
 * The model of a V-value. Throws a TypeError naming the path for anything that is not
 * a number or a plain (or prototype-less) object: an array, null, a function, a class
 * instance such as a tracked value that escaped; and for a cycle.
 */
export function fromVValue(v: unknown, where = "value"): MValue {
  const leaves = new Map<string, Leaf>();
  const hollow: Path[] = [];
  const stack: Array<[unknown, string[], string]> = [[v, [], where]];
  while (stack.length > 0) {
    const [x, path, at] = stack.pop()!;
    if (typeof x === "number") {
      leaves.set(pathKey(normalise(path)), inputLeaf(x));
      continue;
    }
    if (typeof x !== "object" || x === null || Array.isArray(x)) {
      throw new TypeError(`${at} is not a V-value: ${x === null ? "null" : Array.isArray(x) ? "an array" : typeof x}`);
    }
    const proto: unknown = Object.getPrototypeOf(x);
    if (proto !== null && proto !== Object.prototype && Object.prototype.hasOwnProperty.call(proto, "constructor")) {
      const name = String((proto as { constructor: { name?: string } }).constructor.name);
      throw new TypeError(`${at} is not a V-value: an instance of ${name}`);
    }
    if (path.length > 1000) throw new TypeError(`${where} is nested deeper than 1000 levels (a cycle?)`);
    const ks = Object.keys(x);
    if (ks.length === 0) hollow.push(path);
    for (const k of ks) stack.push([(x as Record<string, unknown>)[k], [...path, k], `${at}[${JSON.stringify(k)}]`]);
  }
  return make(leaves, hollow, true);
}

/** The value as `{path: x}` entries in sorted order, for messages. */
export function render(v: MValue): string {
  const es = [...v.leaves.entries()].sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
  return `{${es.map(([p, l]) => `${p}: ${l.x}`).join(", ")}}`;
}

// ---------------------------------------------------------------------------------
// Linear operations: union of key paths, a missing key being 0.

/**
 * The sign of a zero that comes from adding or comparing with a missing key (is it
 * −0 + 0 or a copy of −0?) or from a sum of several terms is not documented; only a
 * division sees it, so such a zero is not exact.
 */
const signless = (l: Leaf): Leaf => (l.x === 0 && l.exact ? { ...l, exact: false } : l);

function union(a: MValue, b: MValue, f: (x: Leaf, y: Leaf) => Leaf): MValue {
  const zero = inputLeaf(0);
  const out = new Map<string, Leaf>();
  for (const k of new Set([...a.leaves.keys(), ...b.leaves.keys()])) {
    out.set(k, signless(f(a.leaves.get(k) ?? zero, b.leaves.get(k) ?? zero)));
  }
  return make(out, derivedHollow([a, b]), false);
}

function each(v: MValue, f: (l: Leaf) => Leaf): MValue {
  const out = new Map<string, Leaf>();
  for (const [k, l] of v.leaves) out.set(k, f(l));
  return make(out, derivedHollow([v]), false);
}

/** Whether an inexact leaf is within 1000 times its error (TOLERANCE·m) of 0. */
const nearZero = (l: Leaf): boolean => !l.exact && !(Math.abs(l.x) > 1000 * TOLERANCE * l.m);

export const add = (a: MValue, b: MValue): MValue =>
  union(a, b, (p, q) => ({ x: p.x + q.x, m: p.m + q.m, exact: p.exact && q.exact }));

export const sub = (a: MValue, b: MValue): MValue =>
  union(a, b, (p, q) => ({ x: p.x - q.x, m: p.m + q.m, exact: p.exact && q.exact }));

/**
 * `mapLeaves((x, y) => add(mul(x, y), x), a, b)`: the guide's tree utilities map `f`
 * over the union of the leaf paths, a missing leaf being 0 (as `add` reads its
 * arguments). This `f` rounds twice, in a fixed order.
 */
export const mapLeavesXyPlusX = (a: MValue, b: MValue): MValue =>
  union(a, b, (p, q) => {
    const pq = product(p, q);
    return { x: pq.x + p.x, m: pq.m + p.m, exact: pq.exact && p.exact };
  });

export const neg = (v: MValue): MValue => each(v, (l) => ({ x: -l.x, m: l.m, exact: l.exact }));

/** The scalar of `scale`/`div`: a number is its leaf at `[]`. */
function scalarLeaf(s: MValue): Leaf {
  if (s.leaves.size !== 1 || !s.leaves.has(pathKey([]))) throw new TypeError("the scalar argument must be a number");
  return s.leaves.get(pathKey([]))!;
}

/**
 * A product of two leaves: each factor's error times the other factor, and the product
 * of the errors (which matters where a factor is 0 but its error is not).
 */
const product = (p: Leaf, q: Leaf): Leaf => ({
  x: p.x * q.x,
  m: Math.abs(p.x) * q.m + p.m * Math.abs(q.x) + TOLERANCE * p.m * q.m,
  exact: p.exact && q.exact,
});

export const scale = (s: MValue, v: MValue): MValue => {
  const c = scalarLeaf(s);
  return each(v, (l) => product(c, l));
};

/** `v / s`, leaf by leaf: a division, not a product with 1/s. */
export function div(v: MValue, s: MValue, watch?: Watch): MValue {
  const c = scalarLeaf(s);
  if (watch !== undefined) watch.pole = Math.min(watch.pole, Math.abs(c.x));
  const unsure = nearZero(c);
  return each(v, (l) => {
    const x = l.x / c.x;
    // an exact operand brings no error of its own, only the rounding of x
    const fromV = l.exact ? Math.abs(x) : l.m / Math.abs(c.x);
    const fromS = c.exact ? 0 : unsure ? Infinity : (Math.abs(l.x) * c.m) / (c.x * c.x);
    return { x, m: fromV + fromS, exact: l.exact && c.exact };
  });
}

/**
 * `Σᵢ cᵢ·vᵢ` as the vector sum of the scaled values: over the union of their key paths,
 * each leaf the sum of the terms where it is present.
 */
export function linearCombination(cs: readonly MValue[], vs: readonly MValue[]): MValue {
  if (cs.length !== vs.length) throw new RangeError("linearCombination: lengths differ");
  const terms = new Map<string, Leaf[]>();
  vs.forEach((v, i) => {
    const c = scalarLeaf(cs[i]!);
    for (const [k, l] of v.leaves) {
      const t = terms.get(k) ?? [];
      t.push(product(c, l));
      terms.set(k, t);
    }
  });
  const out = new Map<string, Leaf>();
  for (const [k, t] of terms) out.set(k, total(t));
  return make(out, derivedHollow(vs), false);
}

/** A sum of leaves: exact when there are at most two terms (their order cannot matter). */
function total(ts: readonly Leaf[]): Leaf {
  let x = 0;
  let m = 0;
  for (const t of ts) {
    x += t.x;
    m += t.m;
  }
  return signless({ x, m, exact: ts.length <= 2 && ts.every((t) => t.exact) });
}

// ---------------------------------------------------------------------------------
// Products: on common key paths.

export function mul(a: MValue, b: MValue): MValue {
  const out = new Map<string, Leaf>();
  for (const [k, l] of a.leaves) {
    const r = b.leaves.get(k);
    if (r !== undefined) out.set(k, product(l, r));
  }
  return make(out, derivedHollow([a, b]), false);
}

export function dot(a: MValue, b: MValue): MValue {
  const ts: Leaf[] = [];
  for (const [k, l] of a.leaves) {
    const r = b.leaves.get(k);
    if (r !== undefined) ts.push(product(l, r));
  }
  return scalar(total(ts));
}

// ---------------------------------------------------------------------------------
// Reductions: numbers.

export const sum = (v: MValue): MValue => scalar(total([...v.leaves.values()]));

export function l1Norm(v: MValue, watch?: Watch): MValue {
  const ls = [...v.leaves.values()];
  if (watch !== undefined) for (const l of ls) watch.kink = Math.min(watch.kink, Math.abs(l.x));
  return scalar(total(ls.map((l) => ({ x: Math.abs(l.x), m: l.m, exact: l.exact }))));
}

export function l2Norm(v: MValue, watch?: Watch): MValue {
  const ls = [...v.leaves.values()];
  let s = 0;
  let m = 0;
  for (const l of ls) {
    s += l.x * l.x;
    m += l.m; // the norm is 1-Lipschitz
  }
  const x = Math.sqrt(s);
  if (watch !== undefined && ls.length > 0) watch.pole = Math.min(watch.pole, x);
  return scalar({ x, m: Math.max(m, x), exact: ls.length === 0 });
}

/** `max |leaf|`, 0 for no leaves; NaN propagates. */
export function maxNorm(v: MValue, watch?: Watch): MValue {
  const ls = [...v.leaves.values()];
  if (ls.length === 0) return scalar(inputLeaf(0));
  const abs = ls.map((l) => Math.abs(l.x)).sort((p, q) => q - p);
  if (watch !== undefined) {
    const top = abs[0]!;
    watch.kink = Math.min(watch.kink, top, abs.length > 1 ? top - abs[1]! : Infinity);
  }
  const x = Math.max(...abs);
  return scalar({ x, m: Math.max(...ls.map((l) => l.m)), exact: ls.every((l) => l.exact) });
}

// ---------------------------------------------------------------------------------
// Leafwise operations: on present leaves only.

export function relu(v: MValue, watch?: Watch): MValue {
  return each(v, (l) => {
    if (watch !== undefined) watch.kink = Math.min(watch.kink, Math.abs(l.x));
    return signless({ x: Math.max(l.x, 0), m: l.m, exact: l.exact });
  });
}

export function abs(v: MValue, watch?: Watch): MValue {
  return each(v, (l) => {
    if (watch !== undefined) watch.kink = Math.min(watch.kink, Math.abs(l.x));
    return { x: Math.abs(l.x), m: l.m, exact: l.exact };
  });
}

export const square = (v: MValue): MValue => each(v, (l) => ({ ...product(l, l), exact: l.exact }));

export function sqrt(v: MValue, watch?: Watch): MValue {
  return each(v, (l) => {
    if (watch !== undefined) watch.pole = Math.min(watch.pole, l.x);
    const x = Math.sqrt(l.x);
    return { x, m: l.exact ? x : nearZero(l) ? Infinity : l.m / (2 * x) + x, exact: l.exact };
  });
}

// Math.tanh, Math.exp and Math.log are not correctly rounded, so these leaves are
// never exact; their scales are the argument's times a bound on the derivative, plus
// |y|. Near a pole the argument must be farther from it than its error (nearZero).

export const tanh = (v: MValue): MValue =>
  each(v, (l) => {
    const x = Math.tanh(l.x);
    return { x, m: l.m + Math.abs(x), exact: false };
  });

export const sigmoid = (v: MValue): MValue =>
  each(v, (l) => {
    const x = 1 / (1 + Math.exp(-l.x));
    return { x, m: l.m / 4 + x, exact: false };
  });

// e^(x+δ) − e^x = e^x·(e^δ − 1): for a large error δ = TOLERANCE·m, more than e^x·δ
export const exp = (v: MValue): MValue =>
  each(v, (l) => {
    const x = Math.exp(l.x);
    return { x, m: x * (Math.expm1(TOLERANCE * l.m) / TOLERANCE + 1), exact: false };
  });

export function log(v: MValue, watch?: Watch): MValue {
  return each(v, (l) => {
    if (watch !== undefined) watch.pole = Math.min(watch.pole, l.x);
    const x = Math.log(l.x);
    return { x, m: l.exact ? Math.abs(x) : nearZero(l) ? Infinity : l.m / Math.abs(l.x) + Math.abs(x), exact: false };
  });
}

// ---------------------------------------------------------------------------------
// Piecewise operations.

export function max(a: MValue, b: MValue, watch?: Watch): MValue {
  return union(a, b, (p, q) => {
    if (watch !== undefined) watch.kink = Math.min(watch.kink, Math.abs(p.x - q.x));
    return { x: Math.max(p.x, q.x), m: Math.max(p.m, q.m), exact: p.exact && q.exact };
  });
}

export function min(a: MValue, b: MValue, watch?: Watch): MValue {
  return union(a, b, (p, q) => {
    if (watch !== undefined) watch.kink = Math.min(watch.kink, Math.abs(p.x - q.x));
    return { x: Math.min(p.x, q.x), m: Math.max(p.m, q.m), exact: p.exact && q.exact };
  });
}

export function clip(v: MValue, lo: number, hi: number, watch?: Watch): MValue {
  return each(v, (l) => {
    if (watch !== undefined) watch.kink = Math.min(watch.kink, Math.abs(l.x - lo), Math.abs(l.x - hi));
    return signless({ x: Number.isNaN(l.x) ? NaN : Math.min(Math.max(l.x, lo), hi), m: l.m, exact: l.exact });
  });
}

// ---------------------------------------------------------------------------------
// Access and construction.

/**
 * `get(v, ...q)`: the part of `v` under `q`. A path past a number continues only
 * through ":number"; a missing key (an inherited name included) reads as the number 0;
 * an empty subtree reads as `{}`.
 */
export function get(v: MValue, q: Path): MValue {
  if (q.length === 0) return v;
  const base = normalise(q);
  const out = new Map<string, Leaf>();
  // q ending in ":number"s also reads the scalar part of the node at `base`
  const at = v.leaves.get(pathKey(base));
  if (at !== undefined) out.set(pathKey([]), at);
  for (const [k, l] of v.leaves) {
    const p = keyPath(k);
    if (p.length > q.length && isPrefix(q, p)) out.set(pathKey(p.slice(q.length)), l);
  }
  const under = v.hollow.filter((h) => isPrefix(q, h)).map((h) => h.slice(q.length));
  if (v.hollowExact) {
    if (out.size === 0 && under.length === 0) return constant(0);
    return make(out, under, true);
  }
  // where an empty subtree may be, read leniently (":number" segments at its end dropped)
  const maybe = v.hollow.map(normalise).filter((h) => isPrefix(base, h));
  if (out.size === 0 && maybe.length === 0) return constant(0);
  if (out.size === 0) {
    throw new AmbiguousStructure(
      `get(…, ${q.map((k) => JSON.stringify(k)).join(", ")}): {} or 0, by undocumented structure`,
    );
  }
  return make(out, [...under, ...maybe.map((h) => h.slice(base.length))], false);
}

/** An object literal `{[k₁]: v₁, …}` (distinct keys). */
export function literal(entries: ReadonlyArray<readonly [string, MValue]>): MValue {
  const out = new Map<string, Leaf>();
  const hollow: Path[] = [];
  let exact = true;
  for (const [key, v] of entries) {
    for (const [k, l] of v.leaves) out.set(pathKey(normalise([key, ...keyPath(k)])), l);
    hollow.push(...v.hollow.map((h) => [key, ...h]));
    if (v.leaves.size === 0 && v.hollow.length === 0) hollow.push([key]);
    exact &&= v.hollowExact;
  }
  return make(out, hollow, exact);
}

/** `v` with its leaf at `key` replaced by the input value `x` (for finite differences). */
export function withLeaf(v: MValue, key: string, x: number): MValue {
  const leaves = new Map(v.leaves);
  leaves.set(key, inputLeaf(x));
  return make(leaves, v.hollow, v.hollowExact);
}
