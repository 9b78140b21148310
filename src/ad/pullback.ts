import { projectOntoP } from "../vvalue/algebra.js";
import { newTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { backward } from "./backward.js";
import { apply, holdsTracked, innermostTrace, isNumberLike, lift, type Primitive } from "./primitive.js";
import { primal } from "./stop-gradient.js";
import { Trace, Tracked, withActiveTrace, type Val } from "./tracked.js";

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
  args.forEach((a, i) => checkArgument(a, i));
  const trace = new Trace();
  const inputs = args.map((a) => {
    const box = new Tracked(a, trace, null, null);
    box.plain = innermostTrace(a) === null;
    return box;
  });
  const out = withActiveTrace(() => f(...inputs)) as Val;
  if (out === undefined || out === null) {
    throw new TypeError(`pullback: f returned ${out}; it must return a V-value`);
  }
  const node = lift(out, trace);
  const own = node instanceof Tracked && node.trace === trace ? node : null;
  const value = (own === null ? out : own.value) as VValue;
  const back = (cotangent: VValue): VValue[] => {
    const cts = own === null ? [] : backward(own, cotangent);
    return inputs.map((x, i) => finishGradient(cts[x.index], args[i]!));
  };
  return { value, back };
}

/** A cheap top-level check (a deep one would cost a pass over every argument). */
function checkArgument(a: unknown, i: number): void {
  if (typeof a === "number" || a instanceof Tracked) return;
  const what = a === null ? "null" : Array.isArray(a) ? "an array" : typeof a;
  if (typeof a !== "object" || a === null || Array.isArray(a)) {
    throw new TypeError(`argument ${i} is ${what}; differentiable arguments are V-values (numbers or plain objects)`);
  }
}

/** An input's cotangent as its gradient: zero of its kind when absent, shaped like it. */
function finishGradient(g: Val | undefined, arg: Val): VValue {
  if (g === undefined) return isNumberLike(arg) ? 0 : newTree();
  // inside an enclosing differentiation g may be tracked: project it differentiably,
  // so that nested gradients are shaped like their inputs too
  return projectTo(g, holdsTracked(arg) ? primal(arg as VValue) : (arg as VValue)) as VValue;
}

/** Restriction to the key paths (and kinds) of `x`: linear, and its own adjoint. */
const projectPrim: Primitive<VValue> = {
  name: "projectOnto",
  impl: ([g], x) => projectOntoP(g!, x),
  vjp: (h, _ans, _args, x) => [projectTo(h, x)],
};

function projectTo(g: Val, x: VValue): Val {
  return holdsTracked(g) ? apply(projectPrim, [g], x) : projectOntoP(g as VValue, x);
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
