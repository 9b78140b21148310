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
import { TRACKED, type VValue } from "../vvalue/types.js";
import type { SparseCotangent } from "./cotangent.js";
import type { Primitive } from "./primitive.js";
import { getVal as readProperty } from "./structural.js";

let nextTraceId = 1;
let active = 0;

/**
 * One level of tracing: its tape of tracked values, and how it records an operation
 * (a reverse-mode trace keeps a pullback closure; a jit trace keeps the operation).
 */
export abstract class Trace {
  readonly id = nextTraceId++;
  readonly tape: Tracked[] = [];
  /** Set when `f` has returned: a box of this trace met later has escaped. */
  done = false;

  /**
   * The node of `prim` applied to `args` (plain or boxes one level down), whose
   * result is `ans`; `parents[j]` is the box that was argument `argOf[j]`.
   */
  abstract record(
    prim: Primitive<unknown>,
    ans: Val,
    parents: Tracked[],
    args: Val[],
    params: unknown,
    argOf: readonly number[],
  ): Tracked;

  /** Called when `primal` reads the plain value behind one of this trace's boxes. */
  readPrimal(_box: Tracked): void {}
}

/** A value as seen inside a differentiated function: plain, or tracked (at any depth). */
export type Val = VValue | Tracked;

/** Maps a cotangent of a node's value to cotangents of its parents (undefined = zero). */
export type NodeVjp = (g: Val) => Array<Val | SparseCotangent | undefined>;

/**
 * A box's own fields, under symbols: every string is a possible data key, and `t.a`
 * on a tracked tree reads the data (see the proxy below), so no field may shadow one.
 */
export const VALUE: unique symbol = Symbol("vgrad.value");
export const TRACE: unique symbol = Symbol("vgrad.trace");
export const INDEX: unique symbol = Symbol("vgrad.index");
export const PLAIN: unique symbol = Symbol("vgrad.plain");
export const PARENTS: unique symbol = Symbol("vgrad.parents");
export const VJP: unique symbol = Symbol("vgrad.vjp");

/**
 * A value recorded on a trace. `[VALUE]` is what it stands for one trace level down:
 * plain, or a tracked value of an outer trace.
 */
export class Tracked {
  readonly [VALUE]: Val;
  readonly [TRACE]: Trace;
  readonly [PARENTS]: readonly Tracked[] | null;
  readonly [VJP]: NodeVjp | null;
  readonly [INDEX]: number;
  /** Whether `[VALUE]` holds no tracked value of any trace (set by whoever creates the node). */
  [PLAIN] = false;
  constructor(value: Val, trace: Trace, parents: readonly Tracked[] | null, vjp: NodeVjp | null) {
    this[VALUE] = value;
    this[TRACE] = trace;
    this[PARENTS] = parents;
    this[VJP] = vjp;
    this[INDEX] = trace.tape.push(this) - 1;
  }

  /** JS arithmetic or comparison on a tracked value is always a mistake: say so. */
  [Symbol.toPrimitive](hint: string): never {
    if (hint === "string") {
      // String(x), a template literal; immer's produce(x) formats its error so
      throw new TypeError(
        "vgrad: a tracked value was converted to a string. Use primal(x) to print it; " +
          "to edit a tracked tree with immer, draft produce(unpack(x), …).",
      );
    }
    throw new TypeError(
      "vgrad: a tracked value was used in JavaScript arithmetic or comparison. " +
        "Use vgrad operations (add, mul, ...) for arithmetic and primal(x) for control flow.",
    );
  }
}
(Tracked.prototype as unknown as Record<symbol, boolean>)[TRACKED] = true;
// `t.constructor` is data too (instanceof does not need the property)
delete (Tracked.prototype as { constructor?: unknown }).constructor;

/**
 * `t.a` on a tracked tree reads like `get(t, "a")` and is recorded. The lookup reaches
 * this proxy only after missing the box's own fields and the class's methods, so the
 * tracer's own reads of a box pay nothing for it. Outside a running differentiation,
 * on a number, and for symbol keys, the read is undefined as on any object.
 */
Object.setPrototypeOf(
  Tracked.prototype,
  new Proxy(Object.create(null) as object, {
    get(_target, key, receiver: Tracked) {
      if (typeof key !== "string" || receiver[TRACE].done) return undefined;
      return typeof bottom(receiver) === "number" ? undefined : readProperty(receiver, [key]);
    },
  }),
);

/** What a value stands for below every trace level: itself when it is no box. */
export function bottom<T>(v: T | Tracked): T | VValue {
  let x: T | Val = v;
  while (x instanceof Tracked) x = x[VALUE];
  return x;
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

/**
 * Runs `body` as if no trace were active: operations on plain values then take their
 * plain paths (forward mode computes a tangent from plain values this way).
 */
export function withoutTracing<T>(body: () => T): T {
  const saved = active;
  active = 0;
  try {
    return body();
  } finally {
    active = saved;
  }
}

/** True when `x` needs no tracing machinery: nothing is being traced and x is no box. */
export function isPlain(x: unknown): boolean {
  return active === 0 && !(x instanceof Tracked);
}

/** The error for a box used after its differentiation returned. */
export function escapedError(where: string): TypeError {
  return new TypeError(
    `${where}: a tracked value escaped from a differentiation that has already returned ` +
      "(it was kept from inside a differentiated function and used later). " +
      "Keep primal(v) instead, or compute inside the function.",
  );
}
