export { jit, type JitOptions, type Jitted, type FlatFunction } from "./jit.js";
