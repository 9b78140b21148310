/** A small seeded generator, so that random directions and cotangents are reproducible. */
import { mapLeavesP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32). */
export type Rng = () => number;

/** A generator seeded with `seed` (any finite number; its low 32 bits are used). */
export function makeRng(seed: number): Rng {
  let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A V-value with the key paths of `v` and independent leaves uniform in [-1, 1). */
export function randomLike(v: VValue, rng: Rng): VValue {
  return mapLeavesP(v, () => 2 * rng() - 1);
}
