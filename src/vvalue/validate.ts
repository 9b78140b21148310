import { isTreePrototype, newTree } from "./tree.js";
import type { VValue } from "./types.js";

/** Options for {@link validate}. */
export interface ValidateOptions {
  /** Also reject NaN and ±Infinity leaves (default false: NaN propagates like IEEE). */
  finite?: boolean;
  /** Name of the value in error messages (default "value"). */
  name?: string;
  /** Objects accepted as leaves without looking inside (e.g. tracked values). */
  allow?: (x: object) => boolean;
}

/** Renders a key path for error messages: `value.a["odd key"].b`. */
export function formatPath(name: string, path: readonly string[]): string {
  let s = name;
  for (const k of path) s += /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  return s;
}

/**
 * Checks that `v` is a V-value (a number, or plain objects with V-value children)
 * and returns it typed as one. Throws a `TypeError` naming the offending path for
 * arrays, functions, strings, null, class instances and cycles; with
 * `{ finite: true }`, a `RangeError` for NaN or infinite leaves.
 *
 * @example
 * validate({ a: 1, b: { c: 2 } }); // { a: 1, b: { c: 2 } }
 * validate({ a: [1, 2] });          // TypeError: value.a is an array; ...
 */
export function validate(v: unknown, options: ValidateOptions = {}): VValue {
  const name = options.name ?? "value";
  const finite = options.finite ?? false;
  const path: string[] = [];
  const onPath = new Set<object>();
  const visit = (x: unknown): void => {
    if (typeof x === "number") {
      if (finite && !Number.isFinite(x)) {
        throw new RangeError(`${formatPath(name, path)} is ${x}; a finite number is required`);
      }
      return;
    }
    const where = formatPath(name, path);
    if (x === null) throw new TypeError(`${where} is null; a V-value is a number or a plain object`);
    if (Array.isArray(x)) throw new TypeError(`${where} is an array; a V-value is a number or a plain object`);
    if (typeof x !== "object") {
      throw new TypeError(`${where} is a ${typeof x}; a V-value is a number or a plain object`);
    }
    if (options.allow?.(x)) return;
    const proto = Object.getPrototypeOf(x);
    if (!isTreePrototype(proto)) {
      const ctor = (proto as { constructor?: { name?: string } }).constructor?.name ?? "unknown class";
      throw new TypeError(`${where} is an instance of ${ctor}; a V-value is a number or a plain object`);
    }
    if (onPath.has(x)) throw new TypeError(`${where} is a cycle back to an enclosing object`);
    onPath.add(x);
    for (const k of Object.keys(x)) {
      path.push(k);
      visit((x as Record<string, unknown>)[k]);
      path.pop();
    }
    onPath.delete(x);
  };
  visit(v);
  return v as VValue;
}

/** A deep copy of a validated V-value made of null-prototype trees. */
export function toNullPrototype(v: VValue): VValue {
  if (typeof v === "number") return v;
  const out = newTree();
  for (const k of Object.keys(v)) out[k] = toNullPrototype(v[k]!);
  return out;
}
