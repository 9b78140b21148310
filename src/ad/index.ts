export { pullback, gradient, valueAndGradient, type Pullback } from "./pullback.js";
export { stopGradient, primal } from "./stop-gradient.js";
export { checkpoint } from "./checkpoint.js";
export { defineOp } from "./define-op.js";
export type { DefineOpOptions } from "./define-op.js";
export { jvp } from "./forward.js";
export { jacobian } from "./jacobian.js";
export { hessian, hvp } from "./hessian.js";
