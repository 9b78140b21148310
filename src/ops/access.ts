/** Reading into trees: `get`, its adjoint `embed`, `keys`. */
import { embedVal, getVal } from "../ad/structural.js";
import { isPlain, Tracked, type Val } from "../ad/tracked.js";
import { atPath } from "../vvalue/algebra.js";
import { child } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { shapeOf } from "../ad/stop-gradient.js";

/** The tree with `v` at `path` (the adjoint of `get`). */
export function embed(path: readonly string[], v: VValue): VValue {
  return isPlain(v) ? atPath(path, v) : (embedVal(path, v) as VValue);
}

/**
 * Reads `v` at `path`. A missing key — including inherited names such as
 * `"toString"` or `"__proto__"` that are not own keys — reads as 0. Inside a
 * differentiated function the cotangent goes to that path only, so the gradient is
 * sparse.
 *
 * @example
 * get({ a: { b: 2 } }, "a", "b"); // 2
 * get({ a: 1 }, "toString");      // 0
 * gradient((t) => get(t, "a"), { a: 1, b: 2 }); // [{ a: 1 }]
 */
export function get(v: VValue, ...path: string[]): VValue {
  for (const k of path) {
    if (typeof k !== "string") throw new TypeError(`get: path keys must be strings, got ${typeof k}`);
  }
  // Walk plain levels directly (object literals of tracked values stay cheap to read).
  let cur: Val = v;
  for (let i = 0; i < path.length; i++) {
    if (cur instanceof Tracked) return getVal(cur, i === 0 ? path : path.slice(i)) as VValue;
    if (typeof cur === "number") {
      if (path[i] !== NUMBER_KEY) return 0;
      continue; // x ≡ {":number": x}
    }
    const next: Val | undefined = child(cur as VValue & object, path[i]!);
    if (next === undefined) return 0;
    cur = next;
  }
  return cur as VValue;
}

/**
 * The first-level keys of `v` (of its plain value); a number has the one key ":number".
 *
 * @example
 * keys({ a: 1, b: { c: 2 } }); // ["a", "b"]
 */
export function keys(v: VValue): string[] {
  const p = shapeOf(v);
  return typeof p === "number" ? [NUMBER_KEY] : Object.keys(p);
}
