export {
  defaultConfig,
  validateConfig,
  parseConfigOverrides,
  defaultCycles,
  LIMITS,
  LAYER_TYPES,
  type SynthConfig,
  type EsConfig,
} from "./config.js";
export {
  startSynthesis,
  synthesize,
  phaseSteps,
  prereg,
  networkFor,
  type SynthState,
  type SynthHooks,
  type HistoryEntry,
  type StageRecord,
} from "./synthesize.js";
export { encodeCheckpoint, decodeCheckpoint, assertState, CHECKPOINT_VERSION } from "./checkpoint.js";
export { SchemaError, encodeNumbers, stripBom } from "./schema.js";
export {
  train,
  lossAndGradient,
  firstNonFinite,
  FlatTraining,
  NonFiniteError,
  type FlatStep,
  type TrainOptions,
  type StepInfo,
} from "./train.js";
export { esGradient, createEsPool, type EsPool, type EsOptions } from "./es.js";
export {
  linkSaliency,
  lossHessianDiagonal,
  obdSaliency,
  salienceOrder,
  pruneLeastSalient,
  pruneSmallest,
  dropLinks,
  OBD_MAX_WEIGHTS,
  type SaliencyKind,
} from "./saliency.js";
export { initialWeights } from "./init.js";
export { Rng } from "./random.js";
export { reportMarkdown, scoreOn, GENERALIZATION_SET, type Score } from "./report.js";
export { setError, VALIDATION_SET, type SetError } from "./validation.js";
export { SPARSE20_2022 } from "./reference-2022.js";
export {
  writeFileAtomic,
  removeStaleTempFiles,
  makeDirectory,
  checkWritableFile,
  NotAFileError,
} from "./atomic-write.js";
export * from "./render-network.js";
export * from "./render-training.js";
export {
  runSeeds,
  seedList,
  seedFolder,
  seedResult,
  bestSeed,
  seedsMarkdown,
  encodeSeedsManifest,
  readSeedsManifest,
  isSeedsManifest,
  defaultSeedWorkers,
  SEEDS_LIMIT,
  sameConfig,
  type SeedsManifest,
  type SeedResult,
  type SeedEvent,
  type SeedTask,
  type RunSeedsOptions,
} from "./seeds.js";
export { describeNetwork } from "./topology.js";
export { priorFreeConfig } from "./prior-free.js";
