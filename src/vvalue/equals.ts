import { subP } from "./algebra.js";
import type { VValue } from "./types.js";

/**
 * Whether two V-values are the same vector: key order is ignored, a missing key
 * equals 0 and `x` equals `{":number": x}`.
 *
 * @example
 * equals({ a: 1, b: 0 }, { a: 1 });            // true
 * equals(2, { ":number": 2 });                 // true
 * equals({ a: 1 }, { a: 1.0001 }, { tolerance: 1e-3 }); // true
 */
export function equals(a: VValue, b: VValue, options: { tolerance?: number } = {}): boolean {
  const tol = options.tolerance ?? 0;
  return allLeaves(subP(a, b), (d) => Math.abs(d) <= tol);
}

function allLeaves(v: VValue, ok: (x: number) => boolean): boolean {
  if (typeof v === "number") return ok(v);
  for (const k in v) if (!allLeaves(v[k]!, ok)) return false;
  return true;
}
