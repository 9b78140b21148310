/**
 * `mapLeaves`: a function applied leaf by leaf to one tree, or to several aligned by key
 * path (JAX's `tree_map`). Plain trees take the plain walks of src/vvalue; inside a
 * differentiated function each leaf of a tracked tree is read with a recorded `get`,
 * `f` records its own operations, and the results are packed into one tracked tree,
 * so gradients flow through `f` (under `jit` too).
 */
import { holdsTracked, innermostTrace, isNumberLike, lift } from "../ad/primitive.js";
import { shapeOf } from "../ad/stop-gradient.js";
import { tracing, Tracked, type Val } from "../ad/tracked.js";
import { mapLeaves as mapOneTree } from "../vvalue/leaves.js";
import type { VValue } from "../vvalue/types.js";
import { zipLeaves } from "../vvalue/zip-leaves.js";
import { get } from "./access.js";

/** The leaves `f` receives, one per tree: a number each (a tracked one inside a differentiated function). */
export type LeavesOf<T extends readonly unknown[]> = { [K in keyof T]: number };

/**
 * Applies `f` to every leaf. Two forms:
 * - `mapLeaves(v, f)`: one tree; `f(x, path)` gets each leaf and its key path;
 * - `mapLeaves(f, a, b, …)`: any number of trees, as JAX's `tree_map(f, a, b, …)`;
 *   `f(xa, xb, …, path)` gets the leaves of every tree at one key path.
 *
 * Trees of different structure are read as the sparse vectors they are: `f` runs on
 * the union of their leaf paths, and a tree without a leaf there gives 0 (a number x
 * meeting a subtree is `{":number": x}`, as in `add`). Paths present in no tree are
 * never visited, and the result has the union's shape (key order of the first tree
 * that has a key, empty subtrees kept). With one tree the result is shaped like it.
 * `f` returns a number; `path` is valid only during the call (copy it to keep it).
 *
 * Differentiable: inside `gradient` (or `jit`), where `f` is built from vgrad operations
 * (`mul`, `tanh`, …), each leaf is read with a recorded `get` and the results packed, so
 * gradients flow to the trees and to anything `f` closes over. Plain calls walk the
 * trees directly. Throws `validate`'s TypeError (naming `trees[i]` and the path) for
 * what is not a V-value, and a TypeError if `f` returns anything but a number.
 *
 * @example
 * mapLeaves({ a: 1, b: { c: 2 } }, (x) => 10 * x);             // { a: 10, b: { c: 20 } }
 * mapLeaves((x, y) => x * y, { a: 2, b: 3 }, { a: 5, c: 7 });  // { a: 10, b: 0, c: 0 }
 * mapLeaves((x, y) => x - y, 1, { a: 2 });                     // { ":number": 1, a: -2 }
 * gradient((w) => sum(mapLeaves((x) => mul(x, x), w)), { a: 3 }); // [{ a: 6 }]
 */
export function mapLeaves(v: VValue, f: (x: number, path: readonly string[]) => VValue): VValue;
export function mapLeaves<T extends readonly VValue[]>(
  f: (...leavesAndPath: [...LeavesOf<T>, readonly string[]]) => VValue,
  ...trees: T
): VValue;
export function mapLeaves(...args: unknown[]): VValue {
  let f: (...leavesAndPath: unknown[]) => unknown;
  let trees: VValue[];
  if (typeof args[0] === "function") {
    f = args[0] as typeof f;
    trees = args.slice(1) as VValue[];
    if (trees.length === 0) throw new TypeError("mapLeaves: no trees given; call mapLeaves(f, a, b, …)");
  } else if (args.length === 2 && typeof args[1] === "function") {
    f = args[1] as typeof f;
    trees = [args[0] as VValue];
  } else {
    const at = args.findIndex((a) => typeof a === "function");
    throw new TypeError(
      `mapLeaves: call mapLeaves(v, f) or mapLeaves(f, a, b, …); got ${args.length} argument(s), ` +
        (at < 0 ? "none a function" : `the function at position ${at}`),
    );
  }
  if (!tracing()) {
    if (trees.length === 1) return mapOneTree(trees[0]!, f as (x: number, path: readonly string[]) => number);
    return zipLeaves(trees, (xs, path) => f(...xs.map(orZero), path));
  }
  return tracedMap(f, trees);
}

const orZero = (x: number | undefined): number => x ?? 0;

/**
 * While a differentiation runs: the walk over the trees' structures (shapeOf), each
 * leaf of a tracked tree read with `get`, f's tracked results packed into one value.
 */
function tracedMap(f: (...leavesAndPath: unknown[]) => unknown, trees: readonly VValue[]): VValue {
  const tracked = trees.map((t) => holdsTracked(t));
  const shapes = trees.map((t, i) => (tracked[i] ? shapeOf(t) : t));
  let boxes = false;
  const accept = (y: unknown): boolean => {
    const ok = y instanceof Tracked && isNumberLike(y);
    if (ok) boxes = true;
    return ok;
  };
  const out = zipLeaves(
    shapes,
    (xs, path) => {
      const leaves = xs.map((x, i) => (x === undefined ? 0 : tracked[i] ? get(trees[i]!, ...path) : x));
      return f(...leaves, path);
    },
    accept,
  );
  if (!boxes || out instanceof Tracked) return out;
  return lift(out as Val, innermostTrace(out)!) as VValue;
}
