/**
 * Forward mode: a trace whose boxes carry a tangent beside their value. Recording an
 * operation computes the result's tangent at once, from the arguments' tangents,
 * through the operation's `jvp` rule; nothing is kept for later, so a jvp costs about
 * one forward pass plus one pass of the rules. The rules are written with vgrad
 * operations, so they are recorded by enclosing traces: a jvp of a gradient
 * (forward-over-reverse, {@link hvp}) and a gradient of a jvp both work.
 */
import { child, newTree, type MutableTree } from "../vvalue/tree.js";
import { NUMBER_KEY, type VValue } from "../vvalue/types.js";
import { cycleError, formatPath, isTreeObject, kindError, validate } from "../vvalue/validate.js";
import { innermostTrace, isNumberLike, lift, toNumber, type Primitive } from "./primitive.js";
import { projectVal } from "./structural.js";
import { shapeOf } from "./stop-gradient.js";
import {
  escapedError,
  PLAIN,
  Trace,
  TRACE,
  Tracked,
  VALUE,
  withActiveTrace,
  withoutTracing,
  type Val,
} from "./tracked.js";

/** A forward-mode box's tangent (undefined = zero), under a symbol like a box's other fields. */
export const TANGENT: unique symbol = Symbol("vgrad.tangent");

/** A box of a {@link JvpTrace}: a value one level down and its tangent. */
export class JvpBox extends Tracked {
  readonly [TANGENT]: Val | undefined;
  constructor(value: Val, trace: JvpTrace, tangent: Val | undefined) {
    super(value, trace, null, null);
    this[TANGENT] = tangent;
  }
}
// `t.constructor` is data (see tracked.ts)
delete (JvpBox.prototype as { constructor?: unknown }).constructor;

/** The error for forward mode through an operation that has no forward rule. */
function noRule(prim: Primitive<unknown>): TypeError {
  return new TypeError(
    `jvp: the operation "${prim.name}" has no forward-mode rule, so forward mode (jvp, hvp, hessian, a forward-mode jacobian) cannot pass through it; ` +
      "give it one (defineOp's options: { jvp }) or use reverse mode (gradient, pullback)",
  );
}

/** A forward-mode trace: each recorded operation gets its tangent from its `jvp` rule. */
export class JvpTrace extends Trace {
  record(
    prim: Primitive<unknown>,
    ans: Val,
    parents: Tracked[],
    args: Val[],
    params: unknown,
    argOf: readonly number[],
  ): Tracked {
    let tangents: Array<Val | undefined> | null = null;
    // whether the rule sees only plain values: a tangent is plain or a box (never a
    // literal holding boxes), and a parent knows whether its value holds boxes
    let plain = true;
    for (let j = 0; j < parents.length; j++) {
      const p = parents[j] as JvpBox;
      if (!p[PLAIN]) plain = false;
      const t = p[TANGENT];
      if (t === undefined) continue;
      if (t instanceof Tracked) plain = false;
      tangents ??= new Array<Val | undefined>(args.length).fill(undefined);
      tangents[argOf[j]!] = t;
    }
    let tangent: Val | undefined;
    if (tangents !== null) {
      const rule = prim.jvp;
      if (rule === undefined) throw noRule(prim);
      // from plain values the rule's operations take their plain paths: nothing to record
      tangent =
        plain && constantsPlain(args, argOf)
          ? withoutTracing(() => rule(args, tangents!, params, ans))
          : rule(args, tangents, params, ans);
      // a number's tangent is a number (a tree of ":number" parts is read as one)
      if (tangent !== undefined && isNumberLike(ans) && !isNumberLike(tangent)) tangent = toNumber(tangent);
    }
    return new JvpBox(ans, this, tangent);
  }
}

/** Whether the arguments that are not boxes of the trace (constants, outer boxes) hold no box. */
function constantsPlain(args: readonly Val[], argOf: readonly number[]): boolean {
  if (argOf.length === args.length) return true;
  let j = 0; // argOf is ascending
  for (let i = 0; i < args.length; i++) {
    if (argOf[j] === i) {
      j++;
      continue;
    }
    const a = args[i];
    if (a instanceof Tracked || (typeof a === "object" && innermostTrace(a) !== null)) return false;
  }
  return true;
}

/** Whether `box` belongs to a forward-mode trace (stopGradient drops its tangent). */
export function isForwardBox(box: Tracked): boolean {
  return box[TRACE] instanceof JvpTrace;
}

type Fn = (...args: any[]) => VValue;

/**
 * Runs `f` on boxes of a new forward-mode trace holding `primals` (possibly tracked by
 * enclosing traces) and `tangents` (undefined = zero): f's value and its tangent
 * (undefined = zero). No argument checks: callers check.
 */
export function forwardTangent(
  f: Fn,
  primals: readonly Val[],
  tangents: ReadonlyArray<Val | undefined>,
  where: string,
): { value: Val; tangent: Val | undefined } {
  const trace = new JvpTrace();
  const inputs = primals.map((p, i) => {
    const box = new JvpBox(p, trace, tangents[i]);
    box[PLAIN] = innermostTrace(p) === null;
    return box;
  });
  let out: Val;
  try {
    out = withActiveTrace(() => f(...inputs)) as Val;
    if (out === undefined || out === null || (typeof out !== "number" && typeof out !== "object")) {
      throw new TypeError(`${where}: f returned ${out === null ? "null" : typeof out}; it must return a V-value`);
    }
    out = lift(out, trace);
  } finally {
    trace.done = true;
  }
  if (out instanceof JvpBox && out[TRACE] === trace) return { value: out[VALUE], tangent: out[TANGENT] };
  checkValue(where, out, "f's result");
  return { value: out, tangent: undefined };
}

const isTracked = (x: object): boolean => x instanceof Tracked;

/** A V-value (tracked values of enclosing differentiations allowed), and no box of a finished one. */
export function checkValue(where: string, v: unknown, name: string): void {
  if (typeof v === "number") return;
  validate(v, { name: `${where}: ${name}`, allow: isTracked });
  const t = innermostTrace(v);
  if (t !== null && t.done) throw escapedError(where);
}

/** Why a tangent does not fit its primal at `path`. */
function misfit(where: string, name: string, primalName: string, path: readonly string[], number: boolean): TypeError {
  const fit = "a tangent must have its primal's shape (leaves may be left out)";
  if (number) {
    return new TypeError(
      `${where}: ${formatPath(name, path)} is a number where ${formatPath(primalName, path)} is a tree without a ":number" part; ${fit}`,
    );
  }
  return new TypeError(
    `${where}: ${formatPath(name, path)} has no counterpart in ${formatPath(primalName, path.slice(0, -1))}; ${fit}`,
  );
}

/** Thrown by {@link plainTangent} when it meets a box: that tangent is checked the general way. */
const HOLDS_BOX = Symbol("holds a box");

/**
 * The user's plain tangent `t` for the plain primal `p`, checked and projected in one
 * walk over `t`: a V-value whose leaves lie at leaf paths of `p`, returned with `p`'s
 * kind and without empty subtrees, or undefined when it has no leaf. Throws naming
 * the path (a cycle is caught by `onPath`; anything else deeper than `p` by the shape).
 */
function plainTangent(
  where: string,
  t: unknown,
  p: VValue,
  name: string,
  primalName: string,
  path: string[],
  onPath: object[],
): VValue | undefined {
  if (typeof t === "number") {
    if (typeof p === "number") return t;
    // t ≡ {":number": t}
    const pn = child(p, NUMBER_KEY);
    if (pn === undefined) throw misfit(where, name, primalName, path, true);
    path.push(NUMBER_KEY);
    const x = plainTangent(where, t, pn, name, primalName, path, onPath)!;
    path.pop();
    const out = newTree();
    out[NUMBER_KEY] = x;
    return out;
  }
  if (t instanceof Tracked) throw HOLDS_BOX;
  if (!isTreeObject(t)) throw kindError(`${where}: `, name, path, path.length, t);
  if (onPath.includes(t)) throw cycleError(`${where}: `, name, path, path.length, onPath, t);
  onPath.push(t);
  let out: MutableTree | undefined;
  let scalar: VValue | undefined;
  for (const k of Object.keys(t)) {
    const pk = typeof p === "number" ? (k === NUMBER_KEY ? p : undefined) : child(p, k);
    const tk = (t as Record<string, unknown>)[k];
    if (typeof tk === "number" && typeof pk === "number" && typeof p !== "number") {
      (out ??= newTree())[k] = tk; // a leaf at a leaf (the common case, without a call)
      continue;
    }
    path.push(k);
    if (pk === undefined) throw misfit(where, name, primalName, path, false);
    const x = plainTangent(where, tk, pk, name, primalName, path, onPath);
    path.pop();
    if (x === undefined) continue;
    if (typeof p === "number")
      scalar = x; // its one key is ":number"
    else (out ??= newTree())[k] = x;
  }
  onPath.pop();
  return typeof p === "number" ? scalar : out;
}

/** Checks the arguments of a forward-mode transform; returns the tangents as the trace takes them. */
export function entryTangents(where: string, primals: unknown, tangents: unknown): Array<Val | undefined> {
  const describe = (x: unknown): string => (x === null ? "null" : Array.isArray(x) ? "an array" : typeof x);
  if (!Array.isArray(primals)) {
    throw new TypeError(
      `${where}: primals must be an array of V-values, one per argument of f; got ${describe(primals)}`,
    );
  }
  if (!Array.isArray(tangents)) {
    throw new TypeError(`${where}: tangents must be an array of V-values, one per primal; got ${describe(tangents)}`);
  }
  if (primals.length !== tangents.length) {
    throw new RangeError(
      `${where}: ${primals.length} primal(s) and ${tangents.length} tangent(s); give one tangent per primal`,
    );
  }
  primals.forEach((p, i) => checkValue(where, p, `primals[${i}]`));
  return tangents.map((t, i) => entryTangent(where, t, primals[i] as VValue, i));
}

/**
 * A user's tangent as the trace takes it: checked against its primal, of the primal's
 * kind, undefined for a zero, and (as every tangent) plain or one box, never a literal
 * holding boxes.
 */
function entryTangent(where: string, t: unknown, primal: VValue, i: number): Val | undefined {
  const name = `tangents[${i}]`,
    primalName = `primals[${i}]`;
  const shape = shapeOf(primal);
  try {
    return plainTangent(where, t, shape, name, primalName, [], []);
  } catch (e) {
    if (e !== HOLDS_BOX) throw e;
  }
  // a tangent holding tracked values (inside another differentiation)
  checkValue(where, t, name);
  // no leaf is a zero whatever its values: under jit, too, the structure is fixed
  if (plainTangent(where, shapeOf(t as VValue), shape, name, primalName, [], []) === undefined) return undefined;
  return projectVal(t as VValue, shape);
}

/** A tangent as returned to the user: shaped like its value (`0` or `{}` for a zero). */
export function finishTangent(t: Val | undefined, value: Val): VValue {
  if (t === undefined) return isNumberLike(value) ? 0 : newTree();
  return projectVal(t, shapeOf(value as VValue)) as VValue;
}

/**
 * Forward mode: `f(...primals)` and its directional derivative along `tangents`
 * (`J·t`, one tangent per argument, shaped like it; a leaf left out is a zero),
 * computed in one pass with each operation's forward rule. The tangent comes back
 * shaped like the value (sparse: only leaves that depend on the tangents).
 *
 * @example
 * jvp((x, y) => mul(x, y), [{ a: 2, b: 3 }, { a: 5, b: 7 }], [{ a: 1 }, {}]);
 * // { value: { a: 10, b: 21 }, tangent: { a: 5 } }
 * jvp((x) => sum(square(x)), [{ a: 1, b: 2 }], [{ a: 1, b: 1 }]); // { value: 5, tangent: 6 }
 */
export function jvp(f: Fn, primals: VValue[], tangents: VValue[]): { value: VValue; tangent: VValue } {
  if (typeof f !== "function") throw new TypeError(`jvp: f must be a function, got ${typeof f}`);
  const { value, tangent } = forwardTangent(f, primals, entryTangents("jvp", primals, tangents), "jvp");
  return { value: value as VValue, tangent: finishTangent(tangent, value) };
}
