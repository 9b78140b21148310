/**
 * The reverse sweep: one loop over the tape from the output down, no recursion, so
 * chains of any length work. Cotangents that meet at a node are summed in place in a
 * tree the sweep owns (copied once, on the second arrival); sparse cotangents add
 * themselves in (src/ad/cotangent.ts).
 */
import { axpyInto, cloneP } from "../vvalue/algebra.js";
import { newTree, type MutableTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { SparseCotangent } from "./cotangent.js";
import { holdsTracked, type Cotangent } from "./primitive.js";
import { addVal } from "./structural.js";
import { type Tracked, type Val, TRACE, INDEX, PARENTS, VJP } from "./tracked.js";

/** Whether a cotangent holds tracked values (sparse forms never do: rules build them from plain values). */
function trackedCotangent(g: Cotangent): boolean {
  return !(g instanceof SparseCotangent) && holdsTracked(g);
}

/** A cotangent as a V-value. */
function dense(g: Cotangent): Val {
  return g instanceof SparseCotangent ? g.toVValue() : g;
}

/** Cotangents of every tape entry up to `output`, seeded with `seed` at the output. */
export function backward(output: Tracked, seed: Val): Array<Val | undefined> {
  const tape = output[TRACE].tape;
  const n = output[INDEX] + 1;
  const cts: Array<Cotangent | undefined> = new Array(n);
  const owned = new Uint8Array(n);
  cts[output[INDEX]] = seed;
  /** Plain cotangents that arrived before a packed one at entry i: added after it, in order. */
  const waiting = new Map<number, VValue[]>();
  /** Entry i as a plain tree the sweep owns (copied once, on first need), to sum into in place. */
  const ownedTree = (i: number): MutableTree => {
    const cur = cts[i];
    if (owned[i]) return cur as MutableTree;
    let acc: MutableTree;
    if (cur === undefined) acc = newTree();
    else if (cur instanceof SparseCotangent) acc = cur.toVValue() as MutableTree;
    else if (typeof cur === "number") {
      acc = newTree();
      acc[NUMBER_KEY] = cur;
    } else acc = cloneP(cur as VValue) as MutableTree;
    cts[i] = acc;
    owned[i] = 1;
    const trees = waiting.get(i);
    if (trees !== undefined) {
      waiting.delete(i);
      for (const t of trees) axpyInto(acc, 1, t);
    }
    return acc;
  };
  /** Entry i's cotangent as a V-value, once every part has arrived. */
  const settled = (i: number): Val => {
    const g = cts[i]!;
    return g instanceof SparseCotangent || waiting.has(i) ? ownedTree(i) : g;
  };
  const accumulate = (i: number, g: Cotangent): void => {
    const cur = cts[i];
    if (cur === undefined) {
      cts[i] = g;
      return;
    }
    if (cur instanceof SparseCotangent && g instanceof SparseCotangent && cur.absorb(g)) return;
    // a packed cotangent keeps summing its twins in place; what came before it waits
    if (g instanceof SparseCotangent && g.packed && !(cur instanceof SparseCotangent) && !trackedCotangent(cur)) {
      let trees = waiting.get(i);
      if (trees === undefined) waiting.set(i, (trees = []));
      trees.push(typeof cur === "number" ? ({ [NUMBER_KEY]: cur } as VValue) : (cur as VValue));
      cts[i] = g;
      owned[i] = 0;
      return;
    }
    if (typeof cur === "number" && typeof g === "number") {
      cts[i] = cur + g;
      return;
    }
    // cotangents hold tracked values only while an enclosing differentiation runs
    if (trackedCotangent(cur) || trackedCotangent(g)) {
      cts[i] = addVal(dense(cur), dense(g));
      owned[i] = 0;
      return;
    }
    const acc = ownedTree(i);
    if (g instanceof SparseCotangent) g.addInto(acc);
    else axpyInto(acc, 1, g as VValue);
  };
  for (let i = output[INDEX]; i >= 0; i--) {
    if (cts[i] === undefined) continue;
    const g = settled(i);
    const node = tape[i]!;
    if (node[VJP] === null || node[PARENTS] === null) {
      cts[i] = g; // an input: keep its cotangent
      continue;
    }
    cts[i] = undefined;
    const gs = node[VJP](g);
    const parents = node[PARENTS];
    for (let j = 0; j < parents.length; j++) {
      const gj = gs[j];
      if (gj !== undefined) accumulate(parents[j]![INDEX], gj);
    }
  }
  return cts as Array<Val | undefined>;
}
