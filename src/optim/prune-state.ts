import { prune } from "../vvalue/prune.js";
import { projectOntoP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";

/**
 * Prunes parameters (drops leaves with |w| <= threshold) and trims every tree in the
 * optimizer state to the surviving parameters, so pruned weights leave no state.
 *
 * @example
 * const opt = adam();
 * const adamState = opt.step({ a: 0.5, b: 0.001 }, { a: 1, b: 1 }, opt.init({ a: 0.5, b: 0.001 })).state;
 * const { params, state } = pruneWithState({ a: 0.5, b: 0.001 }, adamState, 0.01);
 * params;               // { a: 0.5 }
 * Object.keys(state.m); // ["a"]
 * Object.keys(state.v); // ["a"]
 */
export function pruneWithState<S extends object>(
  params: VValue,
  state: S,
  threshold: number,
): { params: VValue; state: S } {
  const kept = prune(params, threshold);
  return { params: kept, state: trimState(state, kept) };
}

/** Restricts every V-value tree field of an optimizer state to the paths of `params`. */
export function trimState<S extends object>(state: S, params: VValue): S {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) {
    out[k] = v !== null && typeof v === "object" ? projectOntoP(v as VValue, params) : v;
  }
  return out as S;
}
