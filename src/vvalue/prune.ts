import { newTree, type MutableTree } from "./tree.js";
import type { VValue } from "./types.js";
import { cycleError, isTreeObject, kindError } from "./validate.js";
import { Walk } from "./walk.js";

/**
 * Drops every leaf with `|x| <= threshold` (so `prune(v, 0)` drops exact zeros) and
 * every subtree left empty. A pruned bare number becomes 0; NaN leaves are kept.
 * Throws `validate`'s TypeError for anything that is not a V-value; any depth.
 *
 * @example
 * prune({ a: 0.5, b: { c: 0.001 } }, 0.01); // { a: 0.5 }
 */
export function prune(v: VValue, threshold = 0): VValue {
  if (!(threshold >= 0)) throw new RangeError(`prune: threshold must be a number >= 0, got ${threshold}`);
  // NaN is kept, as in trees: pruning must not hide a NaN
  if (typeof v === "number") return Math.abs(v) > threshold || Number.isNaN(v) ? v : 0;
  if (!isTreeObject(v)) throw kindError("prune: ", "value", [], 0, v);
  const root = newTree();
  const outs: MutableTree[] = [root];
  const sizes: number[] = [0]; // keys written into outs[d] so far
  const w = new Walk(v);
  const path = w.path;
  while (w.depth >= 0) {
    const d = w.depth;
    const t = w.trees.at[d] as Record<string, unknown>;
    const out = outs[d]!;
    const ks = w.keyLists[d]!;
    let kept = sizes[d]!;
    let i = w.next[d]!;
    let down: object | null = null;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const x = t[k];
      if (typeof x === "number") {
        if (Math.abs(x) > threshold || Number.isNaN(x)) {
          out[k] = x;
          kept++;
        }
        continue;
      }
      path[d] = k;
      if (!isTreeObject(x)) throw kindError("prune: ", "value", path, d + 1, x);
      if (w.onPath(x)) throw cycleError("prune: ", "value", path, d + 1, w.trees.upTo(d), x);
      down = x;
      break;
    }
    if (down === null) {
      w.pop();
      // a finished subtree joins its parent only if something is left in it; the
      // parent has written no later key yet, so key order is kept
      if (d > 0 && kept > 0) {
        outs[d - 1]![path[d - 1]!] = out;
        sizes[d - 1]!++;
      }
      continue;
    }
    sizes[d] = kept;
    outs[d + 1] = newTree();
    sizes[d + 1] = 0;
    w.next[d] = i + 1;
    w.push(down);
  }
  return root;
}
