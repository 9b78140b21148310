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
import { Tracked, type Val } from "./tracked.js";

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
  const accumulate = (i: number, g: Val): void => {
    const cur = cts[i];
    if (cur === undefined) {
      cts[i] = g;
      return;
    }
    if (typeof cur === "number" && typeof g === "number") {
      cts[i] = cur + g;
      return;
    }
    if (cur instanceof Tracked || g instanceof Tracked || innermostTrace(cur) !== null || innermostTrace(g) !== null) {
      cts[i] = addOp(cur, g);
      owned[i] = 0;
      return;
    }
    let acc: MutableTree;
    if (owned[i]) acc = cur as MutableTree;
    else {
      if (typeof cur === "number") {
        acc = newTree();
        acc[NUMBER_KEY] = cur;
      } else acc = cloneP(cur as VValue) as MutableTree;
      cts[i] = acc;
      owned[i] = 1;
    }
    axpyInto(acc, 1, g as VValue);
  };
  for (let i = output.index; i >= 0; i--) {
    const g = cts[i];
    if (g === undefined) continue;
    const node = tape[i]!;
    if (node.vjp === null || node.parents === null) continue; // an input: keep its cotangent
    cts[i] = undefined;
    const gs = node.vjp(g);
    const parents = node.parents;
    for (let j = 0; j < parents.length; j++) {
      const gj = gs[j];
      if (gj !== undefined) accumulate(parents[j]!.index, gj);
    }
  }
  return cts;
}
