/**
 * How well a network works off its training window: the mean per-element squared
 * error over a set of samples, and the worst sample's. An element is one output
 * (y1 or y2) at one cycle, so texts of different lengths weigh alike.
 */
import type { Sample } from "../dmm/index.js";
import type { VValue } from "../vvalue/types.js";
import { GENERALIZATION_SET, scoreOn } from "./report.js";
import { layeredNetwork } from "../dmm/index.js";

/** The samples used to judge generalization (never trained on). */
export const VALIDATION_SET: readonly Sample[] = GENERALIZATION_SET.filter(
  (s) => !(s.text === "test string." && s.cycles === 140),
);

/** A network's error over a set of samples. */
export interface SetError {
  /** Mean over the samples of each one's mean per-element squared error. */
  mean: number;
  /** The largest per-sample mean per-element squared error. */
  worst: number;
}

/**
 * The mean per-element squared error of a soft matrix on `samples`.
 *
 * @example
 * import { setError, SPARSE20_2022 } from "vgrad/synth";
 * setError(SPARSE20_2022, [{ text: "test string.", cycles: 140 }]).mean; // ≈ 5.75e-6
 */
export function setError(
  soft: VValue,
  samples: readonly Sample[] = VALIDATION_SET,
  network = layeredNetwork().network,
): SetError {
  let sum = 0;
  let worst = 0;
  for (const s of samples) {
    const e = scoreOn(soft, s, network).prereg / (2 * s.cycles);
    sum += e;
    worst = Math.max(worst, e);
  }
  return { mean: samples.length === 0 ? 0 : sum / samples.length, worst };
}
