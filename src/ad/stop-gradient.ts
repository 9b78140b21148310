import { newTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { innermostTrace } from "./primitive.js";
import { Tracked, type Val } from "./tracked.js";

function strip(v: Val): VValue {
  if (v instanceof Tracked) return strip(v.value);
  if (typeof v === "number" || innermostTrace(v) === null) return v;
  const out = newTree();
  for (const k in v) out[k] = strip((v as Record<string, Val>)[k]!);
  return out;
}

/**
 * The plain value behind a possibly tracked one, for control flow and printing.
 *
 * @example
 * gradient((x) => (primal(x) > 0 ? x : neg(x)), -3); // [-1]
 */
export function primal(v: VValue): VValue {
  return strip(v);
}

/**
 * The same value, treated as a constant: no gradient flows through it (in every
 * enclosing differentiation).
 *
 * @example
 * gradient((x) => mul(x, stopGradient(x)), 3); // [3], not [6]
 */
export function stopGradient(v: VValue): VValue {
  return strip(v);
}
