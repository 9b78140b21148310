/**
 * The jit trace: a tracer level that keeps each operation (primitive, parameters,
 * arguments) instead of a pullback, so the whole computation can be lowered to a flat
 * program. Its boxes hold the first call's plain values, from which layouts are read.
 */
import type { Primitive } from "../ad/primitive.js";
import { PLAIN, Trace, Tracked, type Val } from "../ad/tracked.js";
import type { VValue } from "../vvalue/types.js";

/** A jit node's operation (null for an input), its parameters, and its arguments: boxes of this trace or plain constants. */
export const PRIM: unique symbol = Symbol("vgrad.prim");
export const PARAMS: unique symbol = Symbol("vgrad.params");
export const ARGS: unique symbol = Symbol("vgrad.args");

/** One recorded operation (or, with `prim` null, an input) of a jit trace. */
export class JitNode extends Tracked {
  readonly [PRIM]: Primitive<unknown> | null;
  readonly [PARAMS]: unknown;
  readonly [ARGS]: readonly Val[];
  constructor(value: VValue, trace: JitTrace, prim: Primitive<unknown> | null, params: unknown, args: readonly Val[]) {
    super(value, trace, null, null);
    this[PRIM] = prim;
    this[PARAMS] = params;
    this[ARGS] = args;
    this[PLAIN] = true;
  }
}

delete (JitNode.prototype as { constructor?: unknown }).constructor;

/** Where `primal` read a traced value: the box, and the caller's source line. */
export interface PrimalRead {
  readonly box: JitNode;
  readonly where: string;
}

/** A jit trace. Every box is a {@link JitNode} wrapping a plain value. */
export class JitTrace extends Trace {
  readonly reads: PrimalRead[] = [];

  record(
    prim: Primitive<unknown>,
    ans: Val,
    parents: Tracked[],
    args: Val[],
    params: unknown,
    argOf: readonly number[],
  ): Tracked {
    // arguments as the program sees them: this trace's boxes where there were boxes
    const boxed = args.slice();
    for (let j = 0; j < parents.length; j++) boxed[argOf[j]!] = parents[j]!;
    return new JitNode(ans as VValue, this, prim, params, boxed);
  }

  /** An input of the traced function, holding the first call's value. */
  input(v: VValue): JitNode {
    return new JitNode(v, this, null, undefined, []);
  }

  override readPrimal(box: Tracked): void {
    this.reads.push({ box: box as JitNode, where: callerLine(new Error().stack) });
  }
}

/** The first stack line outside vgrad's own sources: where a user called `primal`. */
function callerLine(stack: string | undefined): string {
  const lines = (stack ?? "").split("\n").slice(1);
  const user = lines.find((l) => !/[\\/](src[\\/](ad|jit|ops|vvalue)|dist)[\\/]/.test(l));
  return (user ?? lines[0] ?? "").trim().replace(/^at /, "");
}
