/** The built-in neuron types of DMM Lite (SPEC-DMM §2), plus identity and self. */
import { add, clip, dot, get, maxNorm, primal, relu, stopGradient, sub } from "../index.js";
import type { VValue } from "../vvalue/types.js";
import type { NeuronType } from "./neuron-type.js";

// Scalar fields are bare numbers: `{norm: 3}` is the same V-value as
// `{norm: {":number": 3}}` (SPEC-DMM's notation), and needs no packing when tracked.

/** `n(v)`: the scalar part of a field. */
const n = (input: VValue, field: string): VValue => get(input, field, ":number");

/** Counts cycles: `{timer: n(timer) + 1}`. */
export const timer: NeuronType = {
  name: "timer",
  inputs: ["timer"],
  outputs: ["timer"],
  activation: (input) => ({ timer: add(n(input, "timer"), 1) }),
};

/**
 * Feeds `env.text`, one character every 10 cycles as a one-hot V-value keyed by the
 * character; `{}` in between; the last character repeats after the text ends.
 */
export const input: NeuronType = {
  name: "input",
  inputs: ["timer"],
  outputs: ["char"],
  activation: (inp, env) => {
    const text = env.text;
    if (text === undefined || text.length === 0) throw new RangeError("input neuron: the run needs a non-empty text");
    const t = Math.max(primal(n(inp, "timer")) as number, 0);
    if (t % 10 !== 0) return { char: {} };
    const chars = Array.from(text);
    return { char: { [chars[Math.min(Math.floor(t / 10), chars.length - 1)]!]: 1 } };
  },
};

/** The constant 1. */
export const const1: NeuronType = {
  name: "const_1",
  inputs: [],
  outputs: ["const_1"],
  activation: () => ({ const_1: 1 }),
};

/** The end-of-sentence character: `{char: {".": 1}}`. */
export const eos: NeuronType = {
  name: "eos",
  inputs: [],
  outputs: ["char"],
  activation: () => ({ char: { ".": 1 } }),
};

/** Key-wise `dict-1 + dict-2` (dict-1 is the memory, fed by a hard self-loop). */
export const accum: NeuronType = {
  name: "accum",
  inputs: ["dict-1", "dict-2"],
  outputs: ["dict"],
  activation: (input, env) => {
    const memory = get(input, "dict-1");
    return { dict: add(env.compat2022 ? stopGradient(memory) : memory, get(input, "dict-2")) };
  },
};

/** `max_k |dict[k]|` (0 when empty). */
export const norm: NeuronType = {
  name: "norm",
  inputs: ["dict"],
  outputs: ["norm"],
  activation: (input) => ({ norm: maxNorm(get(input, "dict")) }),
};

/** `⟨dict-1, dict-2⟩`, clipped to [-bound, bound] (no clip when bound is Infinity). */
export function dotType(bound = 4, name = "dot"): NeuronType {
  return {
    name,
    inputs: ["dict-1", "dict-2"],
    outputs: ["dot"],
    activation: (input) => {
      const d = dot(get(input, "dict-1"), get(input, "dict-2"));
      return { dot: bound === Infinity ? d : clip(d, -bound, bound) };
    },
  };
}

/** The dot neuron of DMM Lite, clipped to [-4, 4]. */
export const dotNeuron: NeuronType = dotType(4);

/** `true = relu(n(dict-1) − n(dict-2))`, `false = relu(n(dict-2) − n(dict-1))`. */
export const compare: NeuronType = {
  name: "compare",
  inputs: ["dict-1", "dict-2"],
  outputs: ["true", "false"],
  activation: (input) => {
    const a = n(input, "dict-1"),
      b = n(input, "dict-2");
    return { true: relu(sub(a, b)), false: relu(sub(b, a)) };
  },
};

/** The network's answers are read from its input; it has no outputs. */
export const output: NeuronType = {
  name: "output",
  inputs: ["dict-1", "dict-2"],
  outputs: [],
  activation: () => ({}),
};

/** Passes its input through unchanged (any fields). */
export const identity: NeuronType = {
  name: "identity",
  activation: (input) => input,
};

/**
 * Self (DMM 1.0): an accumulator whose output `single` is the network matrix. It
 * keeps W through a weight-1 link from its own `single` into `dict-1` and adds
 * whatever arrives on `delta`.
 */
export const self: NeuronType = {
  name: "self",
  inputs: ["dict-1", "delta"],
  outputs: ["single"],
  activation: (input) => ({ single: add(get(input, "dict-1"), get(input, "delta")) }),
};
