/** Small helpers that turn a primitive into a public operation with a plain fast path. */
import { apply, type Primitive } from "../ad/primitive.js";
import { isPlain, Tracked, type Val } from "../ad/tracked.js";
import type { VValue } from "../vvalue/types.js";

export type { Primitive, Val };

/** A unary operation: the plain function when nothing is traced, else the primitive. */
export function unary(prim: Primitive, plain: (v: VValue) => VValue): (v: VValue) => VValue {
  return (v) => (isPlain(v) ? plain(v) : (apply(prim, [v], undefined) as VValue));
}

/** A binary operation, likewise. */
export function binary<R extends VValue>(
  prim: Primitive,
  plain: (a: VValue, b: VValue) => R,
): (a: VValue, b: VValue) => R {
  return (a, b) => (isPlain(a) && isPlain(b) ? plain(a, b) : (apply(prim, [a, b], undefined) as R));
}

/** Throws unless `s` is a scalar (a number, possibly tracked). */
export function requireScalar(op: string, s: unknown): void {
  let x = s;
  while (x instanceof Tracked) x = x.value;
  if (typeof x !== "number") throw new TypeError(`${op}: the scalar argument must be a number, got ${describe(x)}`);
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? "a tree" : typeof x;
}
