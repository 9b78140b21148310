/**
 * vgrad: reverse-mode automatic differentiation over tree-shaped values (V-values).
 *
 * @example
 * import { gradient, dot } from "vgrad";
 * gradient((t) => dot(t, t), { a: 1, b: { c: 2 } }); // [{ a: 2, b: { c: 4 } }]
 */
export * from "./vvalue/index.js";
export * from "./ad/index.js";
export * from "./ops/index.js";
export * from "./optim/index.js";
export * from "./jit/index.js";
