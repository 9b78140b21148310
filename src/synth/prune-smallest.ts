import { linksOf, matrixFromLinks } from "../dmm/builders.js";
import type { VValue } from "../vvalue/types.js";

/**
 * Drops the `count` soft links with the smallest |w| (ties broken by link order, so
 * the result is deterministic).
 *
 * @example
 * pruneSmallest({ o: { i: { a: { x: 0.5 }, b: { x: -0.01 } } } }, 1); // { o: { i: { a: { x: 0.5 } } } }
 */
export function pruneSmallest(soft: VValue, count: number): VValue {
  const links = linksOf(soft);
  if (count <= 0) return soft;
  const order = links.map((l, i) => i).sort((a, b) => Math.abs(links[a]![4]) - Math.abs(links[b]![4]) || a - b);
  const drop = new Set(order.slice(0, count));
  return matrixFromLinks(links.filter((_, i) => !drop.has(i)));
}
