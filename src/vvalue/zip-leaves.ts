/**
 * The leaves of several V-values aligned by key path, the walk behind `mapLeaves(f,
 * ...trees)`. V-values are sparse vectors, so the trees need not share a structure:
 * the walk covers the union of their key paths, as `add` does, and a tree that lacks a
 * leaf there contributes 0 (a number x meeting a subtree is `{":number": x}`).
 */
import { newTree, type MutableTree } from "./tree.js";
import { NUMBER_KEY, TRACKED, type VValue } from "./types.js";
import { cycleError, formatPath, isTreeObject, kindError } from "./validate.js";
import { PathObjects } from "./walk.js";

/**
 * Calls `f(xs, path)` once per leaf of the union of the trees' key paths, depth first
 * (keys in the order of the first tree that has them), where `xs[i]` is tree i's leaf
 * there, or undefined where tree i has none; builds the result of that union shape
 * (empty subtrees kept) from f's values. Arrays `xs` and `path` are reused: valid only
 * during the call. Each result must be a number, or pass `accept` (the AD layer admits
 * tracked numbers so); anything else is a TypeError. Trees are checked as they are
 * walked: a non-V-value or a cycle is `validate`'s TypeError naming `trees[i]` and the
 * path. Iterative: any depth.
 */
export function zipLeaves(
  trees: readonly VValue[],
  f: (xs: Array<number | undefined>, path: readonly string[]) => unknown,
  accept?: (y: unknown) => boolean,
): VValue {
  const n = trees.length;
  const name = (i: number): string => (n === 1 ? "value" : `trees[${i}]`);
  const xs = new Array<number | undefined>(n);
  const onPath = trees.map(() => new PathObjects());
  // the values of each tree at every depth of the current path (a tree, a number or undefined)
  const at: unknown[][] = [];
  const outs: MutableTree[] = [];
  const keyLists: string[][] = [];
  const next: number[] = [];
  const path: string[] = [];
  const leaf = (vs: readonly unknown[]): unknown => {
    for (let i = 0; i < n; i++) xs[i] = vs[i] as number | undefined;
    return checked(f(xs, path), n === 1 ? "value" : "trees", path, accept);
  };
  /** Classifies the values at the current path: a leaf if none is a tree; checks each. */
  const isLeaf = (vs: readonly unknown[], d: number): boolean => {
    let leafHere = true;
    for (let i = 0; i < n; i++) {
      const x = vs[i];
      if (x === undefined || typeof x === "number") continue;
      if (!isTreeObject(x)) throw kindError("mapLeaves: ", name(i), path, d, x);
      if (d > 0 && onPath[i]!.has(x, d - 1)) {
        throw cycleError("mapLeaves: ", name(i), path, d, onPath[i]!.upTo(d - 1), x);
      }
      leafHere = false;
    }
    return leafHere;
  };
  const enter = (vs: unknown[], d: number, out: MutableTree): void => {
    at[d] = vs;
    outs[d] = out;
    next[d] = 0;
    const seen = new Set<string>();
    const ks: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = vs[i];
      onPath[i]!.enter(d, typeof x === "object" ? (x as object) : null);
      const own = x === undefined ? [] : typeof x === "number" ? [NUMBER_KEY] : Object.keys(x as object);
      for (const k of own) {
        if (seen.has(k)) continue;
        seen.add(k);
        ks.push(k);
      }
    }
    keyLists[d] = ks;
  };

  const roots = trees.slice() as unknown[];
  if (isLeaf(roots, 0)) return leaf(roots) as VValue;
  const root = newTree();
  enter(roots, 0, root);
  let d = 0;
  while (d >= 0) {
    const vs = at[d]!;
    const ks = keyLists[d]!;
    const out = outs[d]!;
    let i = next[d]!;
    let down: unknown[] | null = null;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const cs = new Array<unknown>(n);
      for (let j = 0; j < n; j++) cs[j] = childOf(vs[j], k);
      path.push(k);
      if (isLeaf(cs, d + 1)) {
        out[k] = leaf(cs) as VValue;
        path.pop();
        continue;
      }
      down = cs;
      break;
    }
    if (down === null) {
      for (let j = 0; j < n; j++) onPath[j]!.leave(d);
      path.pop();
      d--;
      continue;
    }
    next[d] = i + 1;
    const copy = newTree();
    out[ks[i]!] = copy;
    enter(down, ++d, copy);
  }
  return root;
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** `x[k]` under the vector reading: own keys only, and a number x is `{":number": x}`. */
function childOf(x: unknown, k: string): unknown {
  if (x === undefined) return undefined;
  if (typeof x === "number") return k === NUMBER_KEY ? x : undefined;
  return hasOwnProperty.call(x, k) ? (x as Record<string, unknown>)[k] : undefined;
}

function checked(
  y: unknown,
  name: string,
  path: readonly string[],
  accept: ((y: unknown) => boolean) | undefined,
): unknown {
  if (typeof y === "number" || (accept !== undefined && accept(y))) return y;
  throw new TypeError(`mapLeaves: f returned ${describe(y)} at ${formatPath(name, path)}; it must return a number`);
}

/** What a wrong result of f is, for messages ("an array", "a string"). */
function describe(y: unknown): string {
  if (y === null || y === undefined) return String(y);
  if (Array.isArray(y)) return "an array";
  if (typeof y !== "object") return `a ${typeof y}`;
  if ((y as { [TRACKED]?: unknown })[TRACKED] === true) return "a tracked tree";
  return isTreeObject(y) ? "a tree" : "an object";
}
