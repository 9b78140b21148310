export { jit, type JitOptions, type Jitted } from "./jit.js";
