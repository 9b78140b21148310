/**
 * One way to define an operation: a name, a plain implementation and one pullback per
 * argument make a primitive (`primitive`), and `operation` makes the public function
 * with its untraced fast path. `defineOp`, for users, is built on the same two.
 */
import { validate } from "../vvalue/validate.js";
import type { VValue } from "../vvalue/types.js";
import {
  apply,
  innermostTrace,
  isNumberLike,
  lift,
  type Cotangent,
  type Kernel,
  type KernelSite,
  type Primitive,
} from "./primitive.js";
import { bottom, isPlain, Tracked, withActiveTrace, type Val } from "./tracked.js";

/** The pullback of one argument: its cotangent given the result's cotangent `g`. */
export type ArgVjp<P> = (g: Val, ans: Val, args: Val[], params: P) => Cotangent | undefined;

/** A forward-mode rule (see `Primitive.jvp`): the result's tangent from the arguments' (undefined = zero). */
export type Jvp<P> = (primals: Val[], tangents: ReadonlyArray<Val | undefined>, params: P, ans: Val) => Val | undefined;

/**
 * A primitive from a plain implementation, one pullback per argument (HIPS
 * autograd's `defvjp`) and a forward-mode rule (`defjvp`); pullbacks of arguments
 * that need no cotangent are skipped.
 */
export function primitive<P = undefined>(
  name: string,
  impl: (args: VValue[], params: P) => VValue,
  vjps: ReadonlyArray<ArgVjp<P>>,
  lower?: (at: KernelSite<P>) => Kernel,
  jvp?: Jvp<P>,
): Primitive<P> {
  const prim: Primitive<P> = { name, impl, vjp: (i, g, ans, args, params) => vjps[i]!(g, ans, args, params) };
  if (lower !== undefined) prim.lower = lower;
  if (jvp !== undefined) prim.jvp = jvp;
  return prim;
}

/** The forward rule of an operation with zero derivative (a mask, a comparison). */
export const zeroJvp = (): undefined => undefined;

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

/** Options of {@link defineOp}. */
export interface DefineOpOptions<A extends VValue[]> {
  /**
   * The forward-mode rule: the result's tangent given the arguments' tangents
   * (`tangents[i]` undefined when argument i's is zero; a leaf left out of a tangent
   * is a zero), the result and the arguments. Return undefined for a zero tangent.
   * Without it, forward mode (`jvp`, `hvp`, `hessian`) through the op throws.
   */
  jvp?: (tangents: Array<VValue | undefined>, ans: VValue, ...args: A) => VValue | undefined;
}

/** Checks what a user's forward rule returned, naming the op. */
function checkTangent(name: string, t: unknown, ans: Val): Val | undefined {
  if (t === undefined) return undefined;
  validate(t, { name: `defineOp "${name}": jvp's tangent`, allow: isTracked });
  if (isNumberLike(ans) && !isNumberLike(t as Val) && !onlyNumberParts(t as Val)) {
    throw new TypeError(`defineOp "${name}": jvp returned a tree for a result that is a number; return a number`);
  }
  return t as Val;
}

/**
 * Adds a primitive with a hand-written pullback. `forward` gets plain values;
 * `backward(g, ans, ...args)` returns one cotangent per argument (`undefined` for
 * none). Write `backward` with vgrad operations and the new op can itself be
 * differentiated again. A `backward` that returns the wrong number of cotangents, or
 * something that is not a V-value, is reported with the op's name. An optional
 * forward-mode rule (`options.jvp`) lets `jvp`, `hvp` and `hessian` pass through it.
 *
 * @example
 * const cube = defineOp(
 *   "cube",
 *   (x) => mapLeaves(x, (v) => v ** 3),
 *   (g, _ans, x) => [mul(g, scale(3, square(x)))],
 *   { jvp: ([t], _ans, x) => (t === undefined ? undefined : mul(t, scale(3, square(x)))) },
 * );
 * gradient((x) => sum(cube(x)), { a: 2 }); // [{ a: 12 }]
 * jvp(cube, [{ a: 2 }], [{ a: 1 }]);        // { value: { a: 8 }, tangent: { a: 12 } }
 */
export function defineOp<A extends VValue[]>(
  name: string,
  forward: (...args: A) => VValue,
  backward: (g: VValue, ans: VValue, ...args: A) => Array<VValue | undefined>,
  options: DefineOpOptions<A> = {},
): (...args: A) => VValue {
  if (typeof name !== "string") throw new TypeError(`defineOp: the name must be a string, got ${typeof name}`);
  if (typeof forward !== "function" || typeof backward !== "function") {
    throw new TypeError(`defineOp "${name}": forward and backward must be functions`);
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `defineOp "${name}": options must be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
  const forwardRule = options.jvp;
  if (forwardRule !== undefined && typeof forwardRule !== "function") {
    throw new TypeError(`defineOp "${name}": options.jvp must be a function, got ${typeof forwardRule}`);
  }
  const prim: Primitive = {
    name,
    impl: (args) => forward(...(args as A)),
    vjp: () => undefined,
    vjpAll: (g, ans, args) => checkCotangents(name, backward(g as VValue, ans as VValue, ...(args as A)), args),
  };
  if (forwardRule !== undefined) {
    // user code may close over tracked values: it runs traced, and a literal of boxes it
    // returns becomes one box (a tangent is plain or one box)
    prim.jvp = (args, tangents, _params, ans) =>
      withActiveTrace(() => {
        const t = checkTangent(
          name,
          forwardRule(tangents as Array<VValue | undefined>, ans as VValue, ...(args as A)),
          ans,
        );
        const trace = t === undefined ? null : innermostTrace(t);
        return trace === null ? t : lift(t!, trace);
      });
  }
  return operation<A>(prim);
}
