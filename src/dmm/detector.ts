/** Reading the duplicate detector's answers and the lockstep loss (SPEC-DMM §5). */
import { numberPart, TREE_PROTO } from "../vvalue/tree.js";
import { dot, get, l1Norm, scale, sub, add } from "../index.js";
import { getP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { run } from "./engine.js";
import { handcraftedDetector, withSoft } from "./builders.js";
import type { Network } from "./network.js";

/** `[y1, y2] = [n(x[output][dict-1]), n(x[output][dict-2])]` of a cycle's inputs x (plain). */
export function readAnswers(x: VValue): [number, number] {
  return [numberPart(getP(x, ["output", "dict-1"])), numberPart(getP(x, ["output", "dict-2"]))];
}

/**
 * The detector's answers `[y1, y2]` for cycles 1..cycles on `text`.
 *
 * @example
 * detectorAnswers(handcraftedDetector(), "test string.", 150)[34]; // [1, 0] (cycle 35)
 */
export function detectorAnswers(
  net: Network,
  text: string,
  cycles: number,
  compat2022 = false,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  run(net, { cycles, env: { text, compat2022 }, onCycle: (_c, x) => out.push(readAnswers(x)) });
  return out;
}

const targetCache = new Map<string, Array<[number, number]>>();
/** The hand-crafted detector's answers (the training targets), cached per text and length. */
export function targets(text: string, cycles: number): Array<[number, number]> {
  const key = `${cycles}\u0000${text}`;
  let t = targetCache.get(key);
  if (t === undefined) {
    t = detectorAnswers(handcraftedDetector(), text, cycles);
    if (targetCache.size > 256) targetCache.clear();
    targetCache.set(key, t);
  }
  return t;
}

/** One training text and how many cycles to run it for. */
export interface Sample {
  text: string;
  cycles: number;
}

/** Options of {@link detectorLoss}. */
export interface LossOptions {
  samples: readonly Sample[];
  /** L1 coefficient λ (default 0.001). */
  lambda?: number;
  compat2022?: boolean;
}

/**
 * The lockstep loss of a soft matrix: `Σ_samples Σ_c (y1−z1)² + (y2−z2)²` against
 * the hand-crafted detector (prereg), plus `λ·Σ|w|`. Differentiable in `soft` — call
 * it inside `valueAndGradient` — and a plain fast function otherwise.
 *
 * @example
 * const net = handcraftedDetector({ trainable: true }); // its 11 links are soft, weight 1
 * detectorLoss(net, net.soft, { samples: [{ text: "test string.", cycles: 140 }] });
 * // { loss: 0.011, prereg: 0, regL1: 11 }
 */
export function detectorLoss(
  net: Network,
  soft: VValue,
  options: LossOptions,
): { loss: VValue; prereg: VValue; regL1: VValue } {
  // first, so that in the reverse pass its cotangent reaches the matrix after every
  // cycle's (the same order of sums eagerly, where cycles' cotangents are packed, and
  // under jit, where they are added one by one)
  const regL1 = l1Norm(soft);
  let prereg: VValue = 0;
  for (const { text, cycles } of options.samples) {
    const z = targets(text, cycles);
    const errors: Record<string, VValue> = Object.create(TREE_PROTO);
    run(withSoft(net, soft), {
      cycles,
      env: { text, compat2022: options.compat2022 ?? false },
      onCycle: (c, x) => {
        const [z1, z2] = z[c - 1]!;
        errors[`${c}:1`] = sub(get(x, "output", "dict-1", ":number"), z1);
        errors[`${c}:2`] = sub(get(x, "output", "dict-2", ":number"), z2);
      },
    });
    prereg = add(prereg, dot(errors, errors));
  }
  return { loss: add(prereg, scale(options.lambda ?? 0.001, regL1)), prereg, regL1 };
}
