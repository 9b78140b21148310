import { linksOf } from "./builders.js";
import type { Network } from "./network.js";
import { neuronOf, SELF } from "./network.js";
import { shapeOf } from "../extend/index.js";
import type { NeuronType } from "./neuron-type.js";

/**
 * The part of a network that can affect its `output` neuron: neurons from which a
 * link path (soft or hard) reaches `output`. Others are dropped, which makes a
 * sparse network as cheap to run as it is small; the answers do not change.
 * A network with Self, or without an `output` neuron, is returned unchanged.
 *
 * @example
 * const { network } = layeredNetwork();
 * const soft = matrixFromLinks([["norm-1-1", "dict", "input", "char", 1], ["output", "dict-1", "norm-1-1", "norm", 1]]);
 * Object.keys(liveNetwork(withSoft(network, soft)).neurons); // ["timer", "input", "norm-1-1", "output"]
 */
export function liveNetwork(net: Network, outputName = "output"): Network {
  if (neuronOf(net, SELF) !== undefined || neuronOf(net, outputName) === undefined) return net;
  const sourcesOf = new Map<string, Set<string>>();
  // the structure of a tracked matrix is that of its plain value
  for (const [t, , s] of [...linksOf(shapeOf(net.soft)), ...linksOf(shapeOf(net.hard))]) {
    let set = sourcesOf.get(t);
    if (set === undefined) sourcesOf.set(t, (set = new Set()));
    set.add(s);
  }
  const live = new Set<string>([outputName]);
  const todo = [outputName];
  while (todo.length > 0) {
    for (const s of sourcesOf.get(todo.pop()!) ?? []) {
      if (!live.has(s) && neuronOf(net, s) !== undefined) {
        live.add(s);
        todo.push(s);
      }
    }
  }
  if (live.size === Object.keys(net.neurons).length) return net;
  const neurons: Record<string, NeuronType> = Object.create(null);
  for (const name in net.neurons) if (live.has(name)) neurons[name] = net.neurons[name]!;
  return { neurons, soft: net.soft, hard: net.hard };
}
