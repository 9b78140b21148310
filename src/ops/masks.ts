/**
 * Masks: operations whose derivative is zero, that rules use to select where a
 * cotangent passes (relu's slope, a clip's window, the winner of a max). As
 * operations rather than plain reads of `primal`, they are recomputed when a jit
 * program replays on new values.
 */
import { operation, primitive } from "../ad/define-op.js";
import { apply, type Primitive } from "../ad/primitive.js";
import { isPlain } from "../ad/tracked.js";
import { atPath, getP, mapLeavesP, maxAbsLeaf } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";

const none = [() => undefined];

/** A leafwise mask `f(x)` with zero derivative. */
export function leafMask(name: string, f: (x: number) => number): (v: VValue) => VValue {
  return operation<[VValue]>(primitive(name, ([v]) => mapLeavesP(v!, f), none));
}

/** A mask with parameters `P`, `impl(args, params)`, zero derivative. */
export function paramMask<P>(name: string, impl: (args: VValue[], params: P) => VValue): (args: VValue[], params: P) => VValue {
  const prim: Primitive<P> = { name, impl, vjp: () => undefined };
  return (args, params) => (args.every((a) => isPlain(a)) ? impl(args, params) : (apply(prim, args, params) as VValue));
}

/** The sign of every leaf (0 at 0, NaN at NaN). */
export const signMask = leafMask("sign", Math.sign);

/**
 * A one-hot tree at the first leaf of largest magnitude (a NaN leaf wins), holding
 * that leaf's sign; `{}` for an empty tree.
 */
export const maxAbsIndicator = operation<[VValue]>(
  primitive(
    "maxAbsIndicator",
    ([v]) => {
      const m = maxAbsLeaf(v!);
      return m.path === null ? {} : atPath(m.path, Math.sign(getP(v!, m.path) as number));
    },
    none,
  ),
);
