/**
 * vgrad/testing: gradient checking and fast-check arbitraries for V-values.
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
