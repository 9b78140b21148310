import type { Link } from "../dmm/builders.js";
import { matrixFromLinks } from "../dmm/builders.js";
import type { VValue } from "../vvalue/types.js";
import { Rng } from "./random.js";

/**
 * Random initial soft weights `scale · N(0, 1)` for the given links, in link order
 * (so a seed always gives the same matrix).
 *
 * @example
 * const soft = initialWeights(layeredNetwork().links, Rng.seeded(1), 0.01);
 * countLinks(soft); // 1486
 */
export function initialWeights(links: readonly Link[], rng: Rng, scale = 0.01): VValue {
  return matrixFromLinks(links.map(([t, f, s, sf]) => [t, f, s, sf, scale * rng.normal()] as const));
}
