import type { VValue } from "../vvalue/types.js";
import { encodePath, slotsByPath, type Layout } from "../vvalue/layout.js";
import { leaves } from "../vvalue/leaves.js";
import { NUMBER_KEY } from "../vvalue/types.js";

/** A pure optimizer over V-value parameters. */
export interface Optimizer<S> {
  /** Fresh state for `params` (sparse: empty until leaves are touched). */
  init(params: VValue): S;
  /** One update: new params and new state; nothing is mutated. */
  step(params: VValue, gradient: VValue, state: S): { params: VValue; state: S };
  /**
   * The same optimizer on flat arrays of parameters in `layout` (see `jit(f).flat`),
   * starting from `state` (default: fresh). Its steps give the values `step` gives.
   */
  flat(layout: Layout, state?: S): FlatOptimizer<S>;
}

/** An optimizer updating Float64Arrays in place (see {@link Optimizer.flat}). */
export interface FlatOptimizer<S> {
  /** The learning rate of the next steps (a schedule sets it before a step). */
  lr: number;
  /** The state's arrays in the parameters' layout (Adam: m and v; SGD: the velocity), live. */
  readonly buffers: readonly Float64Array[];
  /** One update of `params` in place, from a dense gradient in the same layout. */
  step(params: Float64Array, gradient: Float64Array): void;
  /** The state now, as the tree optimizer's state. */
  state(): S;
}

/** A state tree's leaves on the parameters' layout (absent leaves are 0; others are ignored, as `step` does). */
export function flatState(layout: Layout, tree: VValue): Float64Array {
  const out = new Float64Array(layout.size);
  const slots = slotsByPath(layout);
  for (const [path, x] of leaves(tree)) {
    let end = path.length;
    while (end > 0 && path[end - 1] === NUMBER_KEY) end--;
    const slot = slots.get(encodePath(path.slice(0, end)));
    if (slot !== undefined) out[slot] = x;
  }
  return out;
}

/** Validates a hyperparameter, naming it in the error. */
export function checkHyper(opt: string, name: string, x: number, lo: number, hi: number): number {
  if (typeof x !== "number" || !Number.isFinite(x) || x < lo || (hi !== Infinity && x >= hi)) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi})`;
    throw new RangeError(`${opt}: ${name} must be a finite number ${range}, got ${String(x)}`);
  }
  return x;
}
