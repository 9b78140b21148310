import type { VValue } from "../vvalue/types.js";
import { forwardTangent } from "./forward.js";
import { apply, type Primitive } from "./primitive.js";
import { pullback } from "./pullback.js";
import { isPlain } from "./tracked.js";

type Fn = (...args: any[]) => VValue;

const checkpointPrim: Primitive<Fn> = {
  name: "checkpoint",
  impl: (args, f) => f(...args),
  vjp: () => undefined,
  // recompute f, recording this time, only when the cotangent arrives
  vjpAll: (g, _ans, args, f) => pullback(f, ...(args as VValue[])).back(g as VValue),
  // forward mode keeps nothing for later: f's own rules, run again with the tangents
  jvp: (args, tangents, f) => forwardTangent(f, args, tangents, "checkpoint").tangent,
};

/**
 * Wraps `f` so that a differentiation stores only its inputs and output and
 * recomputes `f` during the backward pass: the same values and gradients as `f`,
 * with memory traded for time.
 *
 * @example
 * const block = checkpoint((w, x) => tanh(mul(w, x)));
 * gradient((w) => sum(block(w, { a: 1 })), { a: 0.5 });
 */
export function checkpoint<F extends Fn>(f: F): F {
  const wrapped = (...args: VValue[]): VValue => {
    let plain = true;
    for (const a of args)
      if (!isPlain(a)) {
        plain = false;
        break;
      }
    return plain ? f(...args) : (apply(checkpointPrim, args, f) as VValue);
  };
  return wrapped as F;
}
