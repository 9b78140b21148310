import { newTree } from "./tree.js";
import type { VValue } from "./types.js";
import { isEmpty } from "./algebra.js";

/**
 * Drops every leaf with `|x| <= threshold` (so `prune(v, 0)` drops exact zeros) and
 * every subtree left empty. A pruned bare number becomes 0.
 *
 * @example
 * prune({ a: 0.5, b: { c: 0.001 } }, 0.01); // { a: 0.5 }
 */
export function prune(v: VValue, threshold = 0): VValue {
  if (!(threshold >= 0)) throw new RangeError(`prune: threshold must be a number >= 0, got ${threshold}`);
  // NaN is kept, as in trees: pruning must not hide a NaN
  if (typeof v === "number") return Math.abs(v) > threshold || Number.isNaN(v) ? v : 0;
  return pruneTree(v, threshold);
}

function pruneTree(v: { readonly [k: string]: VValue }, threshold: number): VValue {
  const out = newTree();
  for (const k in v) {
    const x = v[k]!;
    if (typeof x === "number") {
      if (Math.abs(x) > threshold || Number.isNaN(x)) out[k] = x;
    } else {
      const p = pruneTree(x, threshold);
      if (!isEmpty(p as object as { [k: string]: VValue })) out[k] = p;
    }
  }
  return out;
}
