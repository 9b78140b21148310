/**
 * The fully recurrent ("prior-free") network of SPEC-DMM §4: every output to every
 * input, every field name on every hidden neuron, no hard accumulator loop. Counts are
 * predicted from the SPEC's description; the network holds a perfect detector (the
 * hand-crafted one, its memory loop a soft weight); gradients through all 140 cycles
 * are exact (jit equals eager, and both equal finite differences).
 */
import { describe, expect, it } from "vitest";
import { equals, type VValue } from "../../src/index.js";
import {
  countLinks,
  detectorAnswers,
  detectorLoss,
  fullyRecurrentNetwork,
  handcraftedDetector,
  linksOf,
  liveNetwork,
  matrixFromLinks,
  withSoft,
  type Link,
} from "../../src/dmm/index.js";
import { initialWeights, lossAndGradient, Rng } from "../../src/synth/index.js";

const FIELDS = ["dict", "dict-1", "dict-2", "norm", "dot", "true", "false"];
const TYPES = ["accum", "norm", "compare", "dot"];

describe("fullyRecurrentNetwork", () => {
  it("5 copies of each type: 142 inputs × 143 outputs = 20 306 soft links, 2 hard (20 308 as in 2022)", () => {
    const { network, links } = fullyRecurrentNetwork();
    // inputs: output's 2 fields + 20 hidden neurons × 7 field names;
    // outputs: input.char, eos.char, const_1.const_1 + 20 × 7
    expect((2 + 20 * 7) * (3 + 20 * 7)).toBe(20306);
    expect(links).toHaveLength(20306);
    expect(countLinks(network.soft)).toBe(20306);
    expect(countLinks(network.soft) + countLinks(network.hard)).toBe(20308);
    expect(links.every((l) => l[4] === 0)).toBe(true);
    expect(Object.keys(network.neurons)).toHaveLength(4 + 20 + 1);
  });

  it("every output feeds every input once; every hidden neuron has all 7 field names both ways", () => {
    const { network, links } = fullyRecurrentNetwork({ copies: 2 });
    const hidden = [1, 2].flatMap((k) => TYPES.map((t) => `${t}-${k}`));
    const targets = [
      "output\0dict-1",
      "output\0dict-2",
      ...hidden.flatMap((n) => FIELDS.map((f) => `${n}\0${f}`)),
    ].sort();
    const sources = [
      "input\0char",
      "eos\0char",
      "const_1\0const_1",
      ...hidden.flatMap((n) => FIELDS.map((f) => `${n}\0${f}`)),
    ].sort();
    const pairs = new Set(links.map(([t, f, s, sf]) => `${t}\0${f}|${s}\0${sf}`));
    expect(pairs.size).toBe(links.length);
    expect(links.length).toBe(targets.length * sources.length);
    expect([...new Set(links.map(([t, f]) => `${t}\0${f}`))].sort()).toEqual(targets);
    expect([...new Set(links.map(([, , s, sf]) => `${s}\0${sf}`))].sort()).toEqual(sources);
    for (const n of hidden) expect(network.neurons[n]!.name).toBe(n.replace(/-\d+$/, ""));
  });

  it("the only hard links are the clock's: no accumulator has a built-in memory loop", () => {
    const hard = linksOf(fullyRecurrentNetwork().network.hard).map((l) => l.join(" "));
    expect(hard.sort()).toEqual(["input timer timer timer 1", "timer timer timer timer 1"]);
    // the memory loop is an ordinary soft link
    const soft = new Set(fullyRecurrentNetwork().links.map((l) => l.slice(0, 4).join(" ")));
    expect(soft.has("accum-3 dict-1 accum-3 dict")).toBe(true);
  });

  it("other sizes: the field names are those the chosen types use", () => {
    expect(fullyRecurrentNetwork({ copies: 1 }).links).toHaveLength((2 + 4 * 7) * (3 + 4 * 7));
    // norm alone reads dict and writes norm
    expect(fullyRecurrentNetwork({ copies: 3, types: ["norm"] }).links).toHaveLength((2 + 3 * 2) * (3 + 3 * 2));
    // compare: dict-1, dict-2, true, false
    expect(fullyRecurrentNetwork({ copies: 1, types: ["compare"] }).links).toHaveLength((2 + 4) * (3 + 4));
  });

  it("bad sizes are refused with a message naming the setting", () => {
    expect(() => fullyRecurrentNetwork({ copies: 0 })).toThrow(/copies must be an integer >= 1, got 0/);
    expect(() => fullyRecurrentNetwork({ copies: 1.5 })).toThrow(/copies must be an integer >= 1, got 1\.5/);
    expect(() => fullyRecurrentNetwork({ types: [] })).toThrow(/types must name at least one type/);
    expect(() => fullyRecurrentNetwork({ types: ["toString"] })).toThrow(/unknown type "toString"/);
  });
});

/** The hand-crafted detector in the fully recurrent layout: its 9 non-clock links, all soft. */
const HAND: Link[] = [
  ["accum-1", "dict-1", "accum-1", "dict", 1],
  ["accum-1", "dict-2", "input", "char", 1],
  ["norm-1", "dict", "accum-1", "dict", 1],
  ["compare-1", "dict-1", "norm-1", "norm", 1],
  ["compare-1", "dict-2", "const_1", "const_1", 1],
  ["dot-1", "dict-1", "accum-1", "dict", 1],
  ["dot-1", "dict-2", "eos", "char", 1],
  ["output", "dict-1", "compare-1", "true", 1],
  ["output", "dict-2", "dot-1", "dot", 1],
];

describe("the fully recurrent network at work", () => {
  const { network, links } = fullyRecurrentNetwork({ copies: 1 });
  const layout = new Set(links.map((l) => l.slice(0, 4).join(" ")));

  it("holds the hand-crafted detector with 9 soft weights: the same answers, cycle by cycle", () => {
    for (const l of HAND) expect(layout.has(l.slice(0, 4).join(" ")), l.join(" ")).toBe(true);
    const net = withSoft(network, matrixFromLinks(HAND));
    for (const text of ["test string.", "mississippi."]) {
      expect(detectorAnswers(net, text, 150)).toEqual(detectorAnswers(handcraftedDetector(), text, 150));
    }
    expect(detectorAnswers(net, "test string.", 150)[149]).toEqual([3, 4]); // SPEC-DMM §3's last row
  });

  it("gradients through all 140 cycles: jit equals eager, and both equal central differences", () => {
    // the detector with seeded noise on its links, and 40 other links
    const rng = Rng.seeded(3);
    const noisy = linksOf(initialWeights(links, rng, 0.01)).slice(100, 140);
    const soft = matrixFromLinks([
      ...noisy,
      ...HAND.map(([t, f, s, sf, w]) => [t, f, s, sf, w + 0.01 * rng.normal()] as Link),
    ]);
    const options = { samples: [{ text: "test string.", cycles: 140 }], lambda: 0 };
    const eager = lossAndGradient(network, soft, { ...options, jit: false });
    const jitted = lossAndGradient(network, soft, { ...options, jit: true });
    expect(Math.abs(jitted.loss - eager.loss)).toBeLessThanOrEqual(1e-12 * eager.loss);
    expect(equals(jitted.gradient, eager.gradient, { tolerance: 1e-9 })).toBe(true);
    const loss = (w: VValue) => detectorLoss(liveNetwork(withSoft(network, w)), w, options).loss as number;
    const grad = linksOf(eager.gradient);
    // the memory loop (its gradient flows back through every cycle) and the other detector links
    for (const [t, f, s, sf] of HAND) {
      const i = linksOf(soft).findIndex((l) => l[0] === t && l[1] === f && l[2] === s && l[3] === sf);
      const h = 1e-5;
      const at = (d: number) => matrixFromLinks(linksOf(soft).map((l, j) => (j === i ? [t, f, s, sf, l[4] + d] : l)));
      const fd = (loss(at(h)) - loss(at(-h))) / (2 * h);
      const g = grad.find((l) => l[0] === t && l[1] === f && l[2] === s && l[3] === sf)![4];
      expect(Math.abs(g - fd), `${t}.${f} ← ${s}.${sf}: ${g} vs ${fd}`).toBeLessThanOrEqual(
        1e-5 * Math.max(1, Math.abs(fd)),
      );
    }
  });
});
