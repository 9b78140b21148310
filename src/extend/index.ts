/**
 * vgrad/extend: what a library built on vgrad needs to add operations of its own with
 * the same standing as vgrad's — a plain implementation, one pullback per argument,
 * and a flat kernel for `jit` (see ARCHITECTURE.md, "Adding an operation"). vgrad's
 * own operations are defined with exactly these; so is the DMM's down movement.
 *
 * @example
 * import { apply, leafwiseKernel, primitive, type Val } from "vgrad/extend";
 * import { gradient, jit, mapLeaves, mul, scale, sum, type VValue } from "vgrad";
 * // softsign(x) = x / (1 + |x|), leaf by leaf; its derivative is 1 / (1 + |x|)²
 * const f = (x: number) => x / (1 + Math.abs(x));
 * const df = (x: number) => 1 / (1 + Math.abs(x)) ** 2;
 * const dfOp = primitive<undefined>(
 *   "softsignSlope",
 *   ([x]) => mapLeaves(x!, df),
 *   [() => undefined], // a mask: no gradient through it
 *   (at) => leafwiseKernel(at, df),
 * );
 * const softsignPrim = primitive<undefined>(
 *   "softsign",
 *   ([x]) => mapLeaves(x!, f),
 *   [(g, _ans, [x]) => mul(g as VValue, apply(dfOp, [x as Val], undefined) as VValue)],
 *   (at) => leafwiseKernel(at, f),
 * );
 * const softsign = (x: VValue): VValue => apply(softsignPrim, [x], undefined) as VValue;
 * gradient((x) => sum(softsign(x)), { a: 1, b: -3 });      // [{ a: 0.25, b: 0.0625 }]
 * gradient(jit((x: VValue) => sum(softsign(scale(2, x)))), 0.5); // [0.5]
 */
export { apply, type Cotangent, type Kernel, type KernelSite, type Primitive, type Region } from "../ad/primitive.js";
export { primitive, operation, zeroJvp, type ArgVjp, type Jvp } from "../ad/define-op.js";
export { SparseCotangent } from "../ad/cotangent.js";
export { isPlain, type Val } from "../ad/tracked.js";
export { holdsTracked } from "../ad/primitive.js";
export { shapeOf } from "../ad/stop-gradient.js";
export {
  copyKernel,
  dotKernel,
  gatherKernel,
  leafwiseKernel,
  scalarKernel,
  slotMap,
  subtreeKernel,
  sumKernel,
  zipKernel,
} from "../ad/kernels.js";
export { encodePath, pathKeys, skeletonAt, slotsByPath, type Skeleton } from "../vvalue/layout.js";
