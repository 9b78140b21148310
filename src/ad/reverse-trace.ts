/**
 * The reverse-mode trace, in a file of its own: a class that extends `Trace` must be
 * evaluated after tracked.ts, and tracked.ts, structural.ts and primitive.ts import
 * one another; outside that cycle, every module order (bundlers' included) evaluates
 * tracked.ts first.
 */
import { cotangentsOf, isNumberLike, toNumber, type Primitive } from "./primitive.js";
import { SparseCotangent } from "./cotangent.js";
import { Trace, Tracked, type Val } from "./tracked.js";

/** A reverse-mode trace: each node's vjp calls the rule for each parent's argument. */
export class ReverseTrace extends Trace {
  record<P>(
    prim: Primitive<P>,
    ans: Val,
    parents: Tracked[],
    unboxed: Val[],
    params: P,
    argOf: readonly number[],
  ): Tracked {
    const ansIsNumber = isNumberLike(ans);
    return new Tracked(ans, this, parents, (g0) => {
      const g = ansIsNumber ? toNumber(g0) : g0;
      const out = cotangentsOf(prim, g, ans, unboxed, params, argOf);
      for (let j = 0; j < out.length; j++) {
        const gi = out[j];
        if (gi !== undefined && isNumberLike(unboxed[argOf[j]!]!)) {
          out[j] = toNumber(gi instanceof SparseCotangent ? gi.toVValue() : gi);
        }
      }
      return out;
    });
  }
}
