/**
 * Self (SPEC-DMM §1): a network whose matrix is the output `single` of its Self
 * neuron, edited while it runs. The "wave": three identity neurons A, B, C each hold
 * a constant matrix fragment that moves the single weight-1 entry
 * W[self][delta][X][frag] from X to the next neuron (A → B → C → A), so the entry
 * circulates through W with period 3. Then gradients through such a run.
 */
import { describe, expect, it } from "vitest";
import {
  initialOutputs,
  linksOf,
  matrixFromLinks,
  neurons,
  run,
  type Link,
  type Network,
} from "../../src/dmm/index.js";
import { add, equals, get, scale, square, sum, valueAndGradient, type VValue } from "../../src/index.js";

const RING = ["A", "B", "C"] as const;
const next = (X: string): string => RING[(RING.indexOf(X as "A") + 1) % 3]!;

/** The fragment held by X: W[self][delta][X][frag] −= 1, W[self][delta][next(X)][frag] += 1. */
const fragment = (X: string, extra: Link[] = []): VValue =>
  matrixFromLinks([["self", "delta", X, "frag", -1], ["self", "delta", next(X), "frag", 1], ...extra]);

/** Self keeps W (self.dict-1 ← self.single); A, B, C keep their fragments; the entry starts at A. */
const W0 = matrixFromLinks([
  ["self", "dict-1", "self", "single", 1],
  ["A", "frag", "A", "frag", 1],
  ["B", "frag", "B", "frag", 1],
  ["C", "frag", "C", "frag", 1],
  ["self", "delta", "A", "frag", 1],
]);

const waveNet = (soft: VValue): Network => ({
  neurons: { self: neurons.self, A: neurons.identity, B: neurons.identity, C: neurons.identity },
  soft,
  hard: {},
});

/** W without its delta row (the part the wave must leave alone). */
const withoutDelta = (W: VValue): Link[] => linksOf(W).filter((l) => !(l[0] === "self" && l[1] === "delta"));

describe("Self: the wave", () => {
  it("the weight-1 entry circulates A → B → C → A (period 3) and W otherwise stays unchanged", () => {
    const net = waveNet(W0);
    const start = initialOutputs(net, Object.fromEntries(RING.map((X) => [X, { frag: fragment(X) }])));
    expect(get(start, "self", "single")).toBe(W0);
    const holders: string[] = [];
    run(net, {
      cycles: 12,
      start,
      onCycle: (c, _x, y) => {
        const W = get(y, "self", "single");
        const deltaLinks = linksOf(W).filter((l) => l[0] === "self" && l[1] === "delta");
        const ones = deltaLinks.filter((l) => l[4] === 1);
        const rest = deltaLinks.filter((l) => l[4] !== 1);
        expect(ones, `cycle ${c}: ${JSON.stringify(deltaLinks)}`).toHaveLength(1);
        expect(ones[0]![3]).toBe("frag");
        expect(
          rest.every((l) => l[4] === 0),
          `cycle ${c}`,
        ).toBe(true);
        holders.push(ones[0]![2]);
        // the rest of W is untouched
        expect(withoutDelta(W)).toEqual(withoutDelta(W0));
        // the fragments are held constant by their self-links
        for (const X of RING) expect(equals(get(y, X, "frag"), fragment(X))).toBe(true);
      },
    });
    // after cycle c the entry sits at RING[c mod 3]: B, C, A, B, C, A, ...
    expect(holders).toEqual(Array.from({ length: 12 }, (_, i) => RING[(i + 1) % 3]));
  });

  it("without the fragments' self-links the wave moves once and stops", () => {
    const soft = matrixFromLinks(linksOf(W0).filter((l) => !(l[0] === l[2] && RING.includes(l[0] as "A"))));
    const net = waveNet(soft);
    const start = initialOutputs(net, Object.fromEntries(RING.map((X) => [X, { frag: fragment(X) }])));
    const holders: string[] = [];
    run(net, {
      cycles: 4,
      start,
      onCycle: (_c, _x, y) => {
        const ones = linksOf(get(y, "self", "single")).filter((l) => l[1] === "delta" && l[4] === 1);
        holders.push(ones.map((l) => l[2]).join());
      },
    });
    expect(holders).toEqual(["B", "B", "B", "B"]);
  });
});

describe("Self: gradients through a self-modifying run", () => {
  /*
   * The wave plus data: D holds a constant {k: 2, j: −1} (self-link), `out` reads it
   * through the link out.in ← D.val, and every fragment also adds 0.25 to that link.
   * The loss Σ_c Σ_k x[out][in][k]² depends on every entry of the initial matrix,
   * including Self's own keep-weight (W_{t+1} = a·W_t + …, so a enters as a^(2^t)),
   * and on a scale s of all fragments.
   */
  const I = neurons.identity;
  const net = (W: VValue): Network => ({
    neurons: { self: neurons.self, A: I, B: I, C: I, D: I, out: I },
    soft: W,
    hard: {},
  });
  const W1 = matrixFromLinks([...linksOf(W0), ["D", "val", "D", "val", 1], ["out", "in", "D", "val", 0.5]]);
  const CYCLES = 6;

  function loss(W: VValue, s: VValue): VValue {
    const n = net(W);
    const initial: Record<string, VValue> = { D: { val: { k: 2, j: -1 } } };
    for (const X of RING) initial[X] = { frag: scale(s, fragment(X, [["out", "in", "D", "val", 0.25]])) };
    let l: VValue = 0;
    run(n, {
      cycles: CYCLES,
      start: initialOutputs(n, initial),
      onCycle: (_c, x) => (l = add(l, sum(square(get(x, "out", "in"))))),
    });
    return l;
  }

  const links = linksOf(W1);
  const shifted = (i: number, d: number) =>
    matrixFromLinks(links.map((l, j) => (j === i ? [l[0], l[1], l[2], l[3], l[4] + d] : l)));
  const h = 1e-6;

  it("with respect to every entry of the initial matrix and a fragment scale: agrees with finite differences", () => {
    const s0 = 1.1;
    const { value, gradient } = valueAndGradient(loss, W1, s0);
    expect(value).toBe(loss(W1, s0));
    expect(value).toBeGreaterThan(0);
    const [gW, gs] = gradient as [VValue, number];
    links.forEach((l, i) => {
      const fd = ((loss(shifted(i, h), s0) as number) - (loss(shifted(i, -h), s0) as number)) / (2 * h);
      const g = get(gW, l[0], l[1], l[2], l[3]) as number;
      expect(Math.abs(g - fd), `${l.slice(0, 4).join(" ")}: ${g} vs ${fd}`).toBeLessThanOrEqual(
        1e-6 * Math.abs(fd) + 1e-6,
      );
      expect(Math.abs(g), l.slice(0, 4).join(" ")).toBeGreaterThan(1); // every entry matters
    });
    const fdS = ((loss(W1, s0 + h) as number) - (loss(W1, s0 - h) as number)) / (2 * h);
    expect(Math.abs(gs - fdS)).toBeLessThanOrEqual(1e-6 * Math.abs(fdS) + 1e-6);
  });

  it("with respect to a fragment (a rank-4 initial output): agrees with finite differences on every leaf", () => {
    const fragA0 = fragment("A", [["out", "in", "D", "val", 0.25]]);
    const lossOfA = (fragA: VValue): VValue => {
      const n = net(W1);
      const initial: Record<string, VValue> = { D: { val: { k: 2, j: -1 } }, A: { frag: fragA } };
      for (const X of ["B", "C"]) initial[X] = { frag: fragment(X, [["out", "in", "D", "val", 0.25]]) };
      let l: VValue = 0;
      run(n, {
        cycles: CYCLES,
        start: initialOutputs(n, initial),
        onCycle: (_c, x) => (l = add(l, sum(square(get(x, "out", "in"))))),
      });
      return l;
    };
    const g = valueAndGradient(lossOfA, fragA0).gradient[0]!;
    const fl = linksOf(fragA0);
    expect(fl).toHaveLength(3);
    fl.forEach((l, i) => {
      const at = (d: number) => matrixFromLinks(fl.map((m, j) => (j === i ? [m[0], m[1], m[2], m[3], m[4] + d] : m)));
      const fd = ((lossOfA(at(h)) as number) - (lossOfA(at(-h)) as number)) / (2 * h);
      const gi = get(g, l[0], l[1], l[2], l[3]) as number;
      expect(Math.abs(gi - fd), `${l.slice(0, 4).join(" ")}: ${gi} vs ${fd}`).toBeLessThanOrEqual(
        1e-6 * Math.abs(fd) + 1e-6,
      );
      expect(gi).not.toBe(0);
    });
  });
});
