export { pullback, gradient, valueAndGradient, type Pullback } from "./pullback.js";
export { stopGradient, primal } from "./stop-gradient.js";
export { checkpoint } from "./checkpoint.js";
export { defineOp } from "./define-op.js";
