/**
 * The documented conventions at points of non-differentiability, where finite
 * differences cannot decide: relu'(0) = 1, abs'(0) = 0, the whole gradient of
 * max/min to `a` on a tie, maxNorm's gradient to one maximal leaf, clip's gradient
 * passing at the (inclusive) boundaries and 0 where clipped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abs,
  clip,
  equals,
  get,
  gradient,
  l1Norm,
  l2Norm,
  leaves,
  max,
  maxNorm,
  min,
  pullback,
  relu,
  sum,
} from "../../src/index.js";
import { vvalueArb } from "../../src/testing/index.js";
import { RUNS } from "./helpers.js";

describe("relu and abs at 0", () => {
  it("relu'(0) = 1, relu'(x<0) = 0, relu'(x>0) = 1", () => {
    expect(gradient(relu, 0)).toEqual([1]);
    expect(gradient(relu, -0)).toEqual([1]);
    expect(gradient(relu, -2)).toEqual([0]);
    expect(gradient(relu, 3)).toEqual([1]);
    const [g] = gradient((t) => sum(relu(t)), { a: 0, b: -1, c: 2 });
    expect(equals(g!, { a: 1, b: 0, c: 1 })).toBe(true);
  });
  it("abs'(0) = 0, sign elsewhere; l1Norm likewise", () => {
    expect(gradient(abs, 0)).toEqual([0]);
    expect(gradient(abs, -2)).toEqual([-1]);
    expect(equals(gradient((t) => sum(abs(t)), { a: 0, b: -3, c: 2 })[0]!, { a: 0, b: -1, c: 1 })).toBe(true);
    expect(equals(gradient(l1Norm, { a: 0, b: -3, c: 2 })[0]!, { a: 0, b: -1, c: 1 })).toBe(true);
  });
  it("l2Norm at the zero vector has gradient 0 (no NaN)", () => {
    const [g] = gradient(l2Norm, { a: 0, b: { c: 0 } });
    expect(leaves(g!).every(([, x]) => x === 0)).toBe(true);
  });
});

describe("max and min on ties give the whole gradient to a", () => {
  it("numbers", () => {
    expect(gradient(max, 2, 2)).toEqual([1, 0]);
    expect(gradient(min, 2, 2)).toEqual([1, 0]);
    expect(gradient(max, 1, 2)).toEqual([0, 1]);
    expect(gradient(min, 1, 2)).toEqual([1, 0]);
  });
  it("trees, including a missing key meeting 0", () => {
    const a = { x: 1, y: 5, z: 0 };
    const b = { x: 1, y: 3, w: 0 };
    // x: tie -> a; y: a wins max, b wins min; z: 0 vs missing 0 -> a; w: missing 0 vs 0 -> a
    const [ga, gb] = gradient((p, q) => sum(max(p, q)), a, b);
    expect(get(ga!, "x")).toBe(1);
    expect(get(ga!, "y")).toBe(1);
    expect(get(ga!, "z")).toBe(1);
    expect(get(gb!, "x")).toBe(0);
    expect(get(gb!, "y")).toBe(0);
    expect(get(gb!, "w")).toBe(0);
    const [ma, mb] = gradient((p, q) => sum(min(p, q)), a, b);
    expect(get(ma!, "x")).toBe(1);
    expect(get(ma!, "y")).toBe(0);
    expect(get(mb!, "y")).toBe(1);
    expect(get(mb!, "x")).toBe(0);
  });
  it("property: max(v, v) gives every leaf's gradient to a", () => {
    fc.assert(
      fc.property(vvalueArb(), (v) => {
        // a tie everywhere: b = a
        const [ga, gb] = gradient((p, q) => sum(max(p, q)), v, v);
        for (const [path] of leaves(v)) {
          expect(get(ga!, ...path)).toBe(1);
          expect(get(gb!, ...path)).toBe(0);
        }
      }),
      RUNS,
    );
  });
});

describe("maxNorm gives the whole gradient to one maximal leaf", () => {
  it("ties between equal magnitudes", () => {
    const [g] = gradient(maxNorm, { a: 3, b: -3, c: 1 });
    const ls = leaves(g!).filter(([, x]) => x !== 0);
    expect(ls).toHaveLength(1);
    const [[path, x]] = ls as [[string[], number]];
    expect(["a", "b"]).toContain(path[0]);
    expect(x).toBe(path[0] === "a" ? 1 : -1);
  });
  it("property: exactly one nonzero leaf, ±1, at a maximal |leaf| with its sign", () => {
    fc.assert(
      fc.property(vvalueArb(), (v) => {
        const m = maxNorm(v);
        const [g] = gradient(maxNorm, v);
        const nonzero = leaves(g!).filter(([, x]) => x !== 0);
        if (m === 0) {
          expect(nonzero).toHaveLength(0); // sign(0) = 0
          return;
        }
        expect(nonzero).toHaveLength(1);
        const [path, x] = nonzero[0]!;
        const leaf = get(v, ...path) as number;
        expect(Math.abs(leaf)).toBe(m);
        expect(x).toBe(Math.sign(leaf));
      }),
      RUNS,
    );
  });
  it("an empty tree has maxNorm 0 and gradient {}", () => {
    expect(maxNorm({})).toBe(0);
    expect(gradient(maxNorm, {})).toEqual([{}]);
  });
});

describe("clip", () => {
  it("passes the gradient at the boundaries (inclusive) and inside, 0 where clipped", () => {
    const v = { lo: -1, hi: 1, in: 0.5, below: -3, above: 7 };
    const [g] = gradient((t) => sum(clip(t, -1, 1)), v);
    expect(get(g!, "lo")).toBe(1);
    expect(get(g!, "hi")).toBe(1);
    expect(get(g!, "in")).toBe(1);
    expect(get(g!, "below")).toBe(0);
    expect(get(g!, "above")).toBe(0);
  });
  it("lo = hi passes the gradient only at that point", () => {
    expect(gradient((x) => clip(x, 2, 2), 2)).toEqual([1]);
    expect(gradient((x) => clip(x, 2, 2), 2.5)).toEqual([0]);
  });
  it("multiplies the cotangent, leaf by leaf", () => {
    const { back } = pullback((t) => clip(t, 0, 1), { a: 0, b: 2, c: 0.25 });
    const [g] = back({ a: 5, b: 7, c: -2 });
    expect(get(g!, "a")).toBe(5);
    expect(get(g!, "b")).toBe(0);
    expect(get(g!, "c")).toBe(-2);
  });
  it("rejects lo > hi", () => {
    expect(() => clip({ a: 1 }, 1, 0)).toThrow(RangeError);
  });
});

describe("derivatives at NaN propagate NaN; the value flows to the NaN side", () => {
  it("relu, abs, clip at NaN", () => {
    expect(gradient(relu, NaN)[0]).toBeNaN();
    expect(gradient(abs, NaN)[0]).toBeNaN();
    expect(gradient((x) => clip(x, -1, 1), NaN)[0]).toBeNaN();
  });
  it("max/min pass the gradient to a NaN argument", () => {
    expect(gradient((a, b) => max(a, b), NaN, 1)).toEqual([1, 0]);
    expect(gradient((a, b) => max(a, b), 1, NaN)).toEqual([0, 1]);
    expect(gradient((a, b) => min(a, b), 1, NaN)).toEqual([0, 1]);
  });
  it("maxNorm: a NaN leaf is the maximal one", () => {
    const [g] = gradient((t) => maxNorm(t), { a: 5, b: NaN });
    const got = Object.fromEntries(leaves(g!).map(([p, x]) => [p.join("."), x]));
    expect(got["a"] ?? 0).toBe(0);
    expect(got["b"]).toBeNaN();
  });
});
