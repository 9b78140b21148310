/**
 * Second derivatives of scalar functions, forward-over-reverse: a jvp of the gradient.
 * `hvp` gives H·v in one such pass without forming H; `hessian` takes one per leaf of
 * its argument.
 */
import type { VValue } from "../vvalue/types.js";
import { newTree } from "../vvalue/tree.js";
import { checkValue, entryTangents, forwardTangent } from "./forward.js";
import { checkedResult, jacobianForward } from "./jacobian.js";
import { isNumberLike, readAt } from "./primitive.js";
import { pullback } from "./pullback.js";
import { shapeOf } from "./stop-gradient.js";

type Fn = (...args: any[]) => VValue;

/** The gradient of scalar `f` with respect to each argument, with errors naming `where`. */
function gradients(f: Fn, where: string): (...xs: VValue[]) => VValue[] {
  const g = checkedResult(f, where);
  return (...xs) => {
    const { value, back } = pullback(g, ...xs);
    if (!isNumberLike(value)) throw new TypeError(`${where}: f must return a number (a scalar), got a tree`);
    return back(1);
  };
}

/**
 * The Hessian-vector product `H·v` of a scalar `f` at `primals`, along `tangents` (one
 * per argument, shaped like it; a leaf left out is a zero): one V-value per argument,
 * shaped like it. Computed forward-over-reverse (a jvp of the gradient), so it costs
 * a few gradients and never forms H.
 *
 * @example
 * // f = x²·y: H = [[2y, 2x], [2x, 0]]
 * hvp((x, y) => mul(square(x), y), [3, 5], [1, 0]); // [10, 6]
 * hvp((t) => sum(mul(t, mul(t, t))), [{ a: 1, b: 2 }], [{ a: 1 }]); // [{ a: 6 }]
 */
export function hvp(f: Fn, primals: VValue[], tangents: VValue[]): VValue[] {
  if (typeof f !== "function") throw new TypeError(`hvp: f must be a function, got ${typeof f}`);
  const entry = entryTangents("hvp", primals, tangents);
  const grads = gradients(f, "hvp");
  // every argument's gradient as one tree, keyed by the argument's index
  const all = (...xs: VValue[]): VValue => {
    const out: Record<string, VValue> = {};
    grads(...xs).forEach((gi, i) => (out[String(i)] = gi));
    return out as VValue;
  };
  const { tangent } = forwardTangent(all, primals, entry, "hvp");
  // the gradient is projected onto its argument's shape, and so is its tangent
  return primals.map((p, i) => {
    const t = tangent === undefined ? undefined : readAt(tangent, [String(i)]);
    return t === undefined ? (isNumberLike(p) ? 0 : newTree()) : (t as VValue);
  });
}

/**
 * The Hessian of a scalar `f` at `x`: shaped like `x`, each leaf replaced by the
 * gradient of that component of ∇f (a tree of trees, sparse as gradients are; a
 * number for a number `x`). One forward-over-reverse pass per leaf of `x`.
 *
 * @example
 * hessian((t) => mul(sum(t), get(t, "a")), { a: 1, b: 2 });
 * // { a: { a: 2, b: 1 }, b: { a: 1 } }
 * hessian((x) => mul(x, mul(x, x)), 2); // 12
 */
export function hessian(f: Fn, x: VValue): VValue {
  if (typeof f !== "function") throw new TypeError(`hessian: f must be a function, got ${typeof f}`);
  checkValue("hessian", x, "x");
  const grad = gradients(f, "hessian");
  return jacobianForward((y: VValue) => grad(y)[0]!, [x], shapeOf(x), "hessian")[0] as VValue;
}
