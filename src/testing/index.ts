/**
 * vgrad/testing: gradient checking, fast-check arbitraries for V-values, and the
 * measured overhead of a gradient (eager and under jit).
 *
 * @example
 * import { checkGradient, vtreeArb } from "vgrad/testing";
 * import { dot } from "vgrad";
 * checkGradient((t) => dot(t, t), [{ a: 1, b: { c: 2 } }]).ok; // true
 */
export {
  checkGradient,
  type CheckGradientOptions,
  type GradientCheckReport,
  type LeafMismatch,
  type ShapeError,
  type DotProductCheck,
} from "./check-gradient.js";
export {
  overhead,
  type OverheadOptions,
  type OverheadReport,
  type ModeOverhead,
  type JitOverhead,
} from "./overhead.js";
export type { TimeStats } from "./sampling.js";
export {
  SPECIAL_KEYS,
  leafArb,
  keyArb,
  vvalueArb,
  vtreeArb,
  vvaluePairArb,
  shapedLikeArb,
  type LeafOptions,
  type KeyOptions,
  type VValueOptions,
  type PairOptions,
} from "./arbitraries.js";
