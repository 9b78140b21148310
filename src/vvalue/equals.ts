import { newTree } from "./tree.js";
import { NUMBER_KEY, type VValue } from "./types.js";
import { cycleError, isTreeObject, kindError } from "./validate.js";
import { PathObjects } from "./walk.js";

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** The value of a key one side lacks (an own `undefined` is an error, not a 0). */
const MISSING: unique symbol = Symbol("missing");

/**
 * Whether two V-values are the same vector: key order is ignored, a missing key
 * equals 0 and `x` equals `{":number": x}`. Leaves `x` and `y` at the same path
 * match when `x === y` (so equal infinities match) or `|x − y| <= tolerance`
 * (absolute, default 0). As in IEEE arithmetic, NaN matches nothing, not even NaN,
 * at any tolerance; an infinity matches only itself unless the tolerance is infinite.
 *
 * Both arguments are checked completely, whatever the answer: anything that is not
 * a V-value (a cycle, an array, a tracked value, …) is `validate`'s TypeError, its
 * path starting with `a` or `b`. Any depth.
 *
 * @example
 * equals({ a: 1, b: 0 }, { a: 1 });            // true
 * equals(2, { ":number": 2 });                 // true
 * equals({ a: 1 }, { a: 1.0001 }, { tolerance: 1e-3 }); // true
 * equals(Infinity, Infinity);                  // true
 * equals(NaN, NaN);                            // false
 */
export function equals(a: VValue, b: VValue, options: { tolerance?: number } = {}): boolean {
  const tol = options.tolerance ?? 0;
  if (typeof tol !== "number" || !(tol >= 0)) {
    throw new RangeError(`equals: tolerance must be a number >= 0, got ${String(tol)}`);
  }
  if (typeof a === "number" && typeof b === "number") return a === b || Math.abs(a - b) <= tol;
  if (typeof a !== "number" && !isTreeObject(a)) throw kindError("equals: ", "a", [], 0, a);
  if (typeof b !== "number" && !isTreeObject(b)) throw kindError("equals: ", "b", [], 0, b);

  // A pairwise walk over the union of both key paths. Per depth: the trees of each
  // side (a number stands as {":number": x}, a missing side as null), the real trees
  // (for cycle checks and messages), both key lists and the next key's index (over
  // a's keys, then b's keys that a lacks).
  const treesA: Array<Record<string, unknown> | null> = [];
  const treesB: Array<Record<string, unknown> | null> = [];
  const realA = new PathObjects();
  const realB = new PathObjects();
  const keysA: string[][] = [];
  const keysB: string[][] = [];
  const next: number[] = [];
  const path: string[] = [];
  let same = true;
  let d = 0;

  /** Enters the pair (x, y), at least one a tree, at depth d. */
  const enter = (x: unknown, y: unknown): void => {
    if (typeof x === "object" && x !== null) {
      if (d > 0 && realA.has(x, d - 1)) throw cycleError("equals: ", "a", path, d, realA.upTo(d - 1), x);
      realA.enter(d, x);
      treesA[d] = x as Record<string, unknown>;
    } else {
      realA.enter(d, null);
      treesA[d] = typeof x === "number" ? wrap(x) : null;
    }
    if (typeof y === "object" && y !== null) {
      if (d > 0 && realB.has(y, d - 1)) throw cycleError("equals: ", "b", path, d, realB.upTo(d - 1), y);
      realB.enter(d, y);
      treesB[d] = y as Record<string, unknown>;
    } else {
      realB.enter(d, null);
      treesB[d] = typeof y === "number" ? wrap(y) : null;
    }
    keysA[d] = treesA[d] === null ? [] : Object.keys(treesA[d]!);
    keysB[d] = treesB[d] === null ? [] : Object.keys(treesB[d]!);
    next[d] = 0;
  };

  enter(a, b);
  while (d >= 0) {
    const ta = treesA[d]!;
    const tb = treesB[d]!;
    const ka = keysA[d]!;
    const kb = keysB[d]!;
    const na = ka.length;
    const n = na + kb.length;
    let i = next[d]!;
    let x: unknown;
    let y: unknown;
    for (; i < n; i++) {
      let k: string;
      if (i < na) {
        k = ka[i]!;
        x = ta[k];
        y = tb !== null && hasOwnProperty.call(tb, k) ? tb[k] : MISSING;
      } else {
        k = kb[i - na]!;
        if (ta !== null && hasOwnProperty.call(ta, k)) continue;
        x = MISSING;
        y = tb[k];
      }
      const xNumber = typeof x === "number";
      const yNumber = typeof y === "number";
      if ((xNumber || x === MISSING) && (yNumber || y === MISSING)) {
        const p = xNumber ? (x as number) : 0;
        const q = yNumber ? (y as number) : 0;
        if (!(p === q || Math.abs(p - q) <= tol)) same = false;
        continue;
      }
      path[d] = k;
      if (!xNumber && x !== MISSING && !isTreeObject(x)) throw kindError("equals: ", "a", path, d + 1, x);
      if (!yNumber && y !== MISSING && !isTreeObject(y)) throw kindError("equals: ", "b", path, d + 1, y);
      break;
    }
    if (i === n) {
      realA.leave(d);
      realB.leave(d);
      d--;
      continue;
    }
    next[d] = i + 1;
    d++;
    enter(x, y);
  }
  return same;
}

/** `x` as the tree `{":number": x}`. */
function wrap(x: number): Record<string, unknown> {
  const t = newTree();
  t[NUMBER_KEY] = x;
  return t;
}
