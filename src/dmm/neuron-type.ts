import type { VValue } from "../vvalue/types.js";

/** What a run passes to every activation: the text an input driver reads, modes. */
export interface RunEnv {
  /** The text an `input` driver feeds, one character every 10 cycles. */
  readonly text?: string;
  /**
   * The 2022 (Zygote 0.6.40) behaviour: no gradient from an accumulator's output
   * back into its dict-1 (memory) input, cutting backpropagation through time there.
   */
  readonly compat2022?: boolean;
}

/**
 * A neuron type: an activation from an input V-value (first-level keys = input
 * fields) to an output V-value (first-level keys = output fields). Written with vgrad
 * operations, the same code runs untracked (fast) and tracked (differentiable).
 */
export interface NeuronType {
  readonly name: string;
  /** The input fields, or undefined for a variadic type that accepts any field. */
  readonly inputs?: readonly string[];
  /** The output fields, or undefined for a variadic type. */
  readonly outputs?: readonly string[];
  readonly activation: (input: VValue, env: RunEnv) => VValue;
}
