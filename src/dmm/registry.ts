import * as builtins from "./builtins.js";
import type { NeuronType } from "./neuron-type.js";

const registry = new Map<string, NeuronType>();
for (const t of [
  builtins.timer,
  builtins.input,
  builtins.const1,
  builtins.eos,
  builtins.accum,
  builtins.norm,
  builtins.dotNeuron,
  builtins.compare,
  builtins.output,
  builtins.identity,
  builtins.self,
])
  registry.set(t.name, t);

/**
 * Registers a neuron type under its name (replacing none: a name is taken once).
 *
 * @example
 * registerNeuronType({ name: "double", activation: (x) => ({ out: scale(2, get(x, "in")) }) });
 */
export function registerNeuronType(type: NeuronType): void {
  if (typeof type?.name !== "string" || typeof type.activation !== "function") {
    throw new TypeError("registerNeuronType: a type needs a string name and an activation function");
  }
  if (registry.has(type.name)) throw new Error(`registerNeuronType: a type named "${type.name}" is already registered`);
  registry.set(type.name, type);
}

/**
 * The registered type with this name.
 *
 * @example
 * neuronType("accum").inputs; // ["dict-1", "dict-2"]
 */
export function neuronType(name: string): NeuronType {
  const t = registry.get(name);
  if (t === undefined) {
    throw new RangeError(`unknown neuron type "${name}"; known: ${[...registry.keys()].join(", ")}`);
  }
  return t;
}

/** The names of all registered types. */
export function neuronTypeNames(): string[] {
  return [...registry.keys()];
}
