/** The two-stroke engine: one cycle = down movement, then up movement. */
import { child, newTree, TREE_PROTO } from "../vvalue/tree.js";
import { get } from "../ops/access.js";
import type { VValue } from "../vvalue/types.js";
import { downMovement } from "./down-movement.js";
import { neuronOf, SELF, type Network } from "./network.js";
import type { NeuronType, RunEnv } from "./neuron-type.js";
import { shapeOf } from "../extend/index.js";

const EMPTY: VValue = Object.freeze(newTree());

/**
 * Neuron `name`'s input: for a type with declared fields, an object of the fields
 * present in x (each read once, so a tracked run records one read per field instead
 * of a read of the neuron plus one per field); for a variadic type, `x[name]`.
 */
function neuronInput(x: VValue, name: string, type: NeuronType): VValue {
  const fields = type.inputs;
  if (fields === undefined) return get(x, name);
  if (fields.length === 0) return EMPTY;
  const px = shapeOf(x); // which fields are present: structure only
  const xn = typeof px === "number" ? undefined : child(px, name);
  if (xn === undefined || typeof xn === "number") return EMPTY;
  const input: Record<string, VValue> = Object.create(TREE_PROTO);
  for (const f of fields) if (child(xn, f) !== undefined) input[f] = get(x, name, f);
  return input as VValue;
}

/** The state between cycles: every neuron's latest output. */
export type Outputs = VValue;

/**
 * One cycle: down movement (inputs `x` from the previous outputs `y`), then up
 * movement (every neuron's activation). Works untracked and tracked.
 *
 * @example
 * const net = handcraftedDetector();
 * const { y } = step(net, initialOutputs(net), { text: "ab" });
 * get(y, "input", "char"); // { a: 1 }
 */
export function step(net: Network, y: Outputs, env: RunEnv = {}): { x: VValue; y: Outputs } {
  const soft = neuronOf(net, SELF) === undefined ? net.soft : get(y, SELF, "single");
  const x = downMovement(soft, net.hard, y);
  const next: Record<string, VValue> = Object.create(TREE_PROTO);
  for (const name in net.neurons) {
    const type = net.neurons[name]!;
    // a type without inputs reads nothing: skip the read (it is a node when tracked)
    next[name] = type.activation(neuronInput(x, name, type), env);
  }
  return { x, y: next as VValue };
}

/** The outputs before cycle 1: all empty, except Self, which holds the soft matrix. */
export function initialOutputs(net: Network, initial: Record<string, VValue> = {}): Outputs {
  const y: Record<string, VValue> = Object.create(TREE_PROTO);
  for (const name in net.neurons) y[name] = newTree();
  if (neuronOf(net, SELF) !== undefined) y[SELF] = { single: net.soft };
  for (const name in initial) y[name] = initial[name]!;
  return y as VValue;
}

/** Options of {@link run}. */
export interface RunOptions {
  cycles: number;
  env?: RunEnv;
  /** Outputs to start from instead of {@link initialOutputs}. */
  start?: Outputs;
  /** Called after every cycle c = 1..cycles with that cycle's inputs and outputs. */
  onCycle?: (cycle: number, x: VValue, y: Outputs) => void;
}

/**
 * Runs `cycles` cycles from empty outputs (or `start`) and returns the last inputs
 * and outputs.
 *
 * @example
 * const answers: number[][] = [];
 * run(handcraftedDetector(), { cycles: 150, env: { text: "test string." },
 *   onCycle: (c, x) => answers.push(readAnswers(x)) });
 */
export function run(net: Network, options: RunOptions): { x: VValue; y: Outputs } {
  const { cycles, env = {} } = options;
  if (!Number.isInteger(cycles) || cycles < 0)
    throw new RangeError(`run: cycles must be an integer >= 0, got ${cycles}`);
  let y = options.start ?? initialOutputs(net);
  let x: VValue = newTree();
  for (let c = 1; c <= cycles; c++) {
    ({ x, y } = step(net, y, env));
    options.onCycle?.(c, x, y);
  }
  return { x, y };
}
