/** registerNeuronType / neuronType: user-defined neuron types run in a network. */
import { describe, expect, it } from "vitest";
import {
  initialOutputs,
  matrixFromLinks,
  neurons,
  neuronType,
  neuronTypeNames,
  registerNeuronType,
  run,
  type Network,
} from "../../src/dmm/index.js";
import { get, scale, sum, tanh, valueAndGradient, type VValue } from "../../src/index.js";

describe("registerNeuronType", () => {
  // a unique name: the registry is per module instance, but keep clear of built-ins
  const NAME = "test-doubling-tanh";
  registerNeuronType({
    name: NAME,
    inputs: ["in"],
    outputs: ["out"],
    activation: (x) => ({ out: tanh(scale(2, get(x, "in"))) }),
  });

  it("a registered type is found by name and listed", () => {
    expect(neuronType(NAME).name).toBe(NAME);
    expect(neuronTypeNames()).toContain(NAME);
    expect(neuronTypeNames()).toEqual(
      expect.arrayContaining(["timer", "input", "accum", "norm", "dot", "compare", "output", "self"]),
    );
  });

  /** src (identity) holds {k: 0.3, m: -0.2} by a self-link and feeds the new type. */
  const net = (w: VValue): Network => ({
    neurons: { src: neurons.identity, f: neuronType(NAME) },
    soft: w,
    hard: matrixFromLinks([["src", "v", "src", "v", 1]]),
  });
  const W = matrixFromLinks([["f", "in", "src", "v", 0.7]]);
  const start = (n: Network) => initialOutputs(n, { src: { v: { k: 0.3, m: -0.2 } } });

  it("runs in a network: its activation is applied at every up movement", () => {
    const n = net(W);
    const { y } = run(n, { cycles: 3, start: start(n) });
    expect(get(y, "f", "out", "k")).toBeCloseTo(Math.tanh(2 * 0.7 * 0.3), 15);
    expect(get(y, "f", "out", "m")).toBeCloseTo(Math.tanh(2 * 0.7 * -0.2), 15);
  });

  it("is differentiable like the built-ins", () => {
    const loss = (w: VValue) => {
      const n = net(w);
      return sum(get(run(n, { cycles: 2, start: start(n) }).y, "f", "out"));
    };
    const g = get(valueAndGradient(loss, W).gradient[0]!, "f", "in", "src", "v") as number;
    const d = (v: number) => 2 * v * (1 - Math.tanh(2 * 0.7 * v) ** 2);
    expect(g).toBeCloseTo(d(0.3) + d(-0.2), 12);
  });

  it("rejects a second type with a taken name, built-in or not", () => {
    const t = { name: NAME, activation: (x: VValue) => x };
    expect(() => registerNeuronType(t)).toThrow(/already registered/);
    expect(() => registerNeuronType({ name: "accum", activation: (x: VValue) => x })).toThrow(/"accum"/);
    // the original stays in place
    expect(neuronType("accum")).toBe(neurons.accum);
  });

  it("rejects something that is not a neuron type", () => {
    expect(() => registerNeuronType({ name: "no-activation" } as never)).toThrow(TypeError);
    expect(() => registerNeuronType({ name: 3, activation: () => ({}) } as never)).toThrow(TypeError);
  });

  it("an unknown type name is an error naming it", () => {
    expect(() => neuronType("no-such-type")).toThrow(RangeError);
    expect(() => neuronType("no-such-type")).toThrow(/unknown neuron type "no-such-type"/);
    expect(() => neuronType("toString")).toThrow(RangeError);
  });
});
