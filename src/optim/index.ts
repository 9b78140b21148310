export { adam, type AdamState, type AdamOptions } from "./adam.js";
export { sgd, type SgdState } from "./sgd.js";
export type { Optimizer, FlatOptimizer } from "./optimizer.js";
export { l1, l2 } from "./regularizers.js";
export { pruneWithState, trimState } from "./prune-state.js";
