import { validate } from "../vvalue/validate.js";
import { newTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { backward } from "./backward.js";
import { innermostTrace, isNumberLike, lift } from "./primitive.js";
import { ReverseTrace } from "./reverse-trace.js";
import { projectVal } from "./structural.js";
import { shapeOf } from "./stop-gradient.js";
import { escapedError, Tracked, withActiveTrace, type Val, VALUE, TRACE, INDEX, PLAIN } from "./tracked.js";

/** The result of {@link pullback}: f's value and its vector-Jacobian product. */
export interface Pullback {
  /** `f(...args)`. */
  value: VValue;
  /**
   * Cotangents of the arguments for a cotangent of the value: `back(u)[i] = J_iᵀ u`.
   * May be called any number of times, also detached from this object.
   */
  back(cotangent: VValue): VValue[];
}

const isTracked = (x: object): boolean => x instanceof Tracked;

/**
 * Checks a differentiable argument once, at the entry point: a V-value (tracked
 * values of enclosing differentiations allowed), and no box of a finished one.
 */
function checkArgument(where: string, a: unknown, name: string): void {
  if (typeof a === "number") return;
  validate(a, { name, allow: isTracked });
  const t = innermostTrace(a);
  if (t !== null && t.done) throw escapedError(where);
}

/**
 * Runs `f(...args)` while recording, and returns its value and a function that maps
 * a cotangent of the value to cotangents of the arguments (reverse mode).
 *
 * @example
 * const { value, back } = pullback((t) => scale(2, t), { a: 1, b: { c: 3 } });
 * value;          // { a: 2, b: { c: 6 } }
 * back({ a: 1 }); // [{ a: 2 }]
 */
export function pullback(f: (...args: any[]) => VValue, ...args: VValue[]): Pullback {
  if (typeof f !== "function") throw new TypeError(`pullback: f must be a function, got ${typeof f}`);
  args.forEach((a, i) => checkArgument("pullback", a, `argument ${i}`));
  const trace = new ReverseTrace();
  const inputs = args.map((a) => {
    const box = new Tracked(a, trace, null, null);
    box[PLAIN] = innermostTrace(a) === null;
    return box;
  });
  let out: Val;
  let node: Val;
  try {
    out = withActiveTrace(() => f(...inputs)) as Val;
    if (out === undefined || out === null || (typeof out !== "number" && typeof out !== "object")) {
      throw new TypeError(`pullback: f returned ${out === null ? "null" : typeof out}; it must return a V-value`);
    }
    node = lift(out, trace);
  } finally {
    trace.done = true;
  }
  const own = node instanceof Tracked && node[TRACE] === trace ? node : null;
  if (own === null) checkArgument("pullback", out, "f's result");
  const value = (own === null ? out : own[VALUE]) as VValue;
  const back = (cotangent: VValue): VValue[] => {
    checkArgument("pullback: back", cotangent, "the cotangent");
    const cts = own === null ? [] : backward(own, cotangent);
    return inputs.map((x, i) => finishGradient(cts[x[INDEX]], args[i]!));
  };
  return { value, back };
}

/** An input's cotangent as its gradient: zero of its kind when absent, shaped like it. */
function finishGradient(g: Val | undefined, arg: Val): VValue {
  if (g === undefined) return isNumberLike(arg) ? 0 : newTree();
  // inside an enclosing differentiation g may be tracked: project it differentiably,
  // so that nested gradients are shaped like their inputs too
  return projectVal(g, shapeOf(arg as VValue)) as VValue;
}

/**
 * The value of a scalar function and the gradient with respect to each argument.
 *
 * @example
 * valueAndGradient((x, t) => mul(x, get(t, "a")), 3, { a: 2, b: 5 });
 * // { value: 6, gradient: [2, { a: 3 }] }
 */
export function valueAndGradient(
  f: (...args: any[]) => VValue,
  ...args: VValue[]
): { value: number; gradient: VValue[] } {
  const { value, back } = pullback(f, ...args);
  if (!isNumberLike(value)) {
    throw new TypeError("gradient: f must return a number (a scalar); use pullback for tree-valued functions");
  }
  return { value: value as number, gradient: back(1) };
}

/**
 * The gradient of a scalar function with respect to each argument: one sparse
 * V-value per argument, shaped like it (`0` or `{}` for an argument never read).
 *
 * @example
 * gradient((t) => dot(t, t), { a: 1, b: { c: 2 } }); // [{ a: 2, b: { c: 4 } }]
 */
export function gradient(f: (...args: any[]) => VValue, ...args: VValue[]): VValue[] {
  return valueAndGradient(f, ...args).gradient;
}
