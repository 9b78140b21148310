import type { VValue } from "../vvalue/types.js";
import { apply, type Primitive } from "./primitive.js";
import { isPlain, type Val } from "./tracked.js";

/**
 * Adds a primitive with a hand-written pullback. `forward` gets plain values;
 * `backward(g, ans, ...args)` returns one cotangent per argument (`undefined` for
 * none). Write `backward` with vgrad operations and the new op can itself be
 * differentiated again.
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
  const prim: Primitive = {
    name,
    impl: (args) => forward(...(args as A)),
    vjp: (g, ans, args) => backward(g as VValue, ans as VValue, ...(args as A)) as Val[],
  };
  const op = (...args: A): VValue => {
    let plain = true;
    for (const a of args) if (!isPlain(a)) { plain = false; break; }
    return plain ? forward(...args) : (apply(prim, args, undefined) as VValue);
  };
  Object.defineProperty(op, "name", { value: name });
  return op;
}
