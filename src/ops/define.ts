/** Helpers for the operation files: argument checks shared by several operations. */
import { bottom } from "../ad/tracked.js";

/** Throws unless `s` is a scalar (a number, possibly tracked). */
export function requireScalar(op: string, s: unknown): void {
  const x = bottom(s);
  if (typeof x !== "number") throw new TypeError(`${op}: the scalar argument must be a number, got ${describe(x)}`);
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? "a tree" : typeof x;
}
