/** Judging a value computed by vgrad against the reference model. */
import { fromVValue, TOLERANCE as RTOL, type Leaf, type MValue } from "./model.js";

/**
 * `null` when `actual` has the model's leaf set and values; otherwise what differs. An
 * exact leaf must match bit for bit (NaN = NaN, 0 = −0); an inexact one within
 * `TOLERANCE·m`; one the model cannot determine (m = ∞) only has to be present.
 */
export function disagreement(actual: unknown, expected: MValue): string | null {
  let got: MValue;
  try {
    got = fromVValue(actual);
  } catch (e) {
    return (e as Error).message;
  }
  const extra = [...got.leaves.keys()].filter((k) => !expected.leaves.has(k));
  const missing = [...expected.leaves.keys()].filter((k) => !got.leaves.has(k));
  if (extra.length > 0 || missing.length > 0) {
    return `leaf set differs: extra ${extra.join(" ") || "none"}, missing ${missing.join(" ") || "none"}`;
  }
  for (const [k, e] of expected.leaves) {
    const a = got.leaves.get(k)!.x;
    if (!leafAgrees(a, e)) return `at ${k}: ${a}, model ${e.x} ${e.exact ? "(exact)" : `(± ${RTOL * e.m})`}`;
  }
  return null;
}

function leafAgrees(a: number, e: Leaf): boolean {
  if (e.exact) return Number.isNaN(e.x) ? Number.isNaN(a) : a === e.x;
  // a NaN that no uncertainty produced (the square root of a clearly negative value)
  if (Number.isNaN(e.x) && Number.isNaN(e.m)) return Number.isNaN(a);
  if (!(e.m < Infinity)) return true;
  return Math.abs(a - e.x) <= RTOL * e.m;
}
