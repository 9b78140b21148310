/** The plain V-value helpers: equals, prune, leaves, mapLeaves, validate, JSON I/O. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  equals,
  fromJSON,
  leaves,
  mapLeaves,
  neg,
  prune,
  scale,
  toJSON,
  validate,
  type VValue,
} from "../../src/index.js";
import { vvalueArb, vvaluePairArb } from "../../src/testing/index.js";
import { RUNS, deepFreeze, snapshot } from "./helpers.js";

/** A copy of `v` with every tree's keys in reverse order. */
function reversed(v: VValue): VValue {
  if (typeof v === "number") return v;
  const out: Record<string, VValue> = {};
  for (const k of Object.keys(v).reverse()) {
    Object.defineProperty(out, k, { value: reversed(v[k]!), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe("equals", () => {
  it("ignores key order", () => {
    expect(equals({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
    fc.assert(
      fc.property(vvalueArb(), (v) => equals(v, reversed(v)) && equals(reversed(v), v)),
      RUNS,
    );
  });

  it("treats a missing key as 0 and {} as the zero vector", () => {
    expect(equals({ a: 1, b: 0 }, { a: 1 })).toBe(true);
    expect(equals({ a: 1 }, { a: 1, b: { c: 0, d: {} } })).toBe(true);
    expect(equals({}, 0)).toBe(true);
    expect(equals({ a: 1 }, { a: 1, b: 1e-300 })).toBe(false);
  });

  it("treats x as {':number': x}", () => {
    expect(equals(2, { ":number": 2 })).toBe(true);
    expect(equals({ ":number": 2 }, 2)).toBe(true);
    expect(equals(2, { ":number": 2, a: 1 })).toBe(false);
    expect(equals(2, { ":number": 3 })).toBe(false);
    expect(equals(0, { a: 0 })).toBe(true);
  });

  it("tolerance is an absolute bound per leaf, inclusive", () => {
    expect(equals({ a: 1 }, { a: 1.0001 })).toBe(false);
    expect(equals({ a: 1 }, { a: 1.0001 }, { tolerance: 1e-3 })).toBe(true);
    expect(equals({ a: 1 }, { a: 1.01 }, { tolerance: 1e-3 })).toBe(false);
    expect(equals({ a: 0.5 }, { a: 0.75 }, { tolerance: 0.25 })).toBe(true);
    expect(equals({ b: 0.001 }, {}, { tolerance: 1e-3 })).toBe(true);
  });

  it("distinguishes special keys from absent ones", () => {
    const t = JSON.parse('{"__proto__": 1}') as VValue;
    expect(equals(t, {})).toBe(false);
    expect(equals(t, fromJSON('{"__proto__": 1}'))).toBe(true);
    expect(equals({ toString: 1 } as VValue, {})).toBe(false);
    expect(equals({ toString: 0 } as VValue, {})).toBe(true);
  });

  it("NaN equals nothing, not even NaN", () => {
    expect(equals(NaN, NaN)).toBe(false);
    expect(equals({ a: NaN }, { a: 1 })).toBe(false);
  });

  it("property: v + (−v) equals {}, and equals is symmetric", () => {
    fc.assert(
      fc.property(vvalueArb(), (v) => equals(add(v, neg(v)), {})),
      RUNS,
    );
    fc.assert(
      fc.property(vvaluePairArb(), ([a, b]) => equals(a, b) === equals(b, a)),
      RUNS,
    );
  });
});

describe("prune", () => {
  it("drops small leaves and the subtrees they leave empty", () => {
    expect(prune({ a: 0.5, b: { c: 0.001 } }, 0.01)).toEqual({ a: 0.5 });
    expect(prune({ a: { b: { c: 0 } }, d: -2 })).toEqual({ d: -2 });
    expect(prune({ a: 0.01, b: -0.01, c: 0.02 }, 0.01)).toEqual({ c: 0.02 });
    expect(prune({ e: {} })).toEqual({});
  });

  it("a pruned bare number becomes 0", () => {
    expect(prune(0.001, 0.01)).toBe(0);
    expect(prune(3, 0.01)).toBe(3);
  });

  it("keeps NaN leaves (NaN propagates), for trees and bare numbers alike", () => {
    expect(Number.isNaN((prune({ a: NaN }) as { a: number }).a)).toBe(true);
    expect(Number.isNaN(prune(NaN) as number)).toBe(true);
  });

  it("rejects a negative or NaN threshold", () => {
    expect(() => prune({ a: 1 }, -1)).toThrow(RangeError);
    expect(() => prune({ a: 1 }, NaN)).toThrow(RangeError);
  });

  it("property: equals v up to the threshold, has no small leaves, never mutates", () => {
    fc.assert(
      fc.property(vvalueArb(), fc.double({ min: 0, max: 2, noNaN: true }), (v, th) => {
        deepFreeze(v);
        const before = snapshot(v);
        const p = prune(v, th);
        expect(snapshot(v)).toBe(before);
        expect(equals(p, v, { tolerance: th })).toBe(true);
        for (const [, x] of leaves(p)) if (typeof p !== "number") expect(Math.abs(x)).toBeGreaterThan(th);
        // idempotent
        expect(prune(p, th)).toEqual(p);
      }),
      RUNS,
    );
  });

  it("special keys survive as own keys", () => {
    const p = prune(fromJSON('{"__proto__": {"a": 1, "b": 0}, "constructor": 0}'));
    expect(Object.keys(p)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf((p as Record<string, VValue>)["__proto__"])).not.toBe(1);
    expect(leaves(p)).toEqual([[["__proto__", "a"], 1]]);
  });
});

describe("leaves and mapLeaves", () => {
  it("leaves lists [path, value] depth first; a number is the leaf at []", () => {
    expect(leaves({ a: 1, b: { c: 2, d: {} } })).toEqual([
      [["a"], 1],
      [["b", "c"], 2],
    ]);
    expect(leaves(5)).toEqual([[[], 5]]);
    expect(leaves({})).toEqual([]);
  });

  it("mapLeaves keeps the shape and passes the path", () => {
    expect(mapLeaves({ a: 1, b: { c: 2 } }, (x) => 10 * x)).toEqual({ a: 10, b: { c: 20 } });
    expect(mapLeaves({ a: 1, b: { c: 2 } }, (_x, p) => p.length)).toEqual({ a: 1, b: { c: 2 } });
    expect(mapLeaves(3, (x) => -x)).toBe(-3);
    expect(mapLeaves({ e: {} }, (x) => x)).toEqual({ e: {} });
  });

  it("property: mapLeaves agrees with leaves, and scaling by 2 is add(v, v)", () => {
    fc.assert(
      fc.property(vvalueArb(), (v) => {
        deepFreeze(v);
        const seen: string[] = [];
        const m = mapLeaves(v, (x, p) => {
          seen.push(JSON.stringify(p));
          return 2 * x;
        });
        expect(seen).toEqual(leaves(v).map(([p]) => JSON.stringify(p)));
        expect(leaves(m).map(([p, x]) => [p, x / 2])).toEqual(leaves(v));
        expect(equals(m, add(v, v))).toBe(true);
        expect(equals(m, scale(2, v))).toBe(true);
      }),
      RUNS,
    );
  });

  it("special keys are paths like any other", () => {
    const t = fromJSON('{"__proto__": {"constructor": 1}, "": 2, "0": 3}');
    const ps = leaves(t).map(([p]) => p);
    expect(ps).toContainEqual(["__proto__", "constructor"]);
    expect(ps).toContainEqual([""]);
    expect(ps).toContainEqual(["0"]);
  });
});

describe("validate", () => {
  it("accepts numbers, plain and null-prototype trees, and shared (non-cyclic) subtrees", () => {
    const shared = { x: 1 };
    expect(validate(1)).toBe(1);
    expect(() => validate({ a: shared, b: shared })).not.toThrow();
    const n = Object.create(null);
    n.a = { b: 2 };
    expect(() => validate(n)).not.toThrow();
    expect(() => validate(NaN)).not.toThrow();
    fc.assert(
      fc.property(vvalueArb(), (v) => validate(v) === v),
      RUNS,
    );
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ["an array", { a: { b: [1, 2] } }, /value\.a\.b is an array/],
    ["a function", { a: () => 1 }, /value\.a is a function/],
    ["null", { a: { b: null } }, /value\.a\.b is null/],
    ["a string", { "odd key": "1" }, /value\["odd key"\] is a string/],
    ["undefined", { a: undefined }, /value\.a/],
    ["a boolean", true, /^value is a boolean/],
    ["a Map", { m: new Map() }, /value\.m is an instance of Map/],
    ["a Date", { d: new Date(0) }, /value\.d is an instance of Date/],
    [
      "a class instance",
      {
        c: new (class Point {
          x = 1;
        })(),
      },
      /value\.c is an instance of Point/,
    ],
    ["a bigint", { b: 1n }, /value\.b is a bigint/],
  ];
  for (const [what, v, message] of bad) {
    it(`rejects ${what} with a TypeError naming the path`, () => {
      expect(() => validate(v)).toThrow(TypeError);
      expect(() => validate(v)).toThrow(message);
    });
  }

  it("rejects cycles, naming the path", () => {
    const c: Record<string, unknown> = { a: { b: 1 } };
    (c["a"] as Record<string, unknown>)["back"] = c;
    expect(() => validate(c)).toThrow(TypeError);
    expect(() => validate(c)).toThrow(/value\.a\.back .*cycle/);
  });

  it("names special keys and uses the given name", () => {
    const t = JSON.parse('{"__proto__": {"": [1]}}');
    expect(() => validate(t, { name: "params" })).toThrow(/params\.__proto__\[""\] is an array/);
  });

  it("with finite: true, rejects NaN and ±Infinity with a RangeError naming the path", () => {
    expect(() => validate({ a: { b: NaN } }, { finite: true })).toThrow(RangeError);
    expect(() => validate({ a: { b: NaN } }, { finite: true })).toThrow(/value\.a\.b is NaN/);
    expect(() => validate({ x: -Infinity }, { finite: true })).toThrow(/value\.x is -Infinity/);
    expect(() => validate({ a: 1 }, { finite: true })).not.toThrow();
  });
});

describe("fromJSON and toJSON", () => {
  it("special keys become own data keys and never touch a prototype", () => {
    const t = fromJSON('{"__proto__": {"a": 1}, "constructor": {"prototype": 2}, "toString": 3}') as Record<
      string,
      VValue
    >;
    expect(Object.prototype.hasOwnProperty.call(t, "__proto__")).toBe(true);
    expect(Object.keys(t)).toEqual(["__proto__", "constructor", "toString"]);
    expect(t["__proto__"]).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(t)).not.toEqual({ a: 1 });
    expect((t as { a?: unknown }).a).toBeUndefined();
    expect(({} as { a?: unknown }).a).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("a");
    expect(typeof Object.prototype.toString).toBe("function");
    expect(equals(t, { toString: 3 } as VValue)).toBe(false);
    expect(leaves(t)).toEqual([
      [["__proto__", "a"], 1],
      [["constructor", "prototype"], 2],
      [["toString"], 3],
    ]);
  });

  it("malformed JSON is a SyntaxError naming the value", () => {
    expect(() => fromJSON("{a: 1")).toThrow(SyntaxError);
    expect(() => fromJSON("{a: 1", { name: "weights" })).toThrow(/weights: malformed JSON/);
  });

  it("JSON that is not a V-value is rejected with the path", () => {
    expect(() => fromJSON('{"a": {"b": [1]}}')).toThrow(TypeError);
    expect(() => fromJSON('{"a": {"b": [1]}}')).toThrow(/value\.a\.b is an array/);
    expect(() => fromJSON('{"a": "1"}')).toThrow(/value\.a is a string/);
    expect(() => fromJSON("null")).toThrow(TypeError);
  });

  it("toJSON rejects NaN and infinities, naming the path", () => {
    expect(() => toJSON({ a: { b: NaN } })).toThrow(RangeError);
    expect(() => toJSON({ a: { b: NaN } })).toThrow(/value\.a\.b is NaN/);
    expect(() => toJSON({ w: Infinity }, { name: "params" })).toThrow(/params\.w is Infinity/);
    expect(() => toJSON(NaN)).toThrow(/value is NaN/);
  });

  it("toJSON writes special keys as data", () => {
    const t: Record<string, VValue> = {};
    Object.defineProperty(t, "__proto__", { value: { a: 1 }, enumerable: true });
    expect(toJSON(t)).toBe('{"__proto__":{"a":1}}');
    expect(toJSON(5)).toBe("5");
    expect(toJSON({ a: 1 }, { space: 2 })).toBe('{\n  "a": 1\n}');
  });

  it("property: fromJSON(toJSON(v)) has the same keys and leaves as v", () => {
    fc.assert(
      fc.property(vvalueArb(), (v) => {
        const back = fromJSON(toJSON(v));
        expect(leaves(back)).toEqual(leaves(v));
        expect(toJSON(back)).toBe(toJSON(v));
        // parsed trees never inherit from Object.prototype (their keys are only data)
        if (typeof back !== "number") expect(back instanceof Object).toBe(false);
      }),
      RUNS,
    );
  });
});
