/** `where(cond, a, b)`: values, gradients (finite differences away from cond = 0), and jit replays that follow cond. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  equals,
  gradient,
  jit,
  leaves,
  mapLeaves,
  neg,
  square,
  sum,
  valueAndGradient,
  where,
  type VValue,
} from "../../src/index.js";
import { vvalueArb } from "../../src/testing/index.js";
import { expectGradientOk, RUNS } from "./helpers.js";

describe("where", () => {
  it("selects leaf by leaf over the union of paths, a missing leaf being 0", () => {
    expect(where({ x: 1, y: -1 }, { x: 10, y: 20 }, { x: 30, y: 40 })).toEqual({ x: 10, y: 40 });
    expect(where(1, { x: 1 }, { y: 2 })).toEqual({ x: 1, y: 0 });
    expect(where(0, { x: 1 }, { y: 2 })).toEqual({ x: 0, y: 2 });
    expect(where({ x: NaN }, { x: 1 }, { x: 2 })).toEqual({ x: 2 });
    expect(where(1, 3, 4)).toBe(3);
  });

  it("the gradient goes to the selected side only; cond gets none", () => {
    expect(gradient((c, a, b) => sum(where(c, a, b)), { x: 1, y: -1 }, { x: 10, y: 20 }, { x: 30, y: 40 })).toEqual([
      {},
      { x: 1, y: 0 },
      { x: 0, y: 1 },
    ]);
  });

  it("agrees with finite differences on random trees (cond held fixed)", () => {
    fc.assert(
      fc.property(vvalueArb(), vvalueArb(), vvalueArb(), (c, a, b) => {
        expectGradientOk((x: VValue, y: VValue) => where(c, x, y), [a, b]);
      }),
      RUNS,
    );
  });

  it("under jit the choice is made on every call: no guard, eager's values and gradients", () => {
    const f = (x: VValue): VValue => sum(where(x, square(x), neg(x)));
    const jf = jit(f);
    for (const x of [
      { a: 3, b: -2 },
      { a: -3, b: 2 },
      { a: 0.5, b: 0 },
    ]) {
      const want = valueAndGradient(f, x),
        got = valueAndGradient(jf, x);
      expect(got.value).toBe(want.value);
      expect(equals(got.gradient[0]!, want.gradient[0]!)).toBe(true);
      expect(jf(x)).toBe(f(x));
    }
    expect(jf.traces).toBe(2); // one forward program, one gradient program
    const moved = mapLeaves({ a: 1, b: 1 }, (v) => -v);
    expect(leaves(gradient(jf, moved)[0]!)).toEqual([
      [["a"], -1],
      [["b"], -1],
    ]);
  });
});
