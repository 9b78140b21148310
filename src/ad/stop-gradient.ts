import { newTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { isForwardBox } from "./forward.js";
import { innermostTrace } from "./primitive.js";
import { ReverseTrace } from "./reverse-trace.js";
import { Tracked, type Val, VALUE, TRACE } from "./tracked.js";

/**
 * `v` without the boxes that `keep` rejects. `read` tells each box's trace that its
 * plain value was read (a jit trace then guards that value).
 */
function strip(v: Val, keep: (box: Tracked) => boolean, read: boolean): VValue {
  if (v instanceof Tracked) {
    if (keep(v)) return v as unknown as VValue;
    if (read) v[TRACE].readPrimal(v);
    return strip(v[VALUE], keep, read);
  }
  if (typeof v === "number" || innermostTrace(v) === null) return v;
  const out = newTree();
  for (const k in v) out[k] = strip((v as Record<string, Val>)[k]!, keep, read);
  return out;
}

const none = (): boolean => false;
/** Boxes that differentiate (reverse or forward mode) are dropped; others (jit's) kept. */
const notDifferentiating = (box: Tracked): boolean => !(box[TRACE] instanceof ReverseTrace) && !isForwardBox(box);

/**
 * The plain value behind a possibly tracked one, for control flow and printing.
 * Under `jit`, each value read this way is a guard: a later call whose value differs
 * there is caught (see the guide's jit section).
 *
 * @example
 * gradient((x) => (primal(x) > 0 ? x : neg(x)), -3); // [-1]
 */
export function primal(v: number): number;
export function primal(v: VValue): VValue;
export function primal(v: VValue): VValue {
  return strip(v, none, true);
}

/**
 * The plain value behind a possibly tracked one, for reading its structure only
 * (keys, kinds): unlike `primal`, no guard under `jit`, so its numbers must not be
 * used.
 */
export function shapeOf(v: VValue): VValue {
  return strip(v, none, false);
}

/**
 * The same value, treated as a constant: no gradient flows through it (in every
 * enclosing differentiation, reverse or forward mode: its tangent is zero).
 *
 * @example
 * gradient((x) => mul(x, stopGradient(x)), 3); // [3], not [6]
 */
export function stopGradient(v: VValue): VValue {
  return strip(v, notDifferentiating, false);
}
