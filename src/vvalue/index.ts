export type { VValue, VTree } from "./types.js";
export { NUMBER_KEY } from "./types.js";
export { equals } from "./equals.js";
export { prune } from "./prune.js";
export { leaves } from "./leaves.js";
export { validate, type ValidateOptions } from "./validate.js";
export { fromJSON, toJSON } from "./json.js";
export { flatten, unflatten, layoutOf, type Layout } from "./layout.js";
