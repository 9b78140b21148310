import { newTree, type MutableTree } from "./tree.js";
import type { VValue } from "./types.js";
import { cycleError, formatPath, isTreeObject, kindError } from "./validate.js";
import { Walk } from "./walk.js";

/**
 * Every leaf as `[path, value]`, depth first in key order. A bare number is the
 * single leaf at the empty path. Throws `validate`'s TypeError, naming the path, for
 * anything that is not a V-value (a cycle, an array, a tracked value, …); any depth.
 *
 * @example
 * leaves({ a: 1, b: { c: 2 } }); // [[["a"], 1], [["b", "c"], 2]]
 */
export function leaves(v: VValue): Array<[string[], number]> {
  if (typeof v === "number") return [[[], v]];
  if (!isTreeObject(v)) throw kindError("leaves: ", "value", [], 0, v);
  const out: Array<[string[], number]> = [];
  const w = new Walk(v);
  const path = w.path;
  while (w.depth >= 0) {
    const d = w.depth;
    const t = w.trees.at[d] as Record<string, unknown>;
    const ks = w.keyLists[d]!;
    let i = w.next[d]!;
    let down: object | null = null;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const x = t[k];
      path[d] = k;
      if (typeof x === "number") {
        out.push([path.slice(0, d + 1), x]);
        continue;
      }
      if (!isTreeObject(x)) throw kindError("leaves: ", "value", path, d + 1, x);
      if (w.onPath(x)) throw cycleError("leaves: ", "value", path, d + 1, w.trees.upTo(d), x);
      down = x;
      break;
    }
    if (down === null) {
      w.pop();
      continue;
    }
    w.next[d] = i + 1;
    w.push(down);
  }
  return out;
}

/**
 * Applies `f(leaf, path)` to every leaf, depth first in key order; the result has the
 * same shape. `path` is only valid during the call (copy it to keep it). Throws
 * `validate`'s TypeError for anything that is not a V-value, and a TypeError if `f`
 * returns something other than a number; any depth.
 *
 * @example
 * mapLeaves({ a: 1, b: { c: 2 } }, (x) => 10 * x); // { a: 10, b: { c: 20 } }
 */
export function mapLeaves(v: VValue, f: (x: number, path: readonly string[]) => number): VValue {
  if (typeof v === "number") return checkedResult(f(v, []), []);
  if (!isTreeObject(v)) throw kindError("mapLeaves: ", "value", [], 0, v);
  const root = newTree();
  const outs: MutableTree[] = [root];
  const w = new Walk(v);
  // exactly the keys down to the leaf at hand while f runs (w.path may hold stale keys)
  const path: string[] = [];
  while (w.depth >= 0) {
    const d = w.depth;
    const t = w.trees.at[d] as Record<string, unknown>;
    const out = outs[d]!;
    const ks = w.keyLists[d]!;
    let i = w.next[d]!;
    let down: object | null = null;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const x = t[k];
      path.push(k);
      if (typeof x === "number") {
        out[k] = checkedResult(f(x, path), path);
        path.pop();
        continue;
      }
      if (!isTreeObject(x)) throw kindError("mapLeaves: ", "value", path, d + 1, x);
      if (w.onPath(x)) throw cycleError("mapLeaves: ", "value", path, d + 1, w.trees.upTo(d), x);
      down = x;
      break;
    }
    if (down === null) {
      w.pop();
      path.pop();
      continue;
    }
    const copy = newTree();
    out[ks[i]!] = copy;
    outs[d + 1] = copy;
    w.next[d] = i + 1;
    w.push(down);
  }
  return root;
}

function checkedResult(y: number, path: readonly string[]): number {
  if (typeof y === "number") return y;
  const what =
    y === null || y === undefined
      ? String(y)
      : Array.isArray(y)
        ? "an array"
        : typeof y === "object"
          ? "an object"
          : `a ${typeof y}`;
  throw new TypeError(`mapLeaves: f returned ${what} at ${formatPath("value", path)}; it must return a number`);
}
