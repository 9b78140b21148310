// A gradient of a function of a nested object: `npm run example`.
import { add, dot, get, gradient, mul, relu, sub, tanh, valueAndGradient } from "../src/index.js";
import type { VValue } from "../src/index.js";

// f(p) = tanh(p.w · x) · p.scale + relu(p.bias.a − p.bias.b)
const params = { w: { x: 0.5, y: -1.5 }, scale: 2, bias: { a: 1, b: 3 } };
const x = { x: 1, y: 2, z: 100 }; // "z" has no weight: dot reads common keys only

const f = (p: VValue) =>
  add(mul(tanh(dot(get(p, "w"), x)), get(p, "scale")), relu(sub(get(p, "bias", "a"), get(p, "bias", "b"))));

const {
  value,
  gradient: [g],
} = valueAndGradient(f, params);
console.log("f(params) =", value);
console.log("gradient  =", JSON.stringify(g, null, 1));
// relu(1 − 3) = 0 passes no gradient, so "bias" holds zeros; "z" never appears.

// Gradients are sparse: reading one key gives a one-key gradient.
console.log(JSON.stringify(gradient((t: VValue) => get(t, "a"), { a: 1, b: 2 }))); // [{"a":1}]
