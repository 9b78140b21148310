import { isTreePrototype, newTree, type MutableTree } from "./tree.js";
import { TRACKED, type VValue } from "./types.js";
import { Walk } from "./walk.js";

/** Options for {@link validate}. */
export interface ValidateOptions {
  /** Also reject NaN and ±Infinity leaves (default false: NaN propagates like IEEE). */
  finite?: boolean;
  /** Name of the value in error messages (default "value"). */
  name?: string;
  /**
   * Objects for which this returns true are accepted as leaves and not descended
   * into (the AD layer accepts its tracked values this way). Called for every object
   * met, plain trees included, before anything else is checked about it.
   */
  allow?: (x: object) => boolean;
}

/** Paths of more keys than this are shown abbreviated in messages, keeping ends this long. */
const PATH_FULL = 64;
const PATH_END = 10;

/**
 * Renders a key path for error messages: `value.a["odd key"].b`. A path of more than
 * 64 keys shows its first and last 10 keys and how many lie between, so that a
 * message about a deeply nested value stays one readable line.
 *
 * @example
 * formatPath("params", ["layer", "odd key"]); // 'params.layer["odd key"]'
 */
export function formatPath(name: string, path: readonly string[]): string {
  const n = path.length;
  if (n <= PATH_FULL) return name + formatKeys(path, 0, n);
  const hidden = n - 2 * PATH_END;
  return `${name}${formatKeys(path, 0, PATH_END)} …(${hidden} more keys)… ${formatKeys(path, n - PATH_END, n)}`;
}

function formatKeys(path: readonly string[], from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) {
    const k = path[i]!;
    s += /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  }
  return s;
}

/** Whether `x` is a tree: an object whose prototype is `Object.prototype`, null or vgrad's. */
export function isTreeObject(x: unknown): x is object {
  return typeof x === "object" && x !== null && isTreePrototype(Object.getPrototypeOf(x));
}

const hasOwnProperty = Object.prototype.hasOwnProperty;
const PLAIN = "; a V-value is a number or a plain object";

/** Why `x`, which is neither a number nor a tree, is not a V-value ("is null; …"). */
function kindProblem(x: unknown): string {
  if (x === null) return `is null${PLAIN}`;
  if (x === undefined) return `is undefined${PLAIN}`;
  if (typeof x !== "object") return `is a ${typeof x}${PLAIN}`;
  if ((x as { [TRACKED]?: unknown })[TRACKED] === true) {
    return "is a tracked value (inside a differentiated function); call primal(v) first to read its plain value";
  }
  if (Array.isArray(x)) return `is an array${PLAIN}`;
  const proto = Object.getPrototypeOf(x) as object;
  const ctor = hasOwnProperty.call(proto, "constructor") ? (proto as { constructor: unknown }).constructor : undefined;
  if (typeof ctor === "function") {
    if (ctor.name === "Object" && Object.getPrototypeOf(proto) === null) {
      return "is a plain object of another realm (a vm context or a frame); copy it into this one, e.g. with structuredClone";
    }
    return `is an instance of ${ctor.name || "an anonymous class"}${PLAIN}`;
  }
  return "has a non-plain prototype (inherited properties are not data); a V-value tree's prototype is Object.prototype or null";
}

/**
 * The TypeError for a child that is not a V-value. `keys[0..depth)` is its path below
 * `name`; `prefix` names the function ("leaves: ").
 */
export function kindError(prefix: string, name: string, keys: readonly string[], depth: number, x: unknown): TypeError {
  return new TypeError(`${prefix}${formatPath(name, keys.slice(0, depth))} ${kindProblem(x)}`);
}

/**
 * The TypeError for a child `x` at path `keys[0..depth)` that is one of the trees on
 * its own path (`trees[i]` is the tree at `keys[0..i)`): the message names both ends.
 */
export function cycleError(
  prefix: string,
  name: string,
  keys: readonly string[],
  depth: number,
  trees: readonly unknown[],
  x: object,
): TypeError {
  const back = trees.indexOf(x);
  return new TypeError(
    `${prefix}${formatPath(name, keys.slice(0, depth))} is a cycle back to ${formatPath(name, keys.slice(0, back))}, ` +
      "which encloses it; a V-value is a tree",
  );
}

/** The RangeError of `validate(…, { finite: true })` for a NaN or infinite leaf. */
function finiteError(name: string, keys: readonly string[], depth: number, x: number): RangeError {
  return new RangeError(`${formatPath(name, keys.slice(0, depth))} is ${x}; a finite number is required`);
}

/**
 * Checks that `v` is a V-value (a number, or trees — objects whose prototype is
 * `Object.prototype` or null — with V-value children) and returns it typed as one.
 * Throws a `TypeError` naming the offending path for arrays, functions, strings,
 * booleans, null, undefined, bigints, symbols, class instances (Map, Date, typed
 * arrays, …), objects with inherited properties, tracked values and cycles; with
 * `{ finite: true }`, a `RangeError` for NaN or infinite leaves. A subtree shared
 * under two keys is fine.
 *
 * One pass over the value without recursion, so any nesting depth is fine, and no
 * string work until an error is found: cheap enough to check every argument of a
 * call. `allow` admits objects of the caller's own as leaves.
 *
 * @example
 * validate({ a: 1, b: { c: 2 } });         // ok
 * validate({ a: [1, 2] });                  // TypeError: value.a is an array; ...
 * validate({ w: new Map() }, { name: "params" }); // TypeError: params.w is an instance of Map; ...
 * validate({ a: 1, d: new Date() }, { allow: (x) => x instanceof Date }); // ok
 */
export function validate(v: unknown, options: ValidateOptions = {}): VValue {
  const name = options.name ?? "value";
  const finite = options.finite === true;
  const allow = options.allow;
  if (typeof v === "number") {
    if (finite && !Number.isFinite(v)) throw finiteError(name, [], 0, v);
    return v;
  }
  if (allow !== undefined && typeof v === "object" && v !== null && allow(v)) return v as VValue;
  if (!isTreeObject(v)) throw kindError("", name, [], 0, v);
  const w = new Walk(v);
  const path = w.path;
  while (w.depth >= 0) {
    const d = w.depth;
    const t = w.trees.at[d] as Record<string, unknown>;
    const ks = w.keyLists[d]!;
    let down: object | null = null;
    let i = w.next[d]!;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const x = t[k];
      if (typeof x === "number") {
        if (finite && !Number.isFinite(x)) {
          path[d] = k;
          throw finiteError(name, path, d + 1, x);
        }
        continue;
      }
      path[d] = k;
      if (allow !== undefined && typeof x === "object" && x !== null && allow(x)) continue;
      if (!isTreeObject(x)) throw kindError("", name, path, d + 1, x);
      if (w.onPath(x)) throw cycleError("", name, path, d + 1, w.trees.upTo(d), x);
      down = x;
      break;
    }
    if (down === null) {
      w.pop();
      continue;
    }
    w.next[d] = i + 1;
    w.push(down);
  }
  return v as VValue;
}

/**
 * A deep copy of a validated V-value made of vgrad's trees (no `Object.prototype`, so
 * every key is data). Iterative: any depth.
 */
export function toNullPrototype(v: VValue): VValue {
  if (typeof v === "number") return v;
  const root = newTree();
  const outs: MutableTree[] = [root];
  const w = new Walk(v);
  while (w.depth >= 0) {
    const d = w.depth;
    const t = w.trees.at[d] as Record<string, VValue>;
    const out = outs[d]!;
    const ks = w.keyLists[d]!;
    let i = w.next[d]!;
    let down: object | null = null;
    for (; i < ks.length; i++) {
      const k = ks[i]!;
      const x = t[k]!;
      if (typeof x === "number") {
        out[k] = x;
        continue;
      }
      down = x;
      break;
    }
    if (down === null) {
      w.pop();
      continue;
    }
    const copy = newTree();
    out[ks[i]!] = copy;
    outs[d + 1] = copy;
    w.next[d] = i + 1;
    w.push(down);
  }
  return root;
}
