/**
 * Masks: operations whose derivative is zero, that rules use to select where a
 * cotangent passes (relu's slope, a clip's window, the winner of a max). As
 * operations rather than plain reads of `primal`, they are recomputed when a jit
 * program replays on new values.
 */
import { operation, primitive, zeroJvp } from "../ad/define-op.js";
import { apply, type Kernel, type KernelSite, type Primitive } from "../ad/primitive.js";
import { isPlain } from "../ad/tracked.js";
import { getP, mapLeavesP, maxAbsLeaf } from "../vvalue/algebra.js";
import { mapLeaves } from "../vvalue/leaves.js";
import { leafwiseKernel } from "../ad/kernels.js";
import type { VValue } from "../vvalue/types.js";

const none = [() => undefined];

/** A leafwise mask `f(x)` with zero derivative. */
export function leafMask(name: string, f: (x: number) => number): (v: VValue) => VValue {
  return operation<[VValue]>(
    primitive(
      name,
      ([v]) => mapLeavesP(v!, f),
      none,
      (at) => leafwiseKernel(at, f),
      zeroJvp,
    ),
  );
}

/** A mask with parameters `P`, `impl(args, params)`, zero derivative. */
export function paramMask<P>(
  name: string,
  impl: (args: VValue[], params: P) => VValue,
  lower?: (at: KernelSite<P>) => Kernel,
): (args: VValue[], params: P) => VValue {
  const prim: Primitive<P> = {
    name,
    impl,
    vjp: () => undefined,
    jvp: zeroJvp,
    ...(lower === undefined ? {} : { lower }),
  };
  return (args, params) => (args.every((a) => isPlain(a)) ? impl(args, params) : (apply(prim, args, params) as VValue));
}

/** The sign of every leaf (0 at 0, NaN at NaN). */
export const signMask = leafMask("sign", Math.sign);

/**
 * Shaped like `v`: the sign of its first leaf of largest magnitude (a NaN leaf wins)
 * there, 0 elsewhere. Dense, so that its structure is `v`'s whatever the values.
 */
export const maxAbsIndicator = operation<[VValue]>(
  primitive(
    "maxAbsIndicator",
    ([v]) => {
      const m = maxAbsLeaf(v!);
      const at = m.path === null ? "" : m.path.join("\u0000");
      const sign = m.path === null ? 0 : Math.sign(getP(v!, m.path) as number);
      return mapLeaves(v!, (_x, path) => (path.join("\u0000") === at ? sign : 0));
    },
    none,
    ({ args: [v], out }) => {
      const a = v!.offset,
        o = out.offset,
        n = out.layout.size;
      return (M) => {
        let best = -1,
          at = -1;
        for (let i = 0; i < n; i++) {
          const x = Math.abs(M[a + i]!);
          if (x > best || (x !== x && best === best)) {
            best = x;
            at = i;
          }
        }
        M.fill(0, o, o + n);
        if (at >= 0) M[o + at] = Math.sign(M[a + at]!);
      };
    },
    zeroJvp,
  ),
);
