/**
 * vgrad/testing itself: checkGradient must catch wrong pullbacks (and name where), pass
 * right ones, and reject bad input; the arbitraries must reach the corners they promise.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  defineOp,
  dot,
  get,
  leaves,
  mapLeaves,
  mul,
  scale,
  square,
  sum,
  tanh,
  validate,
  type VValue,
} from "../../src/index.js";
import {
  checkGradient,
  keyArb,
  leafArb,
  SPECIAL_KEYS,
  shapedLikeArb,
  vtreeArb,
  vvalueArb,
  vvaluePairArb,
} from "../../src/testing/index.js";
import { RUNS } from "./helpers.js";

/** `square` with a pullback that is wrong only at the key `bad` (it doubles there). */
const wrongAt = (bad: string) =>
  defineOp(
    `wrongAt(${bad})`,
    (v: VValue) => mapLeaves(v, (x) => x * x),
    (g, _ans, v) => [mapLeaves(mul(g, scale(2, v)), (x, path) => (path.includes(bad) ? 2 * x : x))],
  );

describe("checkGradient", () => {
  it("passes a correct gradient, with tiny errors", () => {
    const r = checkGradient(
      (w, x) => sum(tanh(mul(w, x))),
      [
        { a: 0.5, b: -1 },
        { a: 2, b: 3 },
      ],
    );
    expect(r.ok).toBe(true);
    expect(r.worst).toBeNull();
    expect(r.mismatches).toEqual([]);
    expect(r.shapeErrors).toEqual([]);
    expect(r.leavesChecked).toBe(4);
    expect(r.dotProducts).toHaveLength(3);
    expect(r.maxAbsError).toBeLessThan(1e-7);
    expect(r.value).toBeCloseTo(Math.tanh(1) + Math.tanh(-3), 12);
  });

  it("finds a wrong leaf and names its path, including special keys", () => {
    const cases: Array<[string, string]> = [
      ["b", "args[0].b.c"],
      ["__proto__", "args[0].__proto__.c"],
      ["", 'args[0][""].c'],
      ["😀", 'args[0]["😀"].c'],
    ];
    for (const [key, where] of cases) {
      const t: Record<string, VValue> = {};
      Object.defineProperty(t, key, { value: { c: 1.5 }, enumerable: true });
      t["ok"] = 2;
      const r = checkGradient((v) => sum(wrongAt(key)(v)), [t]);
      expect(r.ok).toBe(false);
      expect(r.mismatches).toHaveLength(1);
      const m = r.mismatches[0]!;
      expect(m.arg).toBe(0);
      expect(m.path).toEqual([key, "c"]);
      expect(m.reverse).toBe(6);
      expect(m.finiteDifference).toBeCloseTo(3, 6);
      expect(m.where).toBe(where);
      expect(r.worst).toContain(m.where);
      expect(r.dotProducts.some((d) => !d.ok)).toBe(true);
    }
  });

  it("throws only when asked, naming the worst path", () => {
    const f = (v: VValue, w: VValue) => add(sum(wrongAt("x")(v)), dot(w, w));
    const args: VValue[] = [{ x: 1, y: 2 }, { x: 3 }];
    expect(() => checkGradient(f, args)).not.toThrow();
    expect(() => checkGradient(f, args, { throwOnMismatch: true })).toThrow(/args\[0\]\.x/);
    expect(() => checkGradient(f, args, { throwOnMismatch: true })).toThrow(Error);
  });

  it("checks every argument of a multi-argument function, numbers and trees", () => {
    const f = (s: VValue, t: VValue, u: VValue) => add(mul(s, sum(wrongAt("q")(t))), square(u));
    const r = checkGradient(f, [2, { p: 1, q: 2 }, 3]);
    expect(r.leavesChecked).toBe(4);
    expect(r.mismatches.map((m) => m.where)).toEqual(["args[1].q"]);
  });

  it("checks tree-valued functions through pullback with a random cotangent", () => {
    const good = checkGradient((t: VValue) => ({ sq: square(t), first: get(t, "a") }) as VValue, [{ a: 1, b: -2 }]);
    expect(good.ok).toBe(true);
    expect(typeof good.cotangent).toBe("object");
    const bad = checkGradient(
      (t: VValue) => ({ sq: wrongAt("b")(t), first: get(t, "a") }) as VValue,
      [{ a: 1, b: -2 }],
    );
    expect(bad.ok).toBe(false);
    expect(bad.mismatches.map((m) => m.where)).toEqual(["args[0].b"]);
  });

  it("the dot-product test alone catches a transposed Jacobian", () => {
    // f(x) = A x with A = [[1, 2], [0, 1]]; the wrong pullback uses A instead of Aᵀ
    const A = (x: VValue): VValue => {
      const a = get(x, "a") as number,
        b = get(x, "b") as number;
      return { a: a + 2 * b, b };
    };
    const op = defineOp("A", A, (g) => [A(g)]);
    const r = checkGradient(op, [{ a: 1, b: 1 }], { directions: 4 });
    expect(r.ok).toBe(false);
    expect(r.dotProducts.every((d) => d.ok)).toBe(false);
    const right = defineOp("A", A, (g) => {
      const ga = get(g, "a") as number,
        gb = get(g, "b") as number;
      return [{ a: ga, b: 2 * ga + gb }];
    });
    expect(checkGradient(right, [{ a: 1, b: 1 }], { directions: 4 }).ok).toBe(true);
  });

  it("checks the shape of gradients; a rule that leaks keys is projected back by vgrad", () => {
    const leaky = defineOp(
      "leaky",
      (v: VValue) => v,
      (g) => [add(g, { extra: 1, a: { deeper: 1 } })],
    );
    const r = checkGradient((v) => sum(leaky(v)), [{ a: 1, b: 2 }]);
    expect(r.shapeErrors).toEqual([]);
    expect(r.gradient).toEqual([{ a: 1, b: 1 }]);
  });

  it("is reproducible by seed", () => {
    const f = (t: VValue) => ({ y: tanh(t) }) as VValue;
    const a = checkGradient(f, [{ a: 0.3, b: 2 }], { seed: 7 });
    const b = checkGradient(f, [{ a: 0.3, b: 2 }], { seed: 7 });
    const c = checkGradient(f, [{ a: 0.3, b: 2 }], { seed: 8 });
    expect(a.dotProducts).toEqual(b.dotProducts);
    expect(a.cotangent).toEqual(b.cotangent);
    expect(c.dotProducts[0]!.reverse).not.toBe(a.dotProducts[0]!.reverse);
  });

  it("handles no arguments, empty trees and bare numbers", () => {
    expect(checkGradient(() => 3, []).ok).toBe(true);
    const r = checkGradient((t) => sum(t), [{}]);
    expect(r.ok).toBe(true);
    expect(r.leavesChecked).toBe(0);
    expect(checkGradient((x) => square(x), [3]).gradient).toEqual([6]);
    expect(checkGradient((x) => square(x), [3], { directions: 0 }).dotProducts).toEqual([]);
  });

  it("rejects bad input with clear errors", () => {
    expect(() => checkGradient(3 as unknown as () => VValue, [])).toThrow(TypeError);
    expect(() => checkGradient((x) => x, 3 as unknown as VValue[])).toThrow(TypeError);
    expect(() => checkGradient((x) => x, [{ a: [1] } as unknown as VValue])).toThrow(/args\[0\]\.a/);
    expect(() => checkGradient((x) => x, [null as unknown as VValue])).toThrow(TypeError);
    expect(() => checkGradient((x) => x, [1], { h: 0 })).toThrow(RangeError);
    expect(() => checkGradient((x) => x, [1], { directions: 1.5 })).toThrow(RangeError);
    expect(() => checkGradient((x) => x, [1], { rtol: -1 })).toThrow(RangeError);
  });
});

describe("arbitraries", () => {
  const sample = <T>(arb: fc.Arbitrary<T>, n = 2000) => fc.sample(arb, { numRuns: n, seed: 42 });
  const ownKeysDeep = (v: VValue): string[] =>
    typeof v === "number" ? [] : Object.keys(v).flatMap((k) => [k, ...ownKeysDeep(v[k]!)]);

  it("vvalueArb yields valid V-values with special keys, zeros, ties, empty trees and numbers", () => {
    const vs = sample(vvalueArb());
    for (const v of vs) expect(() => validate(v, { finite: true })).not.toThrow();
    const keys = new Set(vs.flatMap(ownKeysDeep));
    for (const k of SPECIAL_KEYS) expect(keys, k).toContain(k);
    expect(vs.some((v) => typeof v === "number")).toBe(true);
    expect(vs.some((v) => typeof v === "object" && Object.keys(v).length === 0)).toBe(true);
    expect(vs.some((v) => leaves(v).some(([, x]) => x === 0))).toBe(true);
    expect(
      vs.some((v) => {
        const xs = leaves(v).map(([, x]) => x);
        return new Set(xs).size < xs.length;
      }),
    ).toBe(true);
    expect(vs.some((v) => typeof v === "object" && Object.getPrototypeOf(v) === null)).toBe(true);
    expect(vs.some((v) => typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)).toBe(true);
  });

  it("a generated __proto__ key is an own key and never a prototype", () => {
    const vs = sample(vtreeArb({ prototype: "plain" }));
    const withProto = vs.filter((v) => Object.prototype.hasOwnProperty.call(v, "__proto__"));
    expect(withProto.length).toBeGreaterThan(0);
    for (const v of withProto) expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it("options bound depth, keys and leaves", () => {
    const depth = (v: VValue): number => (typeof v === "number" ? 0 : 1 + Math.max(0, ...Object.values(v).map(depth)));
    fc.assert(
      fc.property(vtreeArb({ maxDepth: 2, maxKeys: 2, leaf: leafArb({ min: 1, max: 2 }), specialKeys: false }), (t) => {
        expect(depth(t)).toBeLessThanOrEqual(2);
        expect(Object.keys(t).length).toBeLessThanOrEqual(2);
        for (const [path, x] of leaves(t)) {
          expect(x).toBeGreaterThanOrEqual(1);
          expect(x).toBeLessThanOrEqual(2);
          for (const k of path) expect(SPECIAL_KEYS).not.toContain(k);
        }
      }),
      RUNS,
    );
    fc.assert(
      fc.property(keyArb({ specialKeys: false, pool: ["zz"] }), (k) => void expect(typeof k).toBe("string")),
      RUNS,
    );
  });

  it("shapedLikeArb and vvaluePairArb({ shape: 'same' }) share exactly the key paths", () => {
    const paths = (v: VValue) =>
      leaves(v)
        .map(([p]) => JSON.stringify(p))
        .sort();
    fc.assert(
      fc.property(vvaluePairArb({ shape: "same" }), ([a, b]) => void expect(paths(b)).toEqual(paths(a))),
      RUNS,
    );
    fc.assert(
      fc.property(
        vvalueArb().chain((v) => shapedLikeArb(v).map((w) => [v, w] as const)),
        ([v, w]) => void expect(paths(w)).toEqual(paths(v)),
      ),
      RUNS,
    );
  });

  it("vvaluePairArb overlaps: shared paths are common, and number meets tree", () => {
    const pairs = sample(vvaluePairArb());
    const shared = pairs.filter(([a, b]) => {
      const pa = new Set(leaves(a).map(([p]) => JSON.stringify(p)));
      return leaves(b).some(([p]) => p.length > 0 && pa.has(JSON.stringify(p)));
    });
    expect(shared.length).toBeGreaterThan(pairs.length / 4);
    expect(pairs.some(([a, b]) => typeof a === "number" && typeof b === "object")).toBe(true);
    expect(pairs.some(([a, b]) => typeof a === "object" && typeof b === "number")).toBe(true);
  });
});

describe("arbitraries honour the prototype option", () => {
  const protos = (v: VValue): unknown[] =>
    typeof v === "number" ? [] : [Object.getPrototypeOf(v), ...Object.keys(v).flatMap((k) => protos(v[k]!))];
  it("plain and null prototypes, for single values and pairs", () => {
    for (const [prototype, expected] of [
      ["plain", Object.prototype],
      ["null", null],
    ] as const) {
      fc.assert(
        fc.property(vvaluePairArb({ prototype }), vvalueArb({ prototype }), ([a, b], c) => {
          for (const p of [...protos(a), ...protos(b), ...protos(c)]) expect(p).toBe(expected);
        }),
        RUNS,
      );
    }
  });
});
