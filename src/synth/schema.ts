/**
 * Reading parsed JSON (a config file, a checkpoint) against the shape it must have.
 * Every error is one line naming the path of the offending field, e.g.
 * `checkpoint.adam must be an object, got null`.
 */
import { formatPath } from "../vvalue/json.js";

/** A field of a config or checkpoint that is missing, of the wrong type, or out of range. */
export class SchemaError extends RangeError {
  override name = "SchemaError";
}

/** Where a reader is: the document's name, and whether numbers may be encoded as strings. */
export interface ReadContext {
  /** The name errors start with (`checkpoint`, `--config cfg.json`). */
  readonly name: string;
  /**
   * Whether a number may appear as one of the strings "NaN", "Infinity", "-Infinity",
   * "-0" (how a checkpoint keeps the numbers JSON cannot hold; see encodeNumbers).
   */
  readonly encoded: boolean;
}

export type Path = readonly (string | number)[];

const ENCODED_NUMBERS: ReadonlyMap<string, number> = new Map([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["-0", -0],
]);

/**
 * A JSON.stringify replacer that keeps every number exact: NaN, ±Infinity and −0 (which
 * JSON would write as null, null and 0) become the strings "NaN", "Infinity",
 * "-Infinity" and "-0". A V-value never holds a string, so the encoding is unambiguous.
 *
 * @example
 * JSON.stringify({ a: NaN, b: -0, c: 1.5 }, encodeNumbers); // '{"a":"NaN","b":"-0","c":1.5}'
 */
export function encodeNumbers(_key: string, v: unknown): unknown {
  if (typeof v !== "number" || (Number.isFinite(v) && !Object.is(v, -0))) return v;
  return Object.is(v, -0) ? "-0" : String(v);
}

/** The text without a leading UTF-8 byte order mark (which editors on Windows add). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSON text (a leading byte order mark is allowed); malformed text gives a
 * SchemaError naming the document.
 *
 * @example
 * parseJson('\uFEFF{"seed": 7}', "--config cfg.json"); // { seed: 7 }
 */
export function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(stripBom(text));
  } catch (e) {
    throw new SchemaError(`${name}: malformed JSON (${(e as Error).message})`);
  }
}

/**
 * Where a field is: `checkpoint.soft.output["dict-1"]`, or for a document named by a
 * phrase (`--config cfg.json`), `--config cfg.json: network.types[0]`.
 */
export function at(ctx: ReadContext, path: Path): string {
  if (path.length === 0) return ctx.name;
  const word = /^[A-Za-z_$][\w$]*$/.test(ctx.name);
  let s = word ? ctx.name : "";
  for (const k of path) s = typeof k === "number" ? `${s}[${k}]` : formatPath(s, [k]);
  return word ? s : `${ctx.name}: ${s.replace(/^\./, "")}`;
}

/** A short description of a JSON value for an error message. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "nothing";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  if (typeof x === "number") return String(x);
  if (typeof x === "boolean") return String(x);
  if (typeof x === "object") return "an object";
  return `a ${typeof x}`;
}

/** Throws a SchemaError `<path> <message>`. */
export function fail(ctx: ReadContext, path: Path, message: string): never {
  throw new SchemaError(`${at(ctx, path)} ${message}`);
}

/** A plain object (not null, not an array). */
export function readObject(x: unknown, ctx: ReadContext, path: Path): Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x)) fail(ctx, path, `must be an object, got ${describe(x)}`);
  return x as Record<string, unknown>;
}

/**
 * Checks an object's own keys: each must be in `known`, and each of `required` must
 * be present.
 */
export function checkKeys(
  obj: Record<string, unknown>,
  known: readonly string[],
  required: readonly string[],
  ctx: ReadContext,
  path: Path,
): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) fail(ctx, [...path, k], `is not a known field; known: ${known.join(", ")}`);
  }
  for (const k of required) {
    if (!Object.hasOwn(obj, k)) fail(ctx, [...path, k], "is missing");
  }
}

/** A number (or, with `ctx.encoded`, one of the encoded non-finite numbers and −0). */
export function readNumber(x: unknown, ctx: ReadContext, path: Path): number {
  if (typeof x === "number") return x;
  if (ctx.encoded && typeof x === "string") {
    const n = ENCODED_NUMBERS.get(x);
    if (n !== undefined) return n;
  }
  fail(ctx, path, `must be a number, got ${describe(x)}`);
}

/** A finite number in [min, max] (or (min, max] with `minExclusive`). */
export function readFinite(
  x: unknown,
  ctx: ReadContext,
  path: Path,
  min = -Infinity,
  max = Infinity,
  minExclusive = false,
): number {
  const n = readNumber(x, ctx, path);
  if (!Number.isFinite(n) || (minExclusive ? n <= min : n < min) || n > max) {
    const lo = min === -Infinity ? "" : minExclusive ? `> ${min}` : `>= ${min}`;
    const hi = max === Infinity ? "" : `<= ${max}`;
    fail(
      ctx,
      path,
      `must be a finite number${lo || hi ? ` ${[lo, hi].filter(Boolean).join(" and ")}` : ""}, got ${describe(n)}`,
    );
  }
  return n;
}

/** A whole number in [min, max]. */
export function readInt(x: unknown, ctx: ReadContext, path: Path, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = readNumber(x, ctx, path);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range =
      max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > -Number.MAX_SAFE_INTEGER ? ` >= ${min}` : "";
    fail(ctx, path, `must be a whole number${range}, got ${describe(n)}`);
  }
  return n;
}

/** true or false. */
export function readBoolean(x: unknown, ctx: ReadContext, path: Path): boolean {
  if (typeof x !== "boolean") fail(ctx, path, `must be true or false, got ${describe(x)}`);
  return x;
}

/** A string. */
export function readString(x: unknown, ctx: ReadContext, path: Path): string {
  if (typeof x !== "string") fail(ctx, path, `must be a string, got ${describe(x)}`);
  return x;
}

/** One of a few strings. */
export function readChoice<T extends string>(x: unknown, ctx: ReadContext, path: Path, choices: readonly T[]): T {
  if (typeof x !== "string" || !(choices as readonly string[]).includes(x)) {
    fail(ctx, path, `must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${describe(x)}`);
  }
  return x as T;
}

/** An array of at most `max` elements. */
export function readArray(x: unknown, ctx: ReadContext, path: Path, max = Infinity): unknown[] {
  if (!Array.isArray(x)) fail(ctx, path, `must be an array, got ${describe(x)}`);
  if (x.length > max) fail(ctx, path, `has ${x.length} elements; at most ${max} are allowed`);
  return x;
}
