export { add, sub, neg, scale, div, linearCombination } from "./linear.js";
export { mul, dot } from "./products.js";
export { sum, l1Norm, l2Norm, maxNorm } from "./reductions.js";
export { relu, tanh, sigmoid, exp, log, square, sqrt, abs } from "./leafwise.js";
export { max, min, clip } from "./compare.js";
export { get, keys, embed } from "./access.js";
export { where } from "./where.js";
export { mapLeaves, type LeavesOf } from "./tree-map.js";
export { unpack } from "./unpack.js";
