/** The duplicate-character detector networks of SPEC-DMM §3–§4. */
import { newTree, type MutableTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import * as B from "./builtins.js";
import type { Network } from "./network.js";
import type { NeuronType } from "./neuron-type.js";

/** A link `target.targetField ← source.sourceField` with a weight. */
export type Link = readonly [target: string, targetField: string, source: string, sourceField: string, weight: number];

/**
 * Builds a rank-4 matrix from links.
 *
 * @example
 * matrixFromLinks([["b", "in", "a", "out", 2]]); // { b: { in: { a: { out: 2 } } } }
 */
export function matrixFromLinks(links: readonly Link[]): VValue {
  const m = newTree();
  for (const [t, f, s, sf, w] of links) {
    const mt = (m[t] as MutableTree | undefined) ?? (m[t] = newTree());
    const mtf = (mt[f] as MutableTree | undefined) ?? (mt[f] = newTree());
    const mts = (mtf[s] as MutableTree | undefined) ?? (mtf[s] = newTree());
    mts[sf] = w;
  }
  return m;
}

/** Every link of a rank-4 matrix, in key order. */
export function linksOf(m: VValue): Link[] {
  const out: Link[] = [];
  if (typeof m === "number") return out;
  for (const t in m) {
    const mt = m[t]!;
    if (typeof mt === "number") continue;
    for (const f in mt) {
      const mtf = mt[f]!;
      if (typeof mtf === "number") continue;
      for (const s in mtf) {
        const l = mtf[s]!;
        if (typeof l === "number") continue;
        for (const sf in l) out.push([t, f, s, sf, l[sf] as number]);
      }
    }
  }
  return out;
}

/** The number of links (weights) of a rank-4 matrix. */
export function countLinks(m: VValue): number {
  return linksOf(m).length;
}

/** The 11 links of the hand-crafted detector (SPEC-DMM §3), all weight 1. */
export const HANDCRAFTED_LINKS: readonly Link[] = [
  ["timer", "timer", "timer", "timer", 1],
  ["input", "timer", "timer", "timer", 1],
  ["accum", "dict-1", "accum", "dict", 1],
  ["accum", "dict-2", "input", "char", 1],
  ["norm", "dict", "accum", "dict", 1],
  ["compare", "dict-1", "norm", "norm", 1],
  ["compare", "dict-2", "const_1", "const_1", 1],
  ["dot", "dict-1", "accum", "dict", 1],
  ["dot", "dict-2", "eos", "char", 1],
  ["output", "dict-1", "compare", "true", 1],
  ["output", "dict-2", "dot", "dot", 1],
];

/**
 * The hand-crafted duplicate detector: y1 = relu(max character count − 1), y2 = the
 * number of "." seen, clipped at 4. All 11 links are hard unless `trainable` (then
 * they are soft, e.g. for the gradient check of SPEC-DMM §5).
 *
 * @example
 * const net = handcraftedDetector();
 * detectorAnswers(net, "test string.", 150)[149]; // [3, 4]
 */
export function handcraftedDetector(options: { trainable?: boolean; dotClip?: number } = {}): Network {
  const neurons: Record<string, NeuronType> = {
    timer: B.timer,
    input: B.input,
    accum: B.accum,
    norm: B.norm,
    const_1: B.const1,
    compare: B.compare,
    eos: B.eos,
    dot: options.dotClip === undefined ? B.dotNeuron : B.dotType(options.dotClip),
    output: B.output,
  };
  const m = matrixFromLinks(HANDCRAFTED_LINKS);
  return options.trainable ? { neurons, soft: m, hard: newTree() } : { neurons, soft: newTree(), hard: m };
}

/** Configuration of the layered trainable network (SPEC-DMM §4). */
export interface LayeredConfig {
  /** Number of hidden layers (2022: 5). */
  layers?: number;
  /** Neurons of each type per layer (2022: 2). */
  perType?: number;
  /** Types in each layer, in order (2022: accum, norm, dot, compare). */
  types?: readonly string[];
}

const TYPE_OF: Record<string, NeuronType> = { accum: B.accum, norm: B.norm, dot: B.dotNeuron, compare: B.compare };
/** Trainable input fields of each hidden type (accum's dict-1 is its hard memory). */
const SOFT_INPUTS: Record<string, readonly string[]> = {
  accum: ["dict-2"],
  norm: ["dict"],
  dot: ["dict-1", "dict-2"],
  compare: ["dict-1", "dict-2"],
};
const OUTPUTS: Record<string, readonly string[]> = {
  accum: ["dict"],
  norm: ["norm"],
  dot: ["dot"],
  compare: ["true", "false"],
};

/** The layered network's neurons and the key paths of its soft links (weights 0). */
export interface LayeredLayout {
  readonly network: Network;
  /** Every soft link, weight 0, in a fixed order (the order random init follows). */
  readonly links: readonly Link[];
}

/**
 * The layered trainable duplicate-detector network. Its 2022 configuration (the
 * default) has 1486 soft and 12 hard links with the key paths of initial-matrix.json.
 * The soft matrix of the result is all zeros: give it weights with `withSoft`.
 *
 * @example
 * const { network, links } = layeredNetwork();
 * links.length;              // 1486
 * countLinks(network.hard);  // 12
 */
export function layeredNetwork(config: LayeredConfig = {}): LayeredLayout {
  const layers = config.layers ?? 5;
  const perType = config.perType ?? 2;
  const types = config.types ?? ["accum", "norm", "dot", "compare"];
  if (!Number.isInteger(layers) || layers < 1)
    throw new RangeError(`layeredNetwork: layers must be an integer >= 1, got ${layers}`);
  if (!Number.isInteger(perType) || perType < 1)
    throw new RangeError(`layeredNetwork: perType must be an integer >= 1, got ${perType}`);
  for (const t of types)
    if (!Object.hasOwn(TYPE_OF, t))
      throw new RangeError(`layeredNetwork: unknown layer type "${t}" (use accum, norm, dot, compare)`);
  const neurons: Record<string, NeuronType> = {
    timer: B.timer,
    input: B.input,
    eos: B.eos,
    const_1: B.const1,
  };
  const hard: Link[] = [
    ["timer", "timer", "timer", "timer", 1],
    ["input", "timer", "timer", "timer", 1],
  ];
  const sources: Array<[string, string]> = [
    ["input", "char"],
    ["eos", "char"],
    ["const_1", "const_1"],
  ];
  const links: Link[] = [];
  for (let layer = 1; layer <= layers; layer++) {
    const layerOutputs: Array<[string, string]> = [];
    for (const type of types) {
      for (let k = 1; k <= perType; k++) {
        const name = `${type}-${layer}-${k}`;
        neurons[name] = TYPE_OF[type]!;
        if (type === "accum") hard.push([name, "dict-1", name, "dict", 1]);
        for (const field of SOFT_INPUTS[type]!) for (const [s, sf] of sources) links.push([name, field, s, sf, 0]);
        for (const of of OUTPUTS[type]!) layerOutputs.push([name, of]);
      }
    }
    sources.push(...layerOutputs);
  }
  neurons["output"] = B.output;
  for (const field of ["dict-1", "dict-2"]) for (const [s, sf] of sources) links.push(["output", field, s, sf, 0]);
  return { network: { neurons, soft: matrixFromLinks(links), hard: matrixFromLinks(hard) }, links };
}

/** Configuration of the fully recurrent network (SPEC-DMM §4, the "prior-free" one). */
export interface FullyRecurrentConfig {
  /** Neurons of each type (2022: 5), named `{type}-{k}`. */
  copies?: number;
  /** The hidden types (default accum, norm, compare, dot, in 2022's order). */
  types?: readonly string[];
}

/** Every field name of the hidden types, in 2022's order. */
const ALL_FIELDS = ["dict", "dict-1", "dict-2", "norm", "dot", "true", "false"] as const;

/**
 * The fully recurrent ("prior-free") duplicate-detector network of SPEC-DMM §4: every
 * output to every input. Each hidden neuron takes part with every field name its
 * types use (7 for the four types), as an input and as an output, whether or not its
 * type reads or writes that field: the network says nothing about which connections
 * matter. No accumulator has a hard memory loop (its `dict-1` is soft like any other
 * input); only the clock is hard (timer ← timer, input.timer ← timer). The default, 5
 * copies of each of the four types, has 142 inputs × 143 outputs = 20 306 soft links
 * (20 308 with the two hard ones, the count of the 2022 matrix). The soft matrix of
 * the result is all zeros: give it weights with `withSoft`.
 *
 * @example
 * const { network, links } = fullyRecurrentNetwork();
 * links.length;             // 20306
 * countLinks(network.hard); // 2
 * fullyRecurrentNetwork({ copies: 1 }).links.length; // 930 (30 inputs × 31 outputs)
 */
export function fullyRecurrentNetwork(config: FullyRecurrentConfig = {}): LayeredLayout {
  const copies = config.copies ?? 5;
  const types = config.types ?? ["accum", "norm", "compare", "dot"];
  if (!Number.isInteger(copies) || copies < 1)
    throw new RangeError(`fullyRecurrentNetwork: copies must be an integer >= 1, got ${copies}`);
  if (types.length === 0) throw new RangeError("fullyRecurrentNetwork: types must name at least one type");
  for (const t of types)
    if (!Object.hasOwn(TYPE_OF, t))
      throw new RangeError(`fullyRecurrentNetwork: unknown type "${t}" (use accum, norm, dot, compare)`);
  const used = new Set(types.flatMap((t) => [...(TYPE_OF[t]!.inputs ?? []), ...(TYPE_OF[t]!.outputs ?? [])]));
  const fields = ALL_FIELDS.filter((f) => used.has(f));
  const neurons: Record<string, NeuronType> = { timer: B.timer, input: B.input, const_1: B.const1, eos: B.eos };
  const inputs: Array<[string, string]> = [
    ["output", "dict-1"],
    ["output", "dict-2"],
  ];
  const outputs: Array<[string, string]> = [
    ["input", "char"],
    ["eos", "char"],
    ["const_1", "const_1"],
  ];
  for (let k = 1; k <= copies; k++) {
    for (const type of types) {
      const name = `${type}-${k}`;
      neurons[name] = TYPE_OF[type]!;
      for (const f of fields) {
        inputs.push([name, f]);
        outputs.push([name, f]);
      }
    }
  }
  neurons["output"] = B.output;
  const links: Link[] = [];
  for (const [t, tf] of inputs) for (const [s, sf] of outputs) links.push([t, tf, s, sf, 0]);
  const hard: Link[] = [
    ["timer", "timer", "timer", "timer", 1],
    ["input", "timer", "timer", "timer", 1],
  ];
  return { network: { neurons, soft: matrixFromLinks(links), hard: matrixFromLinks(hard) }, links };
}

/** The same network with another soft matrix. */
export function withSoft(net: Network, soft: VValue): Network {
  return { neurons: net.neurons, soft, hard: net.hard };
}
