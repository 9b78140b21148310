/**
 * Judging a jit result against eager mode's: the same kind (a number or a tree), the
 * same leaf set (paths from `leaves`, explicit zeros included, so an absent leaf must
 * stay absent and a present zero present), and every leaf within 1e-12 relative
 * (NaN = NaN, ±∞ exactly).
 */
import { leaves, type VValue } from "../../src/index.js";
import { show } from "../model/programs.js";

/** Relative tolerance of jit against eager (the issue's acceptance bound). */
export const RTOL = 1e-12;

/** Whether two leaves agree to `rtol` relative. */
export function leafAgrees(a: number, b: number, rtol = RTOL): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b));
}

/** `null` when `actual` agrees with `expected`; otherwise what differs. */
export function mismatch(actual: unknown, expected: VValue, rtol = RTOL): string | null {
  const isNumber = (x: unknown) => typeof x === "number";
  if (typeof actual !== "number" && (typeof actual !== "object" || actual === null)) {
    return `not a V-value: ${String(actual)}`;
  }
  if (isNumber(actual) !== isNumber(expected)) {
    return `kind differs: ${isNumber(actual) ? "a number" : "a tree"}, eager ${isNumber(expected) ? "a number" : "a tree"}`;
  }
  const a = new Map(leaves(actual as VValue).map(([p, x]) => [JSON.stringify(p), x]));
  const e = new Map(leaves(expected).map(([p, x]) => [JSON.stringify(p), x]));
  const extra = [...a.keys()].filter((k) => !e.has(k));
  const missing = [...e.keys()].filter((k) => !a.has(k));
  if (extra.length > 0 || missing.length > 0) {
    return `leaf set differs: extra ${extra.join(" ") || "none"}, missing ${missing.join(" ") || "none"}`;
  }
  for (const [k, x] of e) {
    const y = a.get(k)!;
    if (!leafAgrees(y, x, rtol)) return `at ${k}: ${y}, eager ${x}`;
  }
  return null;
}

/** Throws (with both values) unless `actual` agrees with `expected`. */
export function expectAgree(what: string, actual: unknown, expected: VValue, context = ""): void {
  const d = mismatch(actual, expected);
  if (d !== null) {
    throw new Error(
      `${what}: ${d}\n  jit:   ${show(actual)}\n  eager: ${show(expected)}${context ? `\n${context}` : ""}`,
    );
  }
}
