import type { VValue } from "../vvalue/types.js";
import type { NeuronType } from "./neuron-type.js";

/**
 * A dataflow matrix machine: named neurons, the soft (trainable) matrix and the hard
 * (fixed) matrix, both rank-4 V-values `W[target][targetField][source][sourceField]`.
 * A neuron named `self` of type `self` makes the network take its soft matrix from
 * Self's output `single` every cycle (the soft matrix given here is Self's start).
 */
export interface Network {
  readonly neurons: Readonly<Record<string, NeuronType>>;
  readonly soft: VValue;
  readonly hard: VValue;
}

/** The name of the Self neuron. */
export const SELF = "self";

/** The neuron named `name` (own keys only: "constructor" or "__proto__" are never inherited). */
export function neuronOf(net: Network, name: string): NeuronType | undefined {
  return Object.prototype.hasOwnProperty.call(net.neurons, name) ? net.neurons[name] : undefined;
}
