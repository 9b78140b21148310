import { formatPath, toNullPrototype, validate } from "./validate.js";
import type { VValue } from "./types.js";
import { Walk } from "./walk.js";

/**
 * Parses JSON text (or takes an already parsed value) into a V-value made of
 * null-prototype trees, rejecting anything that is not one with an error naming the
 * path. Every leaf must be a finite number (JSON has no NaN). A leading UTF-8 byte
 * order mark is skipped. Any nesting depth: V8's `JSON.parse` does not recurse, and
 * the checks and the copy are iterative.
 *
 * @example
 * Object.keys(fromJSON('{"a": 1, "__proto__": {"b": 2}}')); // ["a", "__proto__"] (own keys: data, never a prototype)
 */
export function fromJSON(json: string | unknown, options: { name?: string } = {}): VValue {
  const name = options.name ?? "value";
  let parsed: unknown = json;
  if (typeof json === "string") {
    const text = json.charCodeAt(0) === 0xfeff ? json.slice(1) : json;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SyntaxError(`${name}: malformed JSON (${(e as Error).message})`, { cause: e });
    }
  }
  return toNullPrototype(validate(parsed, { finite: true, name }));
}

/**
 * Serializes a V-value as JSON, indented by `space` (an integer from 0 to 10, default
 * 0) spaces per level: the same text as `JSON.stringify(v, null, space)`, at any
 * nesting depth (`JSON.stringify` itself recurses, and overflows the stack at
 * about 4 000 levels in Node 20). Throws a `RangeError` naming the path of a NaN or
 * infinite leaf, which JSON cannot represent, and `validate`'s TypeError for anything
 * that is not a V-value.
 *
 * @example
 * toJSON({ a: 1, b: { c: 2 } }); // '{"a":1,"b":{"c":2}}'
 */
export function toJSON(v: VValue, options: { space?: number; name?: string } = {}): string {
  const gap = indentOf(options.space);
  validate(v, { finite: true, name: options.name ?? "value" });
  return serialize(v, gap);
}

/** The indentation unit for `space` spaces per level. */
function indentOf(space: number | undefined): string {
  if (space === undefined) return "";
  if (!Number.isInteger(space) || space < 0 || space > 10) {
    throw new RangeError(`toJSON: space must be an integer from 0 to 10, got ${String(space)}`);
  }
  return " ".repeat(space);
}

/** `JSON.stringify(v, null, gap)` for a validated, finite V-value, without recursion. */
function serialize(v: VValue, gap: string): string {
  if (typeof v === "number") return String(v);
  const colon = gap === "" ? ":" : ": ";
  // keys repeat across a tree's subtrees: quote each once
  const quoted = new Map<string, string>();
  const w = new Walk(v);
  // indents[d]: the line break and indentation before the closing brace at depth d
  // (its entries sit one gap deeper)
  const indents: string[] = [gap === "" ? "" : "\n"];
  let out = "{";
  while (w.depth >= 0) {
    const d = w.depth;
    const t = w.trees.at[d] as Record<string, VValue>;
    const ks = w.keyLists[d]!;
    let i = w.next[d]!;
    let down: object | null = null;
    const inner = gap === "" ? "" : indents[d]! + gap;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const x = t[k]!;
      let q = quoted.get(k);
      if (q === undefined) {
        q = JSON.stringify(k) + colon;
        quoted.set(k, q);
      }
      out += (i === 0 ? inner : "," + inner) + q;
      if (typeof x === "number") {
        out += String(x);
        continue;
      }
      down = x;
      break;
    }
    if (down === null) {
      out += ks.length === 0 ? "}" : indents[d]! + "}";
      w.pop();
      continue;
    }
    w.next[d] = i + 1;
    w.push(down);
    indents[d + 1] = inner;
    out += "{";
  }
  return out;
}

export { formatPath };
