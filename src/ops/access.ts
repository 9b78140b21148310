/** Reading into trees: `get`, its adjoint `embed`, `keys`. */
import { apply, setGetOp } from "../ad/primitive.js";
import { isPlain, Tracked, type Val } from "../ad/tracked.js";
import { atPath, getP } from "../vvalue/algebra.js";
import { child } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { NUMBER_KEY } from "../vvalue/types.js";
import { primal } from "../ad/stop-gradient.js";
import type { Primitive } from "./define.js";

const getPrim: Primitive<readonly string[]> = {
  name: "get",
  impl: ([v], path) => getP(v!, path),
  vjp: (g, _ans, _args, path) => [embed(path, g as VValue)],
};

const embedPrim: Primitive<readonly string[]> = {
  name: "embed",
  impl: ([v], path) => atPath(path, v!),
  vjp: (g, _ans, _args, path) => [get(g as VValue, ...path)],
};

/** The tree with `v` at `path` (the adjoint of `get`). */
export function embed(path: readonly string[], v: VValue): VValue {
  return isPlain(v) ? atPath(path, v) : (apply(embedPrim, [v], path) as VValue);
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
    if (cur instanceof Tracked) return getTracked(cur, path.slice(i));
    if (typeof cur === "number") return path[i] === NUMBER_KEY ? get(cur, ...path.slice(i + 1)) : 0;
    const next: Val | undefined = child(cur as VValue & object, path[i]!);
    if (next === undefined) return 0;
    cur = next;
  }
  return cur as VValue;
}

/** `get` on a box: a node marked with its path when the box holds a plain tree. */
function getTracked(box: Tracked, path: readonly string[]): VValue {
  const v = box.value;
  if (path.length === 0) return box as unknown as VValue;
  if (typeof v !== "object" || !box.plain) {
    return apply(getPrim, [box], path) as VValue;
  }
  const node = new Tracked(getP(v as VValue, path), box.trace, [box], (g) => [embed(path, g as VValue)]);
  node.getPath = path;
  node.plain = true;
  return node as unknown as VValue;
}

setGetOp((v, path) => get(v as VValue, ...path));

/**
 * The first-level keys of `v` (of its plain value); a number has the one key ":number".
 *
 * @example
 * keys({ a: 1, b: { c: 2 } }); // ["a", "b"]
 */
export function keys(v: VValue): string[] {
  const p = primal(v);
  return typeof p === "number" ? [NUMBER_KEY] : Object.keys(p);
}
