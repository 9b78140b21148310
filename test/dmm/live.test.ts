/** liveNetwork: dropping neurons that cannot reach the output changes no answer. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  detectorAnswers,
  detectorLoss,
  handcraftedDetector,
  layeredNetwork,
  liveNetwork,
  matrixFromLinks,
  neurons,
  parseMatrix,
  withSoft,
  type Network,
} from "../../src/dmm/index.js";
import { valueAndGradient, equals, type VValue } from "../../src/index.js";

const layered = layeredNetwork().network;
const load = (file: string): VValue =>
  parseMatrix(readFileSync(new URL(`../../data/dmm-2022/${file}`, import.meta.url), "utf8"), layered, file);

describe("liveNetwork", () => {
  for (const text of ["test string.", "abracadabra.."]) {
    it(`sparse20 matrix on ${JSON.stringify(text)}: identical answers, a dozen neurons instead of 45`, () => {
      const full = withSoft(layered, load("sparse20-after-100-steps-matrix.json"));
      const live = liveNetwork(full);
      expect(Object.keys(full.neurons)).toHaveLength(45);
      expect(Object.keys(live.neurons).length).toBeLessThan(15);
      expect(live.neurons["output"]).toBeDefined();
      expect(detectorAnswers(live, text, 160)).toEqual(detectorAnswers(full, text, 160));
    });
  }

  it("initial matrix: every neuron is live, the network comes back as is, answers identical", () => {
    const full = withSoft(layered, load("initial-matrix.json"));
    const live = liveNetwork(full);
    expect(live).toBe(full);
    expect(detectorAnswers(live, "test string.", 140)).toEqual(detectorAnswers(full, "test string.", 140));
  });

  it("initial matrix without output's links from layers 4 and 5: those 16 neurons drop, same answers and gradient", () => {
    const soft = load("initial-matrix.json") as Record<string, Record<string, Record<string, VValue>>>;
    const out: Record<string, Record<string, VValue>> = {};
    for (const f in soft["output"]) {
      out[f] = {};
      for (const s in soft["output"][f]) if (!/-[45]-\d$/.test(s)) out[f]![s] = soft["output"][f]![s]!;
    }
    const cut = { ...soft, output: out } as VValue;
    const full = withSoft(layered, cut);
    const live = liveNetwork(full);
    // layer 5 fed only output, layer 4 only layer 5 and output: 2 layers × 4 types × 2
    expect(Object.keys(live.neurons)).toHaveLength(45 - 16);
    expect(Object.keys(live.neurons).some((n) => /-[45]-\d$/.test(n))).toBe(false);
    expect(detectorAnswers(live, "test string.", 140)).toEqual(detectorAnswers(full, "test string.", 140));
    const samples = [{ text: "test string.", cycles: 140 }];
    // liveness is decided on the plain matrix (as lossAndGradient does), then the
    // tracked matrix runs on the live part
    const gLive = valueAndGradient((w: VValue) => detectorLoss(live, w, { samples }).loss, cut);
    const gFull = valueAndGradient((w: VValue) => detectorLoss(full, w, { samples }).loss, cut);
    expect(gLive.value).toBe(gFull.value);
    expect(equals(gLive.gradient[0]!, gFull.gradient[0]!, { tolerance: 1e-12 })).toBe(true);
  });

  // A tracked soft matrix (inside valueAndGradient) has the structure of its plain value.
  it("liveNetwork of a tracked matrix inside a differentiated function keeps the answers", () => {
    const soft = load("initial-matrix.json");
    const samples = [{ text: "test string.", cycles: 140 }];
    const plain = detectorLoss(layered, soft, { samples }).loss as number;
    const { value } = valueAndGradient(
      (w: VValue) => detectorLoss(liveNetwork(withSoft(layered, w)), w, { samples }).loss,
      soft,
    );
    expect(value).toBeCloseTo(plain, 9);
  });

  it("leaves a network with Self, or without an output neuron, unchanged", () => {
    const withSelf: Network = {
      neurons: { self: neurons.self, a: neurons.identity, output: neurons.output },
      soft: {},
      hard: {},
    };
    expect(liveNetwork(withSelf)).toBe(withSelf);
    const noOutput: Network = { neurons: { a: neurons.identity }, soft: {}, hard: {} };
    expect(liveNetwork(noOutput)).toBe(noOutput);
  });

  it("follows hard links too (the hand-crafted detector is entirely live)", () => {
    const net = handcraftedDetector();
    expect(Object.keys(liveNetwork(net).neurons).sort()).toEqual(Object.keys(net.neurons).sort());
    const partial: Network = {
      neurons: { ...net.neurons, extra: neurons.identity },
      soft: matrixFromLinks([["extra", "in", "accum", "dict", 1]]),
      hard: net.hard,
    };
    expect(Object.keys(liveNetwork(partial).neurons)).not.toContain("extra");
  });
});
