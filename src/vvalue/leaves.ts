import { newTree } from "./tree.js";
import type { VValue } from "./types.js";

/**
 * Every leaf as `[path, value]`, depth first in key order. A bare number is the
 * single leaf at the empty path.
 *
 * @example
 * leaves({ a: 1, b: { c: 2 } }); // [[["a"], 1], [["b", "c"], 2]]
 */
export function leaves(v: VValue): Array<[string[], number]> {
  const out: Array<[string[], number]> = [];
  const path: string[] = [];
  const visit = (x: VValue): void => {
    if (typeof x === "number") {
      out.push([path.slice(), x]);
      return;
    }
    for (const k in x) {
      path.push(k);
      visit(x[k]!);
      path.pop();
    }
  };
  visit(v);
  return out;
}

/**
 * Applies `f(leaf, path)` to every leaf; the result has the same shape.
 *
 * @example
 * mapLeaves({ a: 1, b: { c: 2 } }, (x) => 10 * x); // { a: 10, b: { c: 20 } }
 */
export function mapLeaves(v: VValue, f: (x: number, path: readonly string[]) => number): VValue {
  const path: string[] = [];
  const visit = (x: VValue): VValue => {
    if (typeof x === "number") return f(x, path);
    const out = newTree();
    for (const k in x) {
      path.push(k);
      out[k] = visit(x[k]!);
      path.pop();
    }
    return out;
  };
  return visit(v);
}
