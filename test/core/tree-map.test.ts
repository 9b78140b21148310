/**
 * `mapLeaves` over several trees (JAX's `tree_map`): the union of key paths with a
 * missing leaf read as 0, the one-tree form, errors, any depth; differentiable through
 * `f` (finite differences on random trees with special keys, empty trees and zeros),
 * under `jit` and to second order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  dot,
  equals,
  fromJSON,
  gradient,
  jit,
  leaves,
  mapLeaves,
  mul,
  scale,
  sigmoid,
  square,
  sum,
  tanh,
  type VValue,
} from "../../src/index.js";
import { leafArb, vvalueArb, vvaluePairArb } from "../../src/testing/index.js";
import { deepFreeze, expectGradientOk, RUNS } from "./helpers.js";

describe("mapLeaves over several trees", () => {
  it("walks the union of the key paths; a missing leaf is 0", () => {
    expect(mapLeaves((x, y) => x * y, { a: 2, b: 3 }, { a: 5, c: 7 })).toEqual({ a: 10, b: 0, c: 0 });
    expect(mapLeaves((x, y, z) => 100 * x + 10 * y + z, { a: 1 }, { b: 2 }, { a: 3, b: 4 })).toEqual({
      a: 103,
      b: 24,
    });
  });

  it("a number meets a subtree as its ':number' part", () => {
    expect(mapLeaves((x, y) => x - y, 1, { a: 2 })).toEqual({ ":number": 1, a: -2 });
    expect(mapLeaves((x, y) => x + y, { a: { b: 1 } }, { a: 2 })).toEqual({ a: { b: 1, ":number": 2 } });
    expect(mapLeaves((x, y) => x * y, 3, 4)).toBe(12);
  });

  it("key order: the first tree's, then keys new in later trees; empty subtrees kept", () => {
    const m = mapLeaves((x, y) => x + y, { z: 1, e: {} }, { a: 2, z: 3 }) as Record<string, VValue>;
    expect(Object.keys(m)).toEqual(["z", "e", "a"]);
    expect(m).toEqual({ z: 4, e: {}, a: 2 });
  });

  it("f gets every tree's leaf and the path, depth first", () => {
    const seen: unknown[] = [];
    mapLeaves(
      (x, y, path) => {
        seen.push([x, y, path.slice()]);
        return 0;
      },
      { a: { b: 1 }, c: 2 },
      { c: 3, d: 4 },
    );
    expect(seen).toEqual([
      [1, 0, ["a", "b"]],
      [2, 3, ["c"]],
      [0, 4, ["d"]],
    ]);
  });

  it("special keys are data: __proto__, constructor, toString", () => {
    const a = fromJSON('{"__proto__": {"x": 1}, "constructor": 2}');
    const b = fromJSON('{"__proto__": {"x": 10}, "toString": 3}');
    const m = mapLeaves((x, y) => x + y, a, b);
    expect(leaves(m)).toEqual([
      [["__proto__", "x"], 11],
      [["constructor"], 2],
      [["toString"], 3],
    ]);
    expect(Object.getPrototypeOf((m as Record<string, VValue>)["__proto__"])).not.toBe(Object.prototype);
  });

  it("property: with one tree, both argument orders give the same result", () => {
    fc.assert(
      fc.property(vvalueArb(), (v) => {
        deepFreeze(v);
        const f = (x: number, p: readonly string[]) => 3 * x + p.length;
        expect(mapLeaves(f, v)).toEqual(mapLeaves(v, f));
      }),
      RUNS,
    );
  });

  it("property: x + y is add, x·y is mul, as vectors (the union is add's union)", () => {
    fc.assert(
      fc.property(vvaluePairArb(), ([a, b]) => {
        deepFreeze([a, b]);
        expect(
          equals(
            mapLeaves((x, y) => x + y, a, b),
            add(a, b),
          ),
        ).toBe(true);
        expect(
          equals(
            mapLeaves((x, y) => x * y, a, b),
            mul(a, b),
          ),
        ).toBe(true);
        // the union of the leaf paths, no more: every leaf of either tree, each once
        const paths = leaves(mapLeaves(() => 1, a, b)).length;
        expect(paths).toBe(
          leaves(
            add(
              mapLeaves(() => 1, a),
              mapLeaves(() => 1, b),
            ),
          ).length,
        );
      }),
      RUNS,
    );
  });
});

describe("mapLeaves errors", () => {
  it("names the tree and the path of what is not a V-value, or of a cycle", () => {
    expect(() => mapLeaves((x, y) => x + y, { a: 1 }, { a: { b: [1] } } as never)).toThrow(
      /^mapLeaves: trees\[1\]\.a\.b is an array; a V-value is a number or a plain object/,
    );
    const c: Record<string, unknown> = { x: { y: 1 } };
    (c["x"] as Record<string, unknown>)["back"] = c;
    expect(() => mapLeaves((x, y) => x + y, { x: 1 }, c as VValue)).toThrow(
      /^mapLeaves: trees\[1\]\.x\.back is a cycle back to trees\[1\], which encloses it/,
    );
    expect(() => mapLeaves((x) => x, null as never)).toThrow(/^mapLeaves: value is null/);
  });

  it("f must return a number", () => {
    expect(() => mapLeaves((x, y) => String(x + y) as never, { a: 1 }, { a: { b: 2 } })).toThrow(
      /^mapLeaves: f returned a string at trees\.a\[":number"\]; it must return a number$/,
    );
    expect(() => gradient((w: VValue) => sum(mapLeaves((x) => scale(x, w), { a: 1 })), { b: 2 })).toThrow(
      /^mapLeaves: f returned a tracked tree at value\.a; it must return a number$/,
    );
  });

  it("a call without a function, or without trees", () => {
    expect(() => (mapLeaves as (...a: unknown[]) => VValue)({ a: 1 })).toThrow(
      /^mapLeaves: call mapLeaves\(v, f\) or mapLeaves\(f, a, b, …\); got 1 argument\(s\), none a function$/,
    );
    expect(() => (mapLeaves as (...a: unknown[]) => VValue)({ a: 1 }, { b: 1 }, (x: number) => x)).toThrow(
      /the function at position 2$/,
    );
    expect(() => (mapLeaves as (...a: unknown[]) => VValue)((x: number) => x)).toThrow(
      /^mapLeaves: no trees given; call mapLeaves\(f, a, b, …\)$/,
    );
  });

  it("any depth: 10⁵ levels, without recursion", () => {
    const depth = 100_000;
    let a: VValue = 1;
    let b: VValue = 2;
    for (let i = 0; i < depth; i++) {
      a = { k: a };
      b = { k: b };
    }
    let m = mapLeaves((x, y) => x + y, a, b);
    for (let i = 0; i < depth; i++) m = (m as Record<string, VValue>)["k"]!;
    expect(m).toBe(3);
  });
});

/** A smooth f of the leaves of three trees, in vgrad operations. */
const smooth = (x: number, y: number, z: number): VValue => add(mul(tanh(x), y), mul(sigmoid(z), square(x)));
const loss = (a: VValue, b: VValue, c: VValue): VValue => sum(mapLeaves(smooth, a, b, c));

describe("mapLeaves is differentiable", () => {
  const triple = vvaluePairArb().chain(([a, b]) => vvalueArb({ maxDepth: 2 }).map((c) => [a, b, c] as const));

  it("property: gradients of Σ f(a, b, c) agree with finite differences (special keys, empty trees, zeros)", () => {
    fc.assert(
      fc.property(triple, ([a, b, c]) => void expectGradientOk(loss, [a, b, c])),
      RUNS,
    );
  });

  it("property: a tree-valued map's pullback agrees with finite differences", () => {
    fc.assert(
      fc.property(vvaluePairArb(), ([a, b]) => void expectGradientOk((p, q) => mapLeaves(smooth, p, q, p), [a, b])),
      RUNS,
    );
  });

  it("property: the gradient of Σ x·y is the gradient of dot(a, b)", () => {
    fc.assert(
      fc.property(vvaluePairArb(), ([a, b]) => {
        const viaMap = gradient((p, q) => sum(mapLeaves((x, y) => mul(x, y), p, q)), a, b);
        const viaDot = gradient((p, q) => dot(p, q), a, b);
        viaMap.forEach((g, i) => expect(equals(g, viaDot[i]!)).toBe(true));
      }),
      RUNS,
    );
  });

  it("gradients flow to what f closes over, the trees being plain", () => {
    // d/ds Σ s·x = Σ x
    expect(gradient((s) => sum(mapLeaves({ a: 1, b: { c: 2 } }, (x) => mul(x, s))), 3)).toEqual([3]);
  });

  it("property: under jit, the same values and gradients, on flat kernels only", () => {
    fc.assert(
      fc.property(triple, ([a, b, c]) => {
        const f = jit(loss);
        const value = loss(a, b, c) as number;
        expect(f(a, b, c)).toBeCloseTo(value, 12);
        const eager = gradient(loss, a, b, c);
        for (let run = 0; run < 2; run++) {
          gradient(f, a, b, c).forEach((g, i) => expect(equals(g, eager[i]!, { tolerance: 1e-12 })).toBe(true));
        }
        expect(f.traces).toBe(2);
        for (const p of f.programs()) expect([...p.hosted]).toEqual([]);
      }),
      { numRuns: Math.min(RUNS.numRuns, 30) },
    );
  });

  it("second order: the gradient of a gradient through mapLeaves", () => {
    // ∇ Σ x³ = 3x², and d/dx Σ x · 3x² = 9x²
    const inner = (v: VValue) => gradient((y) => sum(mapLeaves((t) => mul(t, square(t)), y)), v)[0]!;
    fc.assert(
      fc.property(leafArb(), leafArb(), (p, q) => {
        const [g] = gradient((v: VValue) => dot(v, inner(v)), { a: p, b: { c: q } });
        expect(
          equals(g!, { a: 9 * p * p, b: { c: 9 * q * q } }, { tolerance: 1e-12 * (1 + 9 * (p * p + q * q)) }),
        ).toBe(true);
      }),
      RUNS,
    );
  });
});
