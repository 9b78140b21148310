import { linksOf, matrixFromLinks, run, liveNetwork, withSoft, type Network, type Sample } from "../dmm/index.js";
import { getP } from "../vvalue/algebra.js";
import { l2Norm } from "../ops/reductions.js";
import type { VValue } from "../vvalue/types.js";

/**
 * The saliency of every soft link: |w| times the RMS size of its source's output over
 * the training runs (as in activation-aware pruning). A small weight on a large
 * signal (say, on an accumulator's growing counts) matters; magnitude alone misses it.
 *
 * @example
 * const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
 * const soft = initialWeights(links, Rng.seeded(1));
 * linkSaliency(network, soft, [{ text: "abca.", cycles: 70 }]).length; // 34 (one per link)
 */
export function linkSaliency(net: Network, soft: VValue, samples: readonly Sample[]): number[] {
  const links = linksOf(soft);
  const sources = new Map<string, [string, string]>();
  for (const [, , s, sf] of links) sources.set(`${s}\u0000${sf}`, [s, sf]);
  const sumSq = new Map<string, number>();
  let cycles = 0;
  const live = liveNetwork(withSoft(net, soft));
  for (const { text, cycles: n } of samples) {
    run(live, {
      cycles: n,
      env: { text },
      onCycle: (_c, _x, y) => {
        cycles++;
        for (const [key, path] of sources) {
          const norm = l2Norm(getP(y, path));
          sumSq.set(key, (sumSq.get(key) ?? 0) + norm * norm);
        }
      },
    });
  }
  return links.map(
    ([, , s, sf, w]) => Math.abs(w) * Math.sqrt((sumSq.get(`${s}\u0000${sf}`) ?? 0) / Math.max(1, cycles)),
  );
}

/** Link indices (in `linksOf` order) from least to most salient; ties by link order. */
export function salienceOrder(net: Network, soft: VValue, samples: readonly Sample[]): number[] {
  return ascending(linkSaliency(net, soft, samples));
}

/** Indices sorted by ascending score, ties by index (so orders are deterministic). */
function ascending(score: readonly number[]): number[] {
  return score.map((_, i) => i).sort((a, b) => score[a]! - score[b]! || a - b);
}

/** The matrix without the links at the given indices (in `linksOf` order). */
export function dropLinks(soft: VValue, indices: readonly number[]): VValue {
  const drop = new Set(indices);
  return matrixFromLinks(linksOf(soft).filter((_, i) => !drop.has(i)));
}

/**
 * Drops the `count` soft links with the smallest |w| (magnitude pruning; ties by link
 * order). The synthesis uses {@link pruneLeastSalient} instead: on DMMs a small weight
 * can carry a large signal.
 *
 * @example
 * pruneSmallest({ o: { i: { a: { x: 0.5 }, b: { x: -0.01 } } } }, 1); // { o: { i: { a: { x: 0.5 } } } }
 */
export function pruneSmallest(soft: VValue, count: number): VValue {
  if (count <= 0) return soft;
  const order = ascending(linksOf(soft).map((l) => Math.abs(l[4])));
  return dropLinks(soft, order.slice(0, count));
}

/**
 * Drops the `count` soft links of least saliency ({@link linkSaliency}); ties are
 * broken by link order, so the result is deterministic.
 *
 * @example
 * const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
 * const soft = initialWeights(links, Rng.seeded(1));
 * countLinks(pruneLeastSalient(network, soft, [{ text: "abca.", cycles: 70 }], 10)); // 24
 */
export function pruneLeastSalient(net: Network, soft: VValue, samples: readonly Sample[], count: number): VValue {
  return count <= 0 ? soft : dropLinks(soft, salienceOrder(net, soft, samples).slice(0, count));
}
