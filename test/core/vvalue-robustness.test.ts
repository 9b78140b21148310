/**
 * The V-value helpers on hostile input: infinities, 10⁵-level nesting, cycles, shared
 * subtrees, a BOM, values of the wrong kind and tracked values (branded objects).
 */
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equals, fromJSON, leaves, mapLeaves, prune, toJSON, validate, type VValue } from "../../src/index.js";
import { vvalueArb } from "../../src/testing/index.js";
import { newTree, TREE_PROTO } from "../../src/vvalue/tree.js";
import { RUNS } from "./helpers.js";

/** The brand the AD layer puts on tracked values (a registered symbol: every copy of vgrad agrees). */
const BRAND = Symbol.for("vgrad.tracked");

/** A stand-in for a tracked value: branded on its prototype, and cyclic inside like a real one. */
class FakeTracked {
  readonly self: FakeTracked = this;
  readonly value = 1;
}
(FakeTracked.prototype as unknown as Record<symbol, boolean>)[BRAND] = true;

/** `{a: {a: … {a: leaf}}}` with `depth` levels, built without recursion. */
function nested(depth: number, leaf: unknown = 1, key = "a"): VValue {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v as VValue;
}

/** `{x: 1, a: {b: 2, back: <the value itself>}}`: the cycle closes at `value.a.back`. */
function cyclic(): VValue {
  const c: Record<string, unknown> = { x: 1, a: { b: 2 } };
  (c["a"] as Record<string, unknown>)["back"] = c;
  return c as VValue;
}

const DEEP = 100_000;

describe("equals and infinities", () => {
  it("equal infinities are equal, at any tolerance", () => {
    expect(equals(Infinity, Infinity)).toBe(true);
    expect(equals(-Infinity, -Infinity)).toBe(true);
    expect(equals({ a: { b: Infinity } }, { a: { b: Infinity } })).toBe(true);
    expect(equals(Infinity, { ":number": Infinity })).toBe(true);
    expect(equals({ a: Infinity }, { a: Infinity }, { tolerance: 1e-3 })).toBe(true);
  });

  it("an infinity differs from everything else under a finite tolerance", () => {
    expect(equals(Infinity, -Infinity)).toBe(false);
    expect(equals({ a: Infinity }, { a: Number.MAX_VALUE }, { tolerance: 1e300 })).toBe(false);
    expect(equals({ a: Infinity }, {})).toBe(false);
    expect(equals({ a: 1 }, { a: 1, b: -Infinity }, { tolerance: 1e300 })).toBe(false);
  });

  it("NaN equals nothing, not even NaN, at any tolerance", () => {
    expect(equals(NaN, NaN, { tolerance: Infinity })).toBe(false);
    expect(equals({ a: NaN }, {}, { tolerance: Infinity })).toBe(false);
    expect(equals({ a: NaN }, { a: Infinity }, { tolerance: Infinity })).toBe(false);
  });

  it("rejects a tolerance that is not a number >= 0", () => {
    expect(() => equals(1, 1, { tolerance: -1 })).toThrow(RangeError);
    expect(() => equals(1, 1, { tolerance: NaN })).toThrow(/equals: tolerance must be a number >= 0, got NaN/);
    expect(() => equals(1, 1, { tolerance: "0.1" as unknown as number })).toThrow(RangeError);
  });

  it("property: equals agrees with comparing the leaves of both sides by path", () => {
    // reference: union of paths, a missing path is 0 (the arbitraries never put a tree under ":number")
    const flat = (v: VValue): Map<string, number> => {
      const m = new Map<string, number>();
      for (const [p, x] of leaves(v)) {
        const q = p[p.length - 1] === ":number" ? p.slice(0, -1) : p;
        m.set(JSON.stringify(q), x);
      }
      return m;
    };
    const special = fc.constantFrom(0, 1, -1, Infinity, -Infinity, NaN);
    const arb = vvalueArb({ leaf: special });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const fa = flat(a);
        const fb = flat(b);
        let same = true;
        for (const k of new Set([...fa.keys(), ...fb.keys()])) {
          const x = fa.get(k) ?? 0;
          const y = fb.get(k) ?? 0;
          if (!(x === y)) same = false;
        }
        expect(equals(a, b)).toBe(same);
        expect(equals(a, a)).toBe(![...fa.values()].some(Number.isNaN));
      }),
      RUNS,
    );
  });
});

// Recursion would overflow the stack (near 10⁴ levels), and work quadratic in depth (a
// path string per node, as validate once built) would run for hours at 10⁵ levels, so
// finishing at all is the complexity check.
describe("10⁵ levels of nesting: linear and without recursion", () => {
  const deep = nested(DEEP);
  const text = '{"a":'.repeat(DEEP) + "1" + "}".repeat(DEEP);

  it("validate", () => {
    expect(validate(deep)).toBe(deep);
    expect(() => validate(deep, { finite: true })).not.toThrow();
  });

  it("fromJSON (V8's JSON.parse does not recurse; the checks and the copy do not either)", () => {
    const v = fromJSON(text);
    expect(leaves(v)).toEqual([[new Array<string>(DEEP).fill("a"), 1]]);
    // every level is a fresh tree without Object.prototype
    let t: unknown = v;
    let inheriting = 0;
    for (let i = 0; i < DEEP; i++) {
      if (t instanceof Object) inheriting++;
      t = (t as Record<string, unknown>)["a"];
    }
    expect(inheriting).toBe(0);
    expect(t).toBe(1);
  });

  it("toJSON (its own serializer: JSON.stringify overflows the stack near 4 000 levels)", () => {
    expect(toJSON(deep)).toBe(text);
    expect(toJSON(fromJSON(text))).toBe(text);
  });

  it("toJSON with indentation", () => {
    const n = 20_000;
    let expected = "1";
    for (let d = n - 1; d >= 0; d--) expected = `{\n${" ".repeat(d + 1)}"a": ${expected}\n${" ".repeat(d)}}`;
    expect(toJSON(nested(n), { space: 1 })).toBe(expected);
  });

  it("leaves, mapLeaves, prune, equals", () => {
    const path = new Array<string>(DEEP).fill("a");
    expect(leaves(deep)).toEqual([[path, 1]]);
    let seen: readonly string[] = [];
    const doubled = mapLeaves(deep, (x, p) => {
      seen = p.slice();
      return 2 * x;
    });
    expect(seen).toEqual(path);
    expect(leaves(doubled)).toEqual([[path, 2]]);
    expect(equals(doubled, nested(DEEP, 2))).toBe(true);
    expect(equals(doubled, deep)).toBe(false);
    expect(equals(deep, nested(DEEP - 1))).toBe(false);
    expect(equals(deep, nested(DEEP - 1, { a: 1, b: 0 }))).toBe(true);
    expect(prune(nested(DEEP, 0))).toEqual({});
    expect(equals(prune(deep), deep)).toBe(true);
  });

  it("an error deep down names an abbreviated path and the depth", () => {
    const bad = nested(DEEP - 1, { b: [1] });
    let message = "";
    try {
      validate(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^value(\.a){10} …\(99980 more keys\)… (\.a){9}\.b is an array/);
    expect(message.length).toBeLessThan(200);
    expect(() => leaves(bad)).toThrow(/^leaves: value(\.a){10} …\(99980 more keys\)… (\.a){9}\.b is an array/);
  });
});

describe("cycles and shared subtrees", () => {
  const helpers: Array<[string, (v: VValue) => unknown]> = [
    ["validate", (v) => validate(v)],
    ["equals (first)", (v) => equals(v, {})],
    ["equals (second)", (v) => equals(1, v)],
    ["leaves", (v) => leaves(v)],
    ["mapLeaves", (v) => mapLeaves(v, (x) => x)],
    ["prune", (v) => prune(v)],
    ["toJSON", (v) => toJSON(v)],
    ["fromJSON (a parsed value)", (v) => fromJSON(v)],
  ];
  for (const [name, f] of helpers) {
    it(`${name}: a cycle is a TypeError naming where it closes`, () => {
      expect(() => f(cyclic())).toThrow(TypeError);
      expect(() => f(cyclic())).toThrow(/\b(value|a|b)\.a\.back is a cycle back to (value|a|b)\b(?!\.)/);
      const self: Record<string, unknown> = {};
      self["me"] = self;
      expect(() => f(self as VValue)).toThrow(/\b(value|a|b)\.me is a cycle back to (value|a|b)\b(?!\.)/);
      const inner: Record<string, unknown> = { k: { l: {} } };
      ((inner["k"] as Record<string, Record<string, unknown>>)["l"] as Record<string, unknown>)["up"] = inner["k"];
      expect(() => f(inner as VValue)).toThrow(/\b(value|a|b)\.k\.l\.up is a cycle back to (value|a|b)\.k\b(?!\.)/);
    });
  }

  for (const [name, f] of helpers) {
    it(`${name}: cycles closing deep down, and subtrees shared deep down`, () => {
      // a chain of 60 levels whose end points back to the tree at depth `to`
      for (const to of [0, 3, 15, 16, 17, 40, 59]) {
        const chain: Array<Record<string, unknown>> = [];
        for (let i = 0; i < 60; i++) chain.push({ x: i });
        for (let i = 0; i + 1 < 60; i++) chain[i]!["n"] = chain[i + 1];
        chain[59]!["back"] = chain[to];
        const at = (depth: number) => "(value|a|b)" + String.raw`\.n`.repeat(depth);
        expect(() => f(chain[0] as VValue)).toThrow(new RegExp(`${at(59)}\\.back is a cycle back to ${at(to)}(?!\\.)`));
      }
      // one 20-level subtree under every level of a 40-level chain: legal, and its trees
      // come onto the path and leave it again at many depths
      const shared = nested(20) as object;
      let v: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < 40; i++) v = { s: shared, n: v, t: shared };
      expect(() => f(v as VValue)).not.toThrow();
    });
  }

  it("a shared subtree (a DAG) is data under each key", () => {
    const s = { x: 1, y: { z: 0 } };
    const dag = { p: s, q: { r: s } } as VValue;
    const tree = { p: { x: 1, y: { z: 0 } }, q: { r: { x: 1, y: { z: 0 } } } };
    expect(validate(dag)).toBe(dag);
    expect(equals(dag, tree)).toBe(true);
    expect(equals(dag, dag)).toBe(true);
    expect(leaves(dag)).toEqual(leaves(tree));
    expect(mapLeaves(dag, (x) => x + 1)).toEqual(mapLeaves(tree, (x) => x + 1));
    expect(prune(dag)).toEqual({ p: { x: 1 }, q: { r: { x: 1 } } });
    expect(toJSON(dag)).toBe(JSON.stringify(tree));
    expect(fromJSON(dag)).toEqual(tree);
  });
});

describe("fromJSON and a byte order mark", () => {
  it("accepts one leading BOM", () => {
    expect(fromJSON('\uFEFF{"a": 1}')).toEqual({ a: 1 });
    expect(fromJSON("\uFEFF2")).toBe(2);
  });

  it("a BOM elsewhere is still malformed", () => {
    expect(() => fromJSON('\uFEFF\uFEFF{"a": 1}')).toThrow(SyntaxError);
    expect(() => fromJSON('{"a": 1}\uFEFF')).toThrow(SyntaxError);
  });
});

describe("toJSON agrees with JSON.stringify where JSON.stringify works", () => {
  it("property: same text for every space", () => {
    const space = fc.integer({ min: 0, max: 10 });
    fc.assert(
      fc.property(vvalueArb(), space, (v, s) => {
        expect(toJSON(v, { space: s })).toBe(JSON.stringify(v, null, s));
        expect(toJSON(v)).toBe(JSON.stringify(v));
      }),
      RUNS,
    );
  });

  it("space is an integer from 0 to 10", () => {
    for (const s of [-1, 11, 1.5, NaN, Infinity]) {
      expect(() => toJSON({ a: 1 }, { space: s })).toThrow(RangeError);
      expect(() => toJSON({ a: 1 }, { space: s })).toThrow(/toJSON: space must be an integer from 0 to 10/);
    }
  });

  it("odd keys, integer-like keys, -0 and extreme numbers", () => {
    const v = fromJSON(
      '{"b": -0, "2": 1e-320, "10": 1.7976931348623157e308, "": {"\\"\\n\\u2028\\ud800": {}}, "__proto__": {"a": 5e-324}}',
    );
    expect(toJSON(v)).toBe(JSON.stringify(v));
    expect(toJSON(v, { space: 3 })).toBe(JSON.stringify(v, null, 3));
    expect(toJSON(-0)).toBe("0");
  });
});

describe("validate as the argument check of differentiable functions", () => {
  class Point {
    x = 1;
  }
  const Anonymous = (() => class {})();
  const bad: Array<[string, unknown, RegExp]> = [
    ["a Map", { m: new Map([["a", 1]]) }, /^value\.m is an instance of Map;/],
    ["a Set", { s: new Set([1]) }, /^value\.s is an instance of Set;/],
    ["a Float64Array", { f: new Float64Array([1, 2]) }, /^value\.f is an instance of Float64Array;/],
    ["a Date", { d: new Date(0) }, /^value\.d is an instance of Date;/],
    ["a class instance", { c: new Point() }, /^value\.c is an instance of Point;/],
    ["an anonymous class instance", { c: new Anonymous() }, /^value\.c is an instance of an anonymous class;/],
    [
      "inherited properties",
      { o: Object.create({ a: 1 }) },
      /^value\.o has a non-plain prototype \(inherited properties are not data\)/,
    ],
    ["a tree as prototype", { o: Object.create(newTree()) }, /^value\.o has a non-plain prototype/],
    ["inherited properties at the root", Object.create({ a: 1 }), /^value has a non-plain prototype/],
    ["an array", { a: [1] }, /^value\.a is an array;/],
    ["null", { a: null }, /^value\.a is null;/],
    ["undefined", { a: undefined }, /^value\.a is undefined;/],
    ["a boolean", { a: { b: false } }, /^value\.a\.b is a boolean;/],
    ["a string", { a: "1" }, /^value\.a is a string;/],
    ["a function", { a: () => 1 }, /^value\.a is a function;/],
    ["a bigint", { a: 1n }, /^value\.a is a bigint;/],
    ["a symbol", { a: Symbol("s") }, /^value\.a is a symbol;/],
    ["a boxed number", { a: new Number(1) }, /^value\.a is an instance of Number;/],
    [
      "a plain object of another realm",
      { a: runInNewContext("({ b: 1 })") },
      /^value\.a is a plain object of another realm .*structuredClone/,
    ],
    [
      "a tracked value",
      { a: { b: new FakeTracked() } },
      /^value\.a\.b is a tracked value \(inside a differentiated function\); call primal\(v\) first/,
    ],
  ];
  for (const [what, v, message] of bad) {
    it(`rejects ${what}, naming the path`, () => {
      expect(() => validate(v)).toThrow(TypeError);
      expect(() => validate(v)).toThrow(message);
      expect(() => validate(v, { name: "gradient: args[1]" })).toThrow(/^gradient: args\[1\]/);
    });
  }

  it("accepts numbers (NaN and infinities unless finite) and the three tree prototypes", () => {
    for (const x of [0, -0, NaN, Infinity, -Infinity, 5e-324]) expect(validate({ x })).toEqual({ x });
    const t = newTree();
    t["a"] = 1;
    expect(Object.getPrototypeOf(t)).toBe(TREE_PROTO);
    const n = Object.create(null) as Record<string, VValue>;
    n["t"] = t;
    expect(validate({ n, o: { p: 1 } })).toBeDefined();
    expect(() => validate({ x: Infinity }, { finite: true })).toThrow(RangeError);
  });

  it("allow: accepted objects are leaves and are not descended into", () => {
    const allow = (x: object) => x instanceof FakeTracked;
    const t = new FakeTracked();
    const v = { a: t, b: { c: t, d: 2 } };
    expect(validate(v, { allow })).toBe(v);
    expect(validate(t, { allow })).toBe(t);
    // a plain object with invalid contents passes whole when allowed
    const opaque: Record<string, unknown> = { junk: [1], text: "x" };
    opaque["self"] = opaque;
    expect(() => validate({ o: opaque })).toThrow(/value\.o\.junk is an array/);
    expect(validate({ o: opaque, n: 1 }, { allow: (x) => x === opaque })).toBeDefined();
    expect(() => validate({ a: t, m: new Map() }, { allow })).toThrow(/value\.m is an instance of Map/);
    expect(() => validate({ a: t, c: [] }, { allow: () => false })).toThrow(/value\.a is a tracked value/);
    const seen: object[] = [];
    validate(v, {
      allow: (x) => {
        seen.push(x);
        return x instanceof FakeTracked;
      },
    });
    expect(seen).toContain(t);
  });

  it("the brand is the registered symbol vgrad.tracked", async () => {
    const types = (await import("../../src/vvalue/types.js")) as Record<string, unknown>;
    expect(types["TRACKED"]).toBe(BRAND);
  });
});

describe("helpers given a tracked value or a non-V-value", () => {
  const t = new FakeTracked();
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const TRACKED_SAYS =
    " is a tracked value (inside a differentiated function); call primal(v) first to read its plain value";
  // [helper, call, what its messages start with]
  const cases: Array<[string, (v: VValue) => unknown, string]> = [
    ["leaves", (v) => leaves(v), "leaves: value"],
    ["mapLeaves", (v) => mapLeaves(v, (x) => x), "mapLeaves: value"],
    ["prune", (v) => prune(v, 0.5), "prune: value"],
    ["equals (first)", (v) => equals(v, 1), "equals: a"],
    ["equals (second)", (v) => equals({ q: 1 }, v), "equals: b"],
  ];
  for (const [name, f, start] of cases) {
    it(`${name}: a tracked value says to call primal`, () => {
      expect(() => f({ a: t } as unknown as VValue)).toThrow(TypeError);
      expect(() => f({ a: t } as unknown as VValue)).toThrow(new RegExp("^" + escape(start + ".a" + TRACKED_SAYS)));
      expect(() => f(t as unknown as VValue)).toThrow(new RegExp("^" + escape(start + TRACKED_SAYS)));
    });

    it(`${name}: a value of the wrong kind is validate's TypeError`, () => {
      const wrong: Array<[unknown, string]> = [
        [[1, 2], " is an array;"],
        [new Map([["a", 1]]), " is an instance of Map;"],
        ["1", " is a string;"],
        [null, " is null;"],
        [{ a: { b: new Float64Array(2) } }, ".a.b is an instance of Float64Array;"],
        [{ a: 1, b: { c: true } }, ".b.c is a boolean;"],
        [Object.create({ a: 1 }), " has a non-plain prototype"],
      ];
      for (const [v, what] of wrong) {
        expect(() => f(v as VValue)).toThrow(TypeError);
        expect(() => f(v as VValue)).toThrow(new RegExp("^" + escape(start + what)));
      }
    });
  }

  it("equals checks both arguments completely even when an earlier leaf differs", () => {
    expect(() => equals({ a: 1, b: [1] } as unknown as VValue, { a: 2 })).toThrow(/equals: a\.b is an array/);
    expect(() => equals({ a: 1 }, { a: 2, b: { c: "x" } } as unknown as VValue)).toThrow(/equals: b\.b\.c is a string/);
  });

  it("mapLeaves: f must return a number", () => {
    expect(() => mapLeaves({ a: { b: 1 } }, () => "2" as unknown as number)).toThrow(TypeError);
    expect(() => mapLeaves({ a: { b: 1 } }, () => "2" as unknown as number)).toThrow(
      /mapLeaves: f returned a string at value\.a\.b; it must return a number/,
    );
    expect(() => mapLeaves(1, () => ({}) as unknown as number)).toThrow(/mapLeaves: f returned an object at value;/);
  });
});
