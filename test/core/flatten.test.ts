/**
 * `flatten` / `unflatten`: the exact round trip (key order, empty subtrees, numbers
 * versus `{":number": x}`, special keys), leaves in `leaves` order, layouts keyed by
 * structure as jit keys its programs, and clear errors for bad input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatten, fromJSON, jit, leaves, sum, unflatten, type VValue } from "../../src/index.js";
import { shapedLikeArb, vvalueArb } from "../../src/testing/index.js";
import { deepFreeze, RUNS } from "./helpers.js";

/** Every path of `v` with what is there (a leaf, or "{}" for an empty subtree), in key order. */
function outline(v: VValue): Array<[string[], number | string]> {
  const out: Array<[string[], number | string]> = [];
  const walk = (x: VValue, path: string[]): void => {
    if (typeof x === "number") return void out.push([path, x]);
    const ks = Object.keys(x);
    if (ks.length === 0) out.push([path, "{}"]);
    for (const k of ks) walk(x[k]!, [...path, k]);
  };
  walk(v, []);
  return out;
}

const values = vvalueArb({ treesUnderNumberKey: true });

describe("flatten and unflatten", () => {
  it("property: unflatten(layout, flatten(v).values) rebuilds v exactly", () => {
    fc.assert(
      fc.property(values, (v) => {
        deepFreeze(v);
        const { values: xs, layout } = flatten(v);
        const back = unflatten(layout, xs);
        expect(outline(back)).toEqual(outline(v));
        expect(typeof back).toBe(typeof v);
        expect(Array.from(xs)).toEqual(leaves(v).map(([, x]) => x));
        expect(layout.size).toBe(xs.length);
      }),
      RUNS,
    );
  });

  it("property: values of one structure share a layout key; new leaves go where the old ones were", () => {
    fc.assert(
      fc.property(
        values.chain((v) => shapedLikeArb(v).map((w) => [v, w] as const)),
        ([v, w]) => {
          const a = flatten(v);
          const b = flatten(w);
          expect(b.layout.key).toBe(a.layout.key);
          expect(outline(unflatten(a.layout, b.values))).toEqual(outline(w));
        },
      ),
      RUNS,
    );
  });

  it("structure is kind and key order: a number is not {':number': x}, {a, b} is not {b, a}", () => {
    const key = (v: VValue) => flatten(v).layout.key;
    expect(key(2)).not.toBe(key({ ":number": 2 }));
    expect(key({ a: 1, b: 2 })).not.toBe(key({ b: 2, a: 1 }));
    expect(key({ a: {} })).not.toBe(key({}));
    expect(unflatten(flatten({ ":number": 2 }).layout, [5])).toEqual({ ":number": 5 });
    expect(unflatten(flatten(2).layout, [5])).toBe(5);
    const empty = flatten({});
    expect(empty.values.length).toBe(0);
    expect(unflatten(empty.layout, [])).toEqual({});
  });

  it("special keys are data in the layout and in the rebuilt tree", () => {
    const v = fromJSON('{"__proto__": {"x": 1}, "constructor": {"": 2}, "toString": 3}');
    const back = unflatten(flatten(v).layout, [10, 20, 30]) as Record<string, VValue>;
    expect(Object.keys(back)).toEqual(["__proto__", "constructor", "toString"]);
    expect(leaves(back)).toEqual([
      [["__proto__", "x"], 10],
      [["constructor", ""], 20],
      [["toString"], 30],
    ]);
    expect(Object.getPrototypeOf(back)).not.toBe(Object.prototype);
  });

  it("the layout key is jit's structure: one program for values of one layout key", () => {
    const f = jit((v: VValue) => sum(v));
    const a = { b: { c: 5 }, a: 6 };
    const b = { b: { c: 1 }, a: 2 };
    expect(flatten(a).layout.key).toBe(flatten(b).layout.key);
    f(a);
    f(b);
    expect(f.traces).toBe(1);
    f({ a: 2, b: { c: 1 } });
    expect(f.traces).toBe(2);
  });

  it("bad input: what is not a V-value, too few values, a bad offset", () => {
    expect(() => flatten({ a: [1] } as never)).toThrow(/^flatten: value\.a is an array/);
    expect(() => flatten({ a: "x" } as never)).toThrow(/^flatten: value\.a is a string/);
    const { layout } = flatten({ a: 1, b: { c: 2 } });
    expect(() => unflatten(layout, [1])).toThrow(
      /^unflatten: the layout has 2 leaves but values holds 1 from offset 0$/,
    );
    expect(() => unflatten(layout, [1, 2], 1)).toThrow(/values holds 1 from offset 1$/);
    expect(() => unflatten(layout, [1, 2], -1)).toThrow(/^unflatten: offset must be an integer >= 0, got -1$/);
  });
});
