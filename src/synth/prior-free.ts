/**
 * The prior-free synthesis (`vgrad synth --prior-free`): the sparsifying schedule on
 * the fully recurrent network of SPEC-DMM §4, which assumes nothing about the
 * detector's shape — every output feeds every input, accumulators have no built-in
 * memory loop, and each neuron takes part with every field name.
 */
import { defaultConfig, type SynthConfig } from "./config.js";

/**
 * The prior-free configuration: `topology: "fully-recurrent"` with 5 copies of each
 * type (20 306 soft weights), exact gradients through all 140 cycles of
 * "test string.", and the layered schedule with a larger initial scale and a smaller,
 * decaying learning rate (seed 1: 10 min 24 s on 2 shared cores; docs/synthesis.md has the
 * measurements and what the search finds). Any field can be overridden.
 *
 * @example
 * const c = priorFreeConfig();
 * networkFor(c).links.length; // 20306
 * priorFreeConfig({ network: { layers: 1, perType: 1, types: ["accum", "norm", "dot", "compare"] } }).topology; // "fully-recurrent"
 */
export function priorFreeConfig(overrides: Partial<SynthConfig> = {}): SynthConfig {
  const base: Partial<SynthConfig> = {
    topology: "fully-recurrent",
    samples: [{ text: "test string.", cycles: 140 }],
    network: { layers: 1, perType: 5, types: ["accum", "norm", "compare", "dot"] },
    initScale: 0.1,
    baseSteps: 2000,
    baseLr: 0.001,
    baseLrEnd: 0.0001,
    baseLambda: 0.001,
    stageSteps: 150,
    stageLr: 0.001,
    finalSteps: 1000,
    finalLr: 0.001,
    targetWeights: 9,
  };
  return defaultConfig({
    ...base,
    ...overrides,
    network: { ...base.network!, ...(overrides.network ?? {}) },
  });
}
