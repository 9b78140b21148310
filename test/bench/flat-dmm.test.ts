/**
 * The hand-written flat DMM loss + gradient (bench/flat-dmm.ts), the speed limit of
 * the DMM benchmark: it must compute what vgrad computes — the loss to 1e-12 and every
 * gradient component to 1e-9 relative, with vgrad's sub-gradient conventions — and its
 * gradient must be the derivative of its own loss (central finite differences).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  handcraftedDetector,
  HANDCRAFTED_LINKS,
  layeredNetwork,
  matrixFromLinks,
  parseMatrix,
  type Link,
  type Network,
} from "../../src/dmm/index.js";
import { get, type VValue } from "../../src/index.js";
import { lossAndGradient } from "../../src/synth/train.js";
import { compileFlatDmm, type FlatDmm } from "../../bench/flat-dmm.js";

const TEXT = "test string.";
const layered = layeredNetwork().network;
const load = (file: string): VValue =>
  parseMatrix(readFileSync(new URL(`../../data/dmm-2022/${file}`, import.meta.url), "utf8"), layered, file);
const NETWORKS: ReadonlyArray<readonly [string, number]> = [
  ["initial-matrix.json", 1486],
  ["sparse16-after-2500-steps-matrix.json", 109],
  ["sparse20-after-100-steps-matrix.json", 19],
];

/** |a − b| ≤ tol·max(|a|, |b|), per component; returns the failures (empty when all agree). */
function mismatches(flat: FlatDmm, grad: Float64Array, vgradGrad: VValue, tol: number): string[] {
  const bad: string[] = [];
  flat.links.forEach(([t, f, s, sf], i) => {
    const v = get(vgradGrad, t, f, s, sf) as number,
      g = grad[i]!;
    if (!(Math.abs(g - v) <= tol * Math.max(Math.abs(g), Math.abs(v))))
      bad.push(`${t}.${f} ← ${s}.${sf}: flat ${g}, vgrad ${v}`);
  });
  return bad;
}

/** Compiles `soft` flat and compares loss and gradient with vgrad's lossAndGradient. */
function expectSameAsVgrad(
  net: Network,
  soft: VValue,
  options: { cycles: number; lambda: number; compat2022: boolean; text?: string },
): void {
  const text = options.text ?? TEXT;
  const flat = compileFlatDmm(net, soft, { ...options, text });
  const mine = flat.lossAndGradient(flat.weights);
  const theirs = lossAndGradient(net, soft, {
    samples: [{ text, cycles: options.cycles }],
    lambda: options.lambda,
    compat2022: options.compat2022,
  });
  expect(Math.abs(mine.loss - theirs.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(theirs.loss));
  expect(Math.abs(mine.prereg - theirs.prereg)).toBeLessThanOrEqual(1e-12 * Math.abs(theirs.prereg));
  expect(Math.abs(mine.regL1 - theirs.regL1)).toBeLessThanOrEqual(1e-12 * theirs.regL1);
  expect(mismatches(flat, mine.grad, theirs.gradient, 1e-9)).toEqual([]);
}

describe("the flat DMM equals vgrad's lossAndGradient", () => {
  for (const [file, weights] of NETWORKS) {
    for (const compat2022 of [false, true]) {
      it(`${file} (${weights} weights)${compat2022 ? ", compat-2022" : ""}`, () => {
        const soft = load(file);
        expect(compileFlatDmm(layered, soft, { text: TEXT, cycles: 140 }).links).toHaveLength(weights);
        expectSameAsVgrad(layered, soft, { cycles: 140, lambda: 0.001, compat2022 });
      });
    }
  }

  it("texts with digits (keys a JavaScript object orders first) and repeats, compat-2022 (where norm ties matter)", () => {
    for (const text of ["a1b2a1.", "9 8 7 9.9", "aaaa"]) {
      expectSameAsVgrad(layered, load(NETWORKS[2]![0]), { cycles: 120, lambda: 0.001, compat2022: true, text });
    }
  });

  it("at other weights than the compiled ones (one compile, many evaluations), a weight 0 included", () => {
    const flat = compileFlatDmm(layered, load(NETWORKS[1]![0]), { text: TEXT, cycles: 140, lambda: 0.01 });
    const w = flat.weights.map((x, i) => (i === 3 ? 0 : x * (1 + 0.05 * Math.sin(i))));
    const soft = matrixFromLinks(flat.links.map(([t, f, s, sf], i): Link => [t, f, s, sf, w[i]!]));
    const mine = flat.lossAndGradient(w);
    const theirs = lossAndGradient(layered, soft, { samples: [{ text: TEXT, cycles: 140 }], lambda: 0.01 });
    expect(Math.abs(mine.loss - theirs.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(theirs.loss));
    expect(mismatches(flat, mine.grad, theirs.gradient, 1e-9)).toEqual([]);
    // abs'(0) = 0: the zero weight's gradient has no λ·sign part
    expect(mine.grad[3]).toBe(
      compileFlatDmm(layered, soft, { text: TEXT, cycles: 140, lambda: 0 }).lossAndGradient(w).grad[3],
    );
  });

  /*
   * The hand-crafted detector with its 9 non-clock links soft, plus 0.5·const_1 into
   * both answers, so every cycle has an error: compare sees n(norm) − 1 = 0 exactly
   * while the maximal count is 1 (relu'(0) = 1 passes the gradient), the dot reaches
   * 4 exactly (passes) and then 5 (clipped: no gradient) within 160 cycles, ties
   * between equal character counts pick vgrad's first key, and a weight 0 (abs'(0) = 0).
   */
  const clocked = (l: Link): boolean => l[0] === "timer" || l[0] === "input";
  const hand = handcraftedDetector();
  const handNet: Network = {
    neurons: hand.neurons,
    soft: matrixFromLinks([]),
    hard: matrixFromLinks(HANDCRAFTED_LINKS.filter(clocked)),
  };
  const handSoft = matrixFromLinks([
    ...HANDCRAFTED_LINKS.filter((l) => !clocked(l)),
    ["output", "dict-1", "const_1", "const_1", 0.5],
    ["output", "dict-2", "const_1", "const_1", 0.5],
    ["norm", "dict", "eos", "char", 0],
  ]);
  for (const compat2022 of [false, true]) {
    it(`the hand-crafted detector at its kinks (relu at 0, clip at 4, ties, |0|)${compat2022 ? ", compat-2022" : ""}`, () => {
      expectSameAsVgrad(handNet, handSoft, { cycles: 160, lambda: 0.001, compat2022 });
    });
  }
});

describe("the flat DMM's gradient is the derivative of its loss", () => {
  for (const [file, weights] of NETWORKS) {
    it(`central finite differences, ${weights} weights`, () => {
      const flat = compileFlatDmm(layered, load(file), { text: TEXT, cycles: 140, lambda: 0.001 });
      const w0 = flat.weights;
      const { grad } = flat.lossAndGradient(w0);
      // the four largest components and one small one
      const order = [...grad.keys()].sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!));
      const picks = [...order.slice(0, 4), order[Math.floor(order.length / 2)]!];
      for (const i of picks) {
        const h = 1e-4;
        const at = (d: number): number => {
          const w = Float64Array.from(w0);
          w[i] = w[i]! + d;
          return flat.loss(w).loss;
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        // 1e-6 relative, plus the rounding error of the two losses divided by 2h
        const rounding = (4 * Number.EPSILON * Math.abs(flat.loss(w0).loss)) / (2 * h);
        expect(
          Math.abs(fd - grad[i]!),
          `${flat.links[i]!.slice(0, 4).join(".")}: fd ${fd}, gradient ${grad[i]}`,
        ).toBeLessThanOrEqual(1e-6 * Math.abs(grad[i]!) + rounding);
      }
    });
  }
});

describe("compileFlatDmm refuses what it cannot compile", () => {
  it("a timer or input fed by a soft link (its value would depend on the weights)", () => {
    const net = handcraftedDetector({ trainable: true });
    expect(() => compileFlatDmm(net, net.soft, { text: TEXT, cycles: 10 })).toThrow(
      /neuron "(timer|input)".*hard links/,
    );
  });
  it("weights of the wrong length", () => {
    const flat = compileFlatDmm(layered, load(NETWORKS[2]![0]), { text: TEXT, cycles: 10 });
    expect(() => flat.lossAndGradient(new Float64Array(3))).toThrow(/length 19, got length 3/);
  });
});
