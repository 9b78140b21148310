/**
 * One way to define an operation: a name, a plain implementation and one pullback per
 * argument make a primitive (`primitive`), and `operation` makes the public function
 * with its untraced fast path. `defineOp`, for users, is built on the same two.
 */
import { validate } from "../vvalue/validate.js";
import type { VValue } from "../vvalue/types.js";
import { apply, isNumberLike, type Cotangent, type Kernel, type KernelSite, type Primitive } from "./primitive.js";
import { bottom, isPlain, Tracked, type Val } from "./tracked.js";

/** The pullback of one argument: its cotangent given the result's cotangent `g`. */
export type ArgVjp<P> = (g: Val, ans: Val, args: Val[], params: P) => Cotangent | undefined;

/**
 * A primitive from a plain implementation and one pullback per argument (HIPS
 * autograd's `defvjp`); pullbacks of arguments that need no cotangent are skipped.
 */
export function primitive<P = undefined>(
  name: string,
  impl: (args: VValue[], params: P) => VValue,
  vjps: ReadonlyArray<ArgVjp<P>>,
  lower?: (at: KernelSite<P>) => Kernel,
): Primitive<P> {
  const prim: Primitive<P> = { name, impl, vjp: (i, g, ans, args, params) => vjps[i]!(g, ans, args, params) };
  return lower === undefined ? prim : { ...prim, lower };
}

/**
 * The public function of a fixed-arity primitive without parameters: the plain
 * implementation when nothing is traced, the recorded primitive otherwise.
 */
export function operation<A extends VValue[], R extends VValue = VValue>(prim: Primitive): (...args: A) => R {
  const op = (...args: A): R => {
    for (let i = 0; i < args.length; i++) if (!isPlain(args[i])) return apply(prim, args, undefined) as R;
    return prim.impl(args, undefined) as R;
  };
  Object.defineProperty(op, "name", { value: prim.name });
  return op;
}

const isTracked = (x: object): boolean => x instanceof Tracked;

/** Checks what a user's `backward` returned, naming the op and the argument. */
function checkCotangents(name: string, gs: unknown, args: readonly Val[]): Array<Val | undefined> {
  if (!Array.isArray(gs)) {
    throw new TypeError(
      `defineOp "${name}": backward must return an array of cotangents, got ${gs === null ? "null" : typeof gs}`,
    );
  }
  if (gs.length !== args.length) {
    throw new TypeError(
      `defineOp "${name}": backward returned ${gs.length} cotangent(s) for ${args.length} argument(s); return one per argument (undefined for none)`,
    );
  }
  gs.forEach((g, i) => {
    if (g === undefined) return;
    validate(g, { name: `defineOp "${name}": backward's cotangent ${i}`, allow: isTracked });
    if (isNumberLike(args[i]!) && !isNumberLike(g as Val) && !onlyNumberParts(g as Val)) {
      throw new TypeError(
        `defineOp "${name}": backward returned a tree for argument ${i}, which is a number; return a number`,
      );
    }
  });
  return gs as Array<Val | undefined>;
}

/** Whether a tree holds only ":number" parts (then it is vector-equal to a number). */
function onlyNumberParts(g: Val): boolean {
  const x = bottom(g);
  if (typeof x === "number") return true;
  for (const k in x as object) {
    if (k !== ":number" || !onlyNumberParts((x as Record<string, Val>)[k]!)) return false;
  }
  return true;
}

/**
 * Adds a primitive with a hand-written pullback. `forward` gets plain values;
 * `backward(g, ans, ...args)` returns one cotangent per argument (`undefined` for
 * none). Write `backward` with vgrad operations and the new op can itself be
 * differentiated again. A `backward` that returns the wrong number of cotangents, or
 * something that is not a V-value, is reported with the op's name.
 *
 * @example
 * const cube = defineOp(
 *   "cube",
 *   (x) => mapLeaves(x, (v) => v ** 3),
 *   (g, _ans, x) => [mul(g, scale(3, square(x)))],
 * );
 * gradient((x) => sum(cube(x)), { a: 2 }); // [{ a: 12 }]
 */
export function defineOp<A extends VValue[]>(
  name: string,
  forward: (...args: A) => VValue,
  backward: (g: VValue, ans: VValue, ...args: A) => Array<VValue | undefined>,
): (...args: A) => VValue {
  if (typeof name !== "string") throw new TypeError(`defineOp: the name must be a string, got ${typeof name}`);
  if (typeof forward !== "function" || typeof backward !== "function") {
    throw new TypeError(`defineOp "${name}": forward and backward must be functions`);
  }
  const prim: Primitive = {
    name,
    impl: (args) => forward(...(args as A)),
    vjp: () => undefined,
    vjpAll: (g, ans, args) => checkCotangents(name, backward(g as VValue, ans as VValue, ...(args as A)), args),
  };
  return operation<A>(prim);
}
