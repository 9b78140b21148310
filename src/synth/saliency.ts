import {
  detectorLoss,
  linksOf,
  matrixFromLinks,
  run,
  liveNetwork,
  withSoft,
  type Network,
  type Sample,
} from "../dmm/index.js";
import { getP } from "../vvalue/algebra.js";
import { l2Norm } from "../ops/reductions.js";
import { dot } from "../ops/products.js";
import { gradient } from "../ad/pullback.js";
import { jit } from "../jit/index.js";
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

/**
 * The diagonal of the Hessian of the prereg loss (summed over `samples`, exact
 * derivatives through accumulator memory) with respect to the soft weights, one entry
 * per link in `linksOf` order: `H_ii = eᵢᵀ H eᵢ`, each from one Hessian-vector product
 * (a gradient of a gradient). With `jit` (the default) the product is traced once and
 * replayed per link, with eager mode's numbers.
 *
 * A weight that acts only through control flow (a `primal` read, as the input neuron
 * reads the timer) has H_ii = 0.
 *
 * @example
 * const net = handcraftedDetector({ trainable: true }); // its 11 links are soft, weight 1
 * const h = lossHessianDiagonal(net, net.soft, [{ text: "aba.", cycles: 40 }]);
 * h.length; // 11
 * h[0];     // 0 (the timer's self-loop)
 */
export function lossHessianDiagonal(
  net: Network,
  soft: VValue,
  samples: readonly Sample[],
  options: { jit?: boolean } = {},
): number[] {
  const key = JSON.stringify([samples, options.jit ?? true]);
  if (last !== undefined && last.net === net && last.soft === soft && last.key === key) return last.diagonal.slice();
  const links = linksOf(soft);
  const live = liveNetwork(withSoft(net, soft));
  const loss = (w: VValue): VValue => detectorLoss(live, w, { samples }).prereg;
  const hvp = (w: VValue, v: VValue): VValue => gradient((u: VValue) => dot(gradient(loss, u)[0]!, v), w)[0]!;
  const product = options.jit === false ? hvp : jit(hvp);
  const diagonal = links.map(([t, f, s, sf], i) => {
    const unit = matrixFromLinks(links.map(([a, b, c, d], k) => [a, b, c, d, k === i ? 1 : 0]));
    return getP(product(soft, unit), [t, f, s, sf]) as number;
  });
  last = { net, soft, key, diagonal };
  return diagonal.slice();
}

/** The last diagonal computed: a stage that backs off ranks the same network again. */
let last: { net: Network; soft: VValue; key: string; diagonal: number[] } | undefined;

/**
 * Optimal Brain Damage (LeCun, Denker and Solla, 1990): the saliency of every soft link
 * is `½·H_ii·w²`, the loss's rise when the weight is set to 0, to second order at a
 * minimum ({@link lossHessianDiagonal}).
 *
 * @example
 * const net = handcraftedDetector({ trainable: true }); // a minimum: prereg 0
 * obdSaliency(net, net.soft, [{ text: "aba.", cycles: 40 }]).every((s) => s >= 0); // true
 */
export function obdSaliency(net: Network, soft: VValue, samples: readonly Sample[]): number[] {
  const h = lossHessianDiagonal(net, soft, samples);
  return linksOf(soft).map(([, , , , w], i) => 0.5 * h[i]! * w * w);
}

/** How the synthesis ranks weights for cutting (see {@link salienceOrder}). */
export type SaliencyKind = "rms" | "obd";

/**
 * Above this many weights, `"obd"` ranks by |w|·RMS: a Hessian's diagonal costs one
 * Hessian-vector product per weight.
 */
export const OBD_MAX_WEIGHTS = 100;

/**
 * Link indices (in `linksOf` order) from least to most salient; ties by link order.
 * `"rms"`: {@link linkSaliency}; `"obd"`: {@link obdSaliency} on networks of at most
 * {@link OBD_MAX_WEIGHTS} weights, `"rms"` on larger ones.
 *
 * @example
 * const net = handcraftedDetector({ trainable: true });
 * salienceOrder(net, net.soft, [{ text: "aba.", cycles: 40 }], "obd").length; // 11
 */
export function salienceOrder(
  net: Network,
  soft: VValue,
  samples: readonly Sample[],
  saliency: SaliencyKind = "rms",
): number[] {
  const obd = saliency === "obd" && linksOf(soft).length <= OBD_MAX_WEIGHTS;
  return ascending(obd ? obdSaliency(net, soft, samples) : linkSaliency(net, soft, samples));
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
