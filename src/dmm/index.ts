export type { NeuronType, RunEnv } from "./neuron-type.js";
export type { Network } from "./network.js";
export { SELF, neuronOf } from "./network.js";
export * as neurons from "./builtins.js";
export { registerNeuronType, neuronType, neuronTypeNames } from "./registry.js";
export { downMovement } from "./down-movement.js";
export { step, run, initialOutputs, type RunOptions, type Outputs } from "./engine.js";
export {
  matrixFromLinks,
  linksOf,
  countLinks,
  handcraftedDetector,
  layeredNetwork,
  fullyRecurrentNetwork,
  withSoft,
  HANDCRAFTED_LINKS,
  type Link,
  type LayeredConfig,
  type LayeredLayout,
  type FullyRecurrentConfig,
} from "./builders.js";
export { readAnswers, detectorAnswers, detectorLoss, targets, type Sample, type LossOptions } from "./detector.js";
export { validateMatrix, parseMatrix, MatrixError } from "./matrix-io.js";
export { liveNetwork } from "./live.js";
