/**
 * Optimal Brain Damage for the synthesis: the Hessian diagonal of the detector loss
 * against central differences of its gradient, eager and jit alike; the saliency
 * ½·H_ii·w²; `salienceOrder`'s choice between it and |w|·RMS; the config field.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  detectorLoss,
  handcraftedDetector,
  layeredNetwork,
  linksOf,
  liveNetwork,
  matrixFromLinks,
  parseMatrix,
  withSoft,
} from "../../src/dmm/index.js";
import { get, gradient, type VValue } from "../../src/index.js";
import {
  defaultConfig,
  linkSaliency,
  lossHessianDiagonal,
  OBD_MAX_WEIGHTS,
  obdSaliency,
  parseConfigOverrides,
  salienceOrder,
} from "../../src/synth/index.js";
import { readConfig } from "../../src/synth/config.js";

const layered = layeredNetwork().network;
const load = (file: string): VValue =>
  parseMatrix(readFileSync(new URL(`../../data/dmm-2022/${file}`, import.meta.url), "utf8"), layered, file);
const sparse20 = load("sparse20-after-100-steps-matrix.json");
const samples = [{ text: "test string.", cycles: 40 }];

describe("lossHessianDiagonal", () => {
  const links = linksOf(sparse20);
  const diagonal = lossHessianDiagonal(layered, sparse20, samples);

  it("is ∂²prereg/∂w_i², by central differences of the gradient (2022's 19 weights, 40 cycles)", () => {
    const net = liveNetwork(withSoft(layered, sparse20));
    const loss = (w: VValue): VValue => detectorLoss(net, w, { samples }).prereg;
    const h = 1e-5;
    links.forEach(([t, f, s, sf, w], i) => {
      const moved = (d: number) => matrixFromLinks(links.map((l, k) => (k === i ? [t, f, s, sf, w + d] : l)));
      const slope = (d: number) => get(gradient(loss, moved(d))[0]!, t, f, s, sf) as number;
      const fd = (slope(h) - slope(-h)) / (2 * h);
      expect(Math.abs(diagonal[i]! - fd), `${t}.${f}.${s}.${sf}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(fd)));
    });
  });

  it("eager and jit give the same numbers, bit for bit", () => {
    expect(lossHessianDiagonal(layered, sparse20, samples, { jit: false })).toEqual(diagonal);
  });

  it("obdSaliency is ½·H_ii·w², and non-negative at a minimum (the hand-crafted detector, prereg 0)", () => {
    const obd = obdSaliency(layered, sparse20, samples);
    links.forEach(([, , , , w], i) => expect(obd[i]).toBe(0.5 * diagonal[i]! * w * w));
    const hand = handcraftedDetector({ trainable: true });
    const at = [{ text: "aba.", cycles: 40 }];
    expect(detectorLoss(hand, hand.soft, { samples: at }).prereg).toBe(0);
    const s = obdSaliency(hand, hand.soft, at);
    expect(s.every((x) => x >= 0)).toBe(true);
    expect(s.some((x) => x > 0)).toBe(true);
  });
});

describe("salienceOrder", () => {
  it('"obd" ranks by ½·H_ii·w² (ascending, ties by link order), "rms" by |w|·RMS', () => {
    const order = (score: number[]) => score.map((_, i) => i).sort((a, b) => score[a]! - score[b]! || a - b);
    expect(salienceOrder(layered, sparse20, samples, "obd")).toEqual(order(obdSaliency(layered, sparse20, samples)));
    expect(salienceOrder(layered, sparse20, samples, "rms")).toEqual(order(linkSaliency(layered, sparse20, samples)));
    expect(salienceOrder(layered, sparse20, samples)).toEqual(salienceOrder(layered, sparse20, samples, "rms"));
    // the two disagree here: the comparison in docs/synthesis.md is between different cuts
    expect(salienceOrder(layered, sparse20, samples, "obd")).not.toEqual(
      salienceOrder(layered, sparse20, samples, "rms"),
    );
  });

  it(`"obd" falls back to |w|·RMS above ${OBD_MAX_WEIGHTS} weights`, () => {
    const big = load("sparse16-after-2500-steps-matrix.json"); // 109 weights
    expect(linksOf(big).length).toBeGreaterThan(OBD_MAX_WEIGHTS);
    expect(salienceOrder(layered, big, samples, "obd")).toEqual(salienceOrder(layered, big, samples, "rms"));
  });
});

describe("the saliency setting", () => {
  it('defaults to "rms" and takes "obd"', () => {
    expect(defaultConfig().saliency).toBe("rms");
    expect(defaultConfig({ saliency: "obd" }).saliency).toBe("obd");
    expect(parseConfigOverrides('{"saliency": "obd"}', "cfg.json")).toEqual({ saliency: "obd" });
  });

  it("rejects anything else, naming the file and the field", () => {
    expect(() => parseConfigOverrides('{"saliency": "hessian"}', "cfg.json")).toThrow(/cfg\.json.*saliency/);
    expect(() => defaultConfig({ saliency: 1 as never })).toThrow(/config\.saliency/);
  });

  it('a whole configuration without it (a checkpoint written before it existed) reads as "rms"', () => {
    const { saliency: _, ...old } = defaultConfig();
    expect(readConfig(old, { name: "checkpoint.json", encoded: false }, ["config"], false).saliency).toBe("rms");
  });
});
