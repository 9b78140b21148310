/**
 * Tracked values and traces: the tracer half of reverse mode, kept apart from the
 * rules (src/ops) and the vector spaces (src/vvalue), as in HIPS autograd.
 *
 * A trace is one call of `pullback`; its tape is the list of tracked values created
 * in it, in creation order (a topological order, so the backward pass is a single
 * reverse sweep). Nested calls create nested traces with larger ids: a tracked value
 * of an inner trace may wrap a tracked value of an outer one, which is how a
 * gradient inside a differentiated function is itself differentiated.
 */
import type { VValue } from "../vvalue/types.js";
import type { PackedCotangent } from "./packed-cotangent.js";

let nextTraceId = 1;
let active = 0;

/** One differentiation: its tape of tracked values. */
export class Trace {
  readonly id = nextTraceId++;
  readonly tape: Tracked[] = [];
}

/** A value as seen inside a differentiated function: plain, or tracked (at any depth). */
export type Val = VValue | Tracked;

/** Maps a cotangent of a node's value to cotangents of its parents (undefined = zero). */
export type NodeVjp = (g: Val) => Array<Val | PackedCotangent | undefined>;

/**
 * A value recorded on a trace. `value` is what it stands for one trace level down:
 * plain, or a tracked value of an outer trace.
 */
export class Tracked {
  readonly index: number;
  /**
   * Set on nodes that read their single parent at a path (`get`): the backward pass
   * then adds a plain cotangent straight into the parent's at that path.
   */
  getPath: readonly string[] | null = null;
  /** Whether `value` holds no tracked value of any trace (set by whoever creates the node). */
  plain = false;
  constructor(
    readonly value: Val,
    readonly trace: Trace,
    readonly parents: readonly Tracked[] | null,
    readonly vjp: NodeVjp | null,
  ) {
    this.index = trace.tape.push(this) - 1;
  }

  /** JS arithmetic or comparison on a tracked value is always a mistake: say so. */
  [Symbol.toPrimitive](): never {
    throw new TypeError(
      "vgrad: a tracked value was used in JavaScript arithmetic or comparison. " +
        "Use vgrad operations (add, mul, ...) for arithmetic and primal(x) for control flow.",
    );
  }
}

/** Whether a differentiation is running (plain values skip everything otherwise). */
export function tracing(): boolean {
  return active > 0;
}

/** Runs `body` with one more trace active. */
export function withActiveTrace<T>(body: () => T): T {
  active++;
  try {
    return body();
  } finally {
    active--;
  }
}

/** True when `x` needs no tracing machinery: nothing is being traced and x is no box. */
export function isPlain(x: unknown): boolean {
  return active === 0 && !(x instanceof Tracked);
}
