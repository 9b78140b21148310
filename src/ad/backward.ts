/**
 * The reverse sweep: one loop over the tape from the output down, no recursion, so
 * chains of any length work. Cotangents that meet at a node are summed in place in a
 * tree the sweep owns (copied once, on the second arrival).
 */
import { axpyInto, cloneP } from "../vvalue/algebra.js";
import { newTree, type MutableTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { innermostTrace } from "./primitive.js";
import { Tracked, tracing, type Val } from "./tracked.js";
import { PackedCotangent } from "./packed-cotangent.js";

let addOp: (a: Val, b: Val) => Val = () => {
  throw new Error("vgrad: ops not loaded");
};
/** Installs the differentiable `add`, used when cotangents are themselves tracked. */
export function setAddOp(f: (a: Val, b: Val) => Val): void {
  addOp = f;
}

/** Cotangents of every tape entry up to `output`, seeded with `seed` at the output. */
export function backward(output: Tracked, seed: Val): Array<Val | undefined> {
  const tape = output.trace.tape;
  const n = output.index + 1;
  const cts: Array<Val | undefined> = new Array(n);
  const owned = new Uint8Array(n);
  cts[output.index] = seed;
  /** Trees that met a packed cotangent at entry i, to add once it is unpacked. */
  const pending = new Map<number, Val[]>();
  const unpack = (i: number, p: PackedCotangent): Val => {
    const trees = pending.get(i);
    pending.delete(i);
    cts[i] = p.toVValue();
    owned[i] = 1;
    if (trees !== undefined) for (const t of trees) accumulate(i, t);
    return cts[i]!;
  };
  /** Entry i as a plain tree the sweep owns (copied once, on first need), to sum into in place. */
  const ownedTree = (i: number): MutableTree => {
    let cur = cts[i];
    if (cur instanceof PackedCotangent) cur = unpack(i, cur); // unpacked trees are owned
    if (owned[i]) return cur as MutableTree;
    let acc: MutableTree;
    if (cur === undefined) acc = newTree();
    else if (typeof cur === "number") {
      acc = newTree();
      acc[NUMBER_KEY] = cur;
    } else acc = cloneP(cur as VValue) as MutableTree;
    cts[i] = acc;
    owned[i] = 1;
    return acc;
  };
  const accumulate = (i: number, g0: Val | PackedCotangent): void => {
    let g = g0 as Val;
    let cur = cts[i];
    if (cur === undefined) {
      cts[i] = g;
      return;
    }
    if (cur instanceof PackedCotangent || g instanceof PackedCotangent) {
      if (cur instanceof PackedCotangent && g instanceof PackedCotangent && cur.layout === g.layout) {
        cur.addInPlace(g);
        return;
      }
      if (g instanceof PackedCotangent && !(cur instanceof PackedCotangent)) {
        // keep summing packed; the tree that came first is added when unpacking
        const list = pending.get(i);
        if (list === undefined) pending.set(i, [cur]);
        else list.push(cur);
        cts[i] = g;
        return;
      }
      if (cur instanceof PackedCotangent) cts[i] = cur = unpack(i, cur);
      if (g instanceof PackedCotangent) g = g.toVValue();
    }
    if (typeof cur === "number" && typeof g === "number") {
      cts[i] = cur + g;
      return;
    }
    // cotangents hold tracked values only while an enclosing differentiation runs
    if (cur instanceof Tracked || g instanceof Tracked || (tracing() && (innermostTrace(cur) !== null || innermostTrace(g) !== null))) {
      cts[i] = addOp(cur, g);
      owned[i] = 0;
      return;
    }
    axpyInto(ownedTree(i), 1, g as VValue);
  };
  /** `cts[i] += embed(path, g)` without building the embedded tree. */
  const accumulateAt = (i: number, path: readonly string[], g: VValue): void => {
    let acc = ownedTree(i);
    for (let d = 0; d < path.length - 1; d++) {
      const k = path[d]!;
      let next = acc[k];
      if (next === undefined) acc[k] = next = newTree();
      else if (typeof next === "number") {
        const t = newTree();
        t[NUMBER_KEY] = next;
        acc[k] = next = t;
      }
      acc = next as MutableTree;
    }
    const last = path[path.length - 1]!;
    const at = acc[last];
    if (at === undefined) acc[last] = typeof g === "number" ? g : cloneP(g);
    else if (typeof at === "number" && typeof g === "number") acc[last] = at + g;
    else {
      const t = typeof at === "number" ? newTree() : (at as MutableTree);
      if (typeof at === "number") t[NUMBER_KEY] = at;
      axpyInto(t, 1, g);
      acc[last] = t;
    }
  };
  for (let i = output.index; i >= 0; i--) {
    let g = cts[i];
    if (g === undefined) continue;
    if (g instanceof PackedCotangent) g = unpack(i, g);
    const node = tape[i]!;
    if (node.vjp === null || node.parents === null) continue; // an input: keep its cotangent
    cts[i] = undefined;
    if (node.getPath !== null && !(g instanceof Tracked) && !tracing()) {
      accumulateAt(node.parents[0]!.index, node.getPath, g);
      continue;
    }
    const gs = node.vjp(g);
    const parents = node.parents;
    for (let j = 0; j < parents.length; j++) {
      const gj = gs[j];
      if (gj !== undefined) accumulate(parents[j]!.index, gj);
    }
  }
  return cts;
}
