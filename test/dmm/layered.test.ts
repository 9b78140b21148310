/**
 * The layered trainable network of SPEC-DMM §4: the 2022 configuration (1486 soft and
 * 12 hard links, the key paths of initial-matrix.json) and other configurations,
 * whose link counts are predicted by a formula written from the SPEC's description.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  countLinks,
  layeredNetwork,
  linksOf,
  parseMatrix,
  type LayeredConfig,
  type Link,
} from "../../src/dmm/index.js";

const path = (l: Link): string => JSON.stringify(l.slice(0, 4));

/** Per SPEC §4: trainable input fields and output fields of each hidden type. */
const SOFT_INPUTS: Record<string, number> = { accum: 1, norm: 1, dot: 2, compare: 2 };
const OUTPUTS: Record<string, number> = { accum: 1, norm: 1, dot: 1, compare: 2 };
const LAYER0_OUTPUTS = 3; // input.char, eos.char, const_1.const_1

/**
 * Every trainable input of layer L takes one link from every output of layers 0..L−1,
 * and output's two fields one from every output of layers 0..layers.
 */
function predicted(layers: number, perType: number, types: readonly string[]) {
  const inputsPerLayer = perType * types.reduce((s, t) => s + SOFT_INPUTS[t]!, 0);
  const outputsPerLayer = perType * types.reduce((s, t) => s + OUTPUTS[t]!, 0);
  let soft = 0;
  for (let L = 1; L <= layers; L++) soft += inputsPerLayer * (LAYER0_OUTPUTS + (L - 1) * outputsPerLayer);
  soft += 2 * (LAYER0_OUTPUTS + layers * outputsPerLayer);
  const hard = 2 + (types.includes("accum") ? layers * perType : 0);
  const neurons = 4 + layers * perType * types.length + 1; // timer, input, eos, const_1, hidden, output
  return { soft, hard, neurons };
}

describe("layeredNetwork", () => {
  it("the 2022 configuration: exactly 1486 soft and 12 hard links", () => {
    const { network, links } = layeredNetwork();
    expect(predicted(5, 2, ["accum", "norm", "dot", "compare"])).toEqual({ soft: 1486, hard: 12, neurons: 45 });
    expect(links).toHaveLength(1486);
    expect(countLinks(network.soft)).toBe(1486);
    expect(countLinks(network.hard)).toBe(12);
    expect(Object.keys(network.neurons)).toHaveLength(45);
    expect(links.every((l) => l[4] === 0)).toBe(true);
  });

  it("the 2022 configuration has the same soft key paths as initial-matrix.json", () => {
    const { network, links } = layeredNetwork();
    const text = readFileSync(new URL("../../data/dmm-2022/initial-matrix.json", import.meta.url), "utf8");
    const initial = parseMatrix(text, network);
    const mine = links.map(path).sort();
    expect(new Set(mine).size).toBe(1486);
    expect(linksOf(initial).map(path).sort()).toEqual(mine);
  });

  it("the 12 hard links: timer, input driver, and each accumulator's memory loop, weight 1", () => {
    const hard = linksOf(layeredNetwork().network.hard)
      .map((l) => l.join(" "))
      .sort();
    const expected = [
      "timer timer timer timer 1",
      "input timer timer timer 1",
      ...[1, 2, 3, 4, 5].flatMap((L) => [1, 2].map((k) => `accum-${L}-${k} dict-1 accum-${L}-${k} dict 1`)),
    ].sort();
    expect(hard).toEqual(expected);
  });

  it("no soft link feeds an accumulator's memory, a layer-0 neuron or a later layer's output backwards", () => {
    const { links } = layeredNetwork();
    const layerOf = (name: string): number => {
      const m = /^\w+-(\d+)-\d+$/.exec(name);
      return m ? Number(m[1]) : name === "output" ? 6 : 0;
    };
    for (const [t, f, s] of links) {
      if (t.startsWith("accum")) expect(f).toBe("dict-2");
      expect(["timer", "input", "eos", "const_1"]).not.toContain(t);
      expect(layerOf(s)).toBeLessThan(layerOf(t));
    }
  });

  const configs: LayeredConfig[] = [
    { layers: 1, perType: 1 },
    { layers: 2, perType: 3 },
    { layers: 7, perType: 1 },
    { layers: 3, perType: 2, types: ["accum", "dot"] },
    { layers: 2, perType: 2, types: ["norm", "compare"] },
    { layers: 4, perType: 1, types: ["compare"] },
  ];
  for (const config of configs) {
    it(`config ${JSON.stringify(config)}: counts as the formula predicts`, () => {
      const types = config.types ?? ["accum", "norm", "dot", "compare"];
      const p = predicted(config.layers!, config.perType!, types);
      const { network, links } = layeredNetwork(config);
      expect(links).toHaveLength(p.soft);
      expect(new Set(links.map(path)).size).toBe(p.soft);
      expect(countLinks(network.soft)).toBe(p.soft);
      expect(countLinks(network.hard)).toBe(p.hard);
      expect(Object.keys(network.neurons)).toHaveLength(p.neurons);
      // every hidden neuron is named {type}-{layer}-{k}
      for (const t of types)
        for (let L = 1; L <= config.layers!; L++)
          for (let k = 1; k <= config.perType!; k++) expect(network.neurons[`${t}-${L}-${k}`]?.name).toBe(t);
    });
  }

  it("rejects bad configurations", () => {
    expect(() => layeredNetwork({ layers: 0 })).toThrow(RangeError);
    expect(() => layeredNetwork({ perType: 1.5 })).toThrow(RangeError);
    expect(() => layeredNetwork({ types: ["accum", "softmax"] })).toThrow(/softmax/);
  });
});

describe("layeredNetwork rejects inherited type names", () => {
  it.each(["toString", "__proto__", "constructor"])("%s", (t) => {
    expect(() => layeredNetwork({ types: [t] })).toThrow(/unknown layer type/);
  });
});
