import type { VValue } from "../vvalue/types.js";

/** A pure optimizer over V-value parameters. */
export interface Optimizer<S> {
  /** Fresh state for `params` (sparse: empty until leaves are touched). */
  init(params: VValue): S;
  /** One update: new params and new state; nothing is mutated. */
  step(params: VValue, gradient: VValue, state: S): { params: VValue; state: S };
}

/** Validates a hyperparameter, naming it in the error. */
export function checkHyper(opt: string, name: string, x: number, lo: number, hi: number): number {
  if (typeof x !== "number" || !Number.isFinite(x) || x < lo || (hi !== Infinity && x >= hi)) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi})`;
    throw new RangeError(`${opt}: ${name} must be a finite number ${range}, got ${String(x)}`);
  }
  return x;
}
