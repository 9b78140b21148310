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

  // A pairwise walk over the union of both key paths. Per depth: the tree of each
  // side (a number stands as {":number": x}, a missing side as null), both key lists,
  // and the next key's index (over a's keys, then b's keys that a lacks).
  const treesA: Array<Tree | null> = [];
  const treesB: Array<Tree | null> = [];
  const keysA: string[][] = [];
  const keysB: string[][] = [];
  const next: number[] = [];
  const path: string[] = [];
  const onPathA = new PathObjects();
  const onPathB = new PathObjects();
  let same = true;
  let d = 0;
  let ta = (treesA[0] = side(a, 0, onPathA, "a", path));
  let tb = (treesB[0] = side(b, 0, onPathB, "b", path));
  keysA[0] = ta === null ? NO_KEYS : Object.keys(ta);
  keysB[0] = tb === null ? NO_KEYS : Object.keys(tb);
  next[0] = 0;
  while (d >= 0) {
    ta = treesA[d]!;
    tb = treesB[d]!;
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
        x = ta![k];
        y = tb !== null && hasOwnProperty.call(tb, k) ? tb[k] : MISSING;
      } else {
        k = kb[i - na]!;
        if (ta !== null && hasOwnProperty.call(ta, k)) continue;
        x = MISSING;
        y = tb![k];
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
      onPathA.leave(d);
      onPathB.leave(d);
      d--;
      continue;
    }
    next[d] = i + 1;
    d++;
    ta = treesA[d] = side(x, d, onPathA, "a", path);
    tb = treesB[d] = side(y, d, onPathB, "b", path);
    keysA[d] = ta === null ? NO_KEYS : Object.keys(ta);
    keysB[d] = tb === null ? NO_KEYS : Object.keys(tb);
    next[d] = 0;
  }
  return same;
}

type Tree = Record<string, unknown>;
const NO_KEYS: string[] = [];

/**
 * One side of a pair entered at depth `d` (whose path is `path[0..d)`), as a tree:
 * itself for a tree (recorded on its path, after checking it closes no cycle),
 * `{":number": x}` for a number `x`, null for a missing side.
 */
function side(x: unknown, d: number, onPath: PathObjects, name: string, path: readonly string[]): Tree | null {
  if (typeof x === "object" && x !== null) {
    if (d > 0 && onPath.has(x, d - 1)) throw cycleError("equals: ", name, path, d, onPath.upTo(d - 1), x);
    onPath.enter(d, x);
    return x as Tree;
  }
  onPath.enter(d, null);
  if (typeof x !== "number") return null;
  const t = newTree();
  t[NUMBER_KEY] = x;
  return t;
}
