import { formatPath, toNullPrototype, validate } from "./validate.js";
import type { VValue } from "./types.js";

/**
 * Parses JSON text (or takes an already parsed value) into a V-value made of
 * null-prototype trees, rejecting anything that is not one with an error naming the
 * path. Every leaf must be a finite number (JSON has no NaN).
 *
 * @example
 * Object.keys(fromJSON('{"a": 1, "__proto__": {"b": 2}}')); // ["a", "__proto__"] (own keys: data, never a prototype)
 */
export function fromJSON(json: string | unknown, options: { name?: string } = {}): VValue {
  const name = options.name ?? "value";
  let parsed: unknown = json;
  if (typeof json === "string") {
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new SyntaxError(`${name}: malformed JSON (${(e as Error).message})`, { cause: e });
    }
  }
  return toNullPrototype(validate(parsed, { finite: true, name }));
}

/**
 * Serializes a V-value as JSON. Throws a `RangeError` naming the path of a NaN or
 * infinite leaf, which JSON cannot represent.
 *
 * @example
 * toJSON({ a: 1, b: { c: 2 } }); // '{"a":1,"b":{"c":2}}'
 */
export function toJSON(v: VValue, options: { space?: number; name?: string } = {}): string {
  validate(v, { finite: true, name: options.name ?? "value" });
  return JSON.stringify(v, null, options.space);
}

export { formatPath };
