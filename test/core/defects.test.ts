/**
 * Defects found by testing vgrad as a user would, one test each: wrong values, throws
 * on valid cotangents, plain and traced paths disagreeing, silent answers for wrong
 * inputs, escaped boxes, unchecked custom rules.
 */
import { describe, expect, it } from "vitest";
import {
  add,
  checkpoint,
  jit,
  tanh,
  defineOp,
  div,
  dot,
  exp,
  get,
  gradient,
  l1Norm,
  l2Norm,
  leaves,
  log,
  max,
  maxNorm,
  min,
  mul,
  primal,
  pullback,
  sigmoid,
  sqrt,
  square,
  sum,
  valueAndGradient,
  type VValue,
} from "../../src/index.js";

describe("max and min act only on leaves that exist", () => {
  it("a subtree with nothing across from it keeps its own leaves", () => {
    expect(leaves(max({ a: { b: 1 } }, {}))).toEqual([[["a", "b"], 1]]);
    expect(leaves(min({}, { a: { b: -1 } }))).toEqual([[["a", "b"], -1]]);
    expect(leaves(max({ a: { b: -1 } }, {}))).toEqual([[["a", "b"], 0]]);
  });
  it("values downstream stay right", () => {
    expect(sum(sigmoid(min({ c: {} }, {})))).toBe(0);
    expect(sum(exp(max({ a: { b: 1 } }, {})))).toBe(Math.E);
  });
  it("no NaN gradient under sqrt from an invented zero leaf", () => {
    const [g] = gradient((x) => sum(sqrt(max(x, {}))), { a: { b: 4 } });
    expect(g).toEqual({ a: { b: 0.25 } });
  });
  it("a number meets a tree as its :number part", () => {
    expect(max(2, { a: 1 })).toEqual({ ":number": 2, a: 1 });
  });
});

describe("a tree vector-equal to a number is a valid cotangent of a number", () => {
  it.each([
    ["sum", sum],
    ["l1Norm", l1Norm],
    ["l2Norm", l2Norm],
    ["maxNorm", maxNorm],
  ] as const)("%s", (_name, f) => {
    expect(pullback(f, {}).back({})).toEqual([{}]);
    expect(pullback(f, { a: 3 }).back({ ":number": 2 })).toEqual([{ a: 2 }]);
    expect(pullback(f, { a: 3 }).back({ ":number": { ":number": 2 } })).toEqual([{ a: 2 }]);
  });
  it("dot, and results built as object literals", () => {
    expect(pullback((x: VValue) => ({ k: sum(x) }), {}).back({ k: {} })).toEqual([{}]);
    expect(valueAndGradient((x: VValue) => dot({ a: sum(x) }, { a: { ":number": 2 } }), { b: 1 })).toEqual({
      value: 2,
      gradient: [{ b: 2 }],
    });
  });
});

describe("nested differentiation reads every :number level", () => {
  it("a get path past the :number of a number", () => {
    const f = (y: VValue): VValue => square(get(sum(y), ":number", ":number"));
    expect(gradient(f, 2)).toEqual([4]);
    expect(gradient((y: VValue) => gradient(f, y)[0]!, 2)).toEqual([2]);
  });
});

describe("div divides", () => {
  it("values as JavaScript's /", () => {
    expect(div(1e-310, 1e-310)).toBe(1);
    expect(div(0, 5e-324)).toBe(0);
    expect(div(0.3, 0.1)).toBe(0.3 / 0.1);
    expect(div({ a: 0.3 }, 0.1)).toEqual({ a: 0.3 / 0.1 });
  });
  it("the gradient with respect to v is g / s", () => {
    // a cotangent of 0.3 reaching div(v, 0.1): 0.3 / 0.1, not 0.3 · (1 / 0.1) = 3
    expect(gradient((v: VValue) => dot(div(v, 0.1), 0.3), 1)).toEqual([0.3 / 0.1]);
  });
});

describe("plain and traced paths agree (IEEE: 0·∞ is NaN)", () => {
  it.each([
    ["sqrt", sqrt],
    ["log", log],
  ] as const)("0·%s(x) at 0, first order and inside an enclosing gradient", (_name, f) => {
    const inner = (x: VValue): VValue => mul(0, f(x));
    const plain = gradient(inner, 0)[0] as number;
    let traced: VValue = 0;
    gradient((z: VValue) => {
      const g = gradient(inner, z)[0]!;
      traced = primal(g);
      return g;
    }, 0);
    expect(plain).toBeNaN();
    expect(traced).toBeNaN();
  });
});

describe("entry points reject what validate rejects", () => {
  it.each([
    ["a Map", new Map()],
    ["a Float64Array", new Float64Array([1, 2])],
    [
      "a class instance",
      new (class Point {
        x = 1;
      })(),
    ],
    ["inherited properties", Object.create({ a: 1 })],
    ["a null leaf", { a: null }],
    ["a boolean leaf", { a: true }],
    ["a function leaf", { a: () => 1 }],
    ["a bigint leaf", { a: 1n }],
    ["a string leaf", { a: "1" }],
  ])("%s", (_what, arg) => {
    expect(() => gradient(sum, arg as never)).toThrow(TypeError);
    expect(() => pullback(sum, arg as never)).toThrow(/argument 0/);
  });
  it("a cycle, with the path", () => {
    const c: Record<string, unknown> = { a: 1 };
    c["b"] = c;
    expect(() => gradient(sum, c as never)).toThrow(/argument 0\.b.*cycle/);
  });
});

describe("escaped boxes are caught", () => {
  it("used in an op of a later differentiation, or returned from it", () => {
    let kept: VValue = 0;
    gradient((x: VValue) => {
      kept = x;
      return x;
    }, 1);
    expect(() => gradient((y: VValue) => mul(y, kept), 2)).toThrow(/escaped/);
    expect(() => gradient(() => kept, 2)).toThrow(/escaped/);
    expect(() => gradient((y: VValue) => y, kept)).toThrow(/escaped/);
  });
});

describe("defineOp says what is wrong with a backward", () => {
  const x = { a: 1 };
  it.each([
    ["a string cotangent", () => ["1"], /cotangent 0 is a string/],
    ["too few cotangents", () => [], /0 cotangent\(s\) for 1 argument/],
    ["not an array", () => 1, /must return an array/],
  ])("%s", (_what, backward, message) => {
    const op = defineOp("bad", (v: VValue) => v, backward as never);
    expect(() => gradient((t: VValue) => sum(op(t)), x)).toThrow(message);
  });
  it("a tree for a number argument", () => {
    const op = defineOp(
      "bad",
      (v: VValue) => v,
      () => [{ a: 1 }],
    );
    expect(() => gradient((t: VValue) => op(t), 1)).toThrow(/tree for argument 0, which is a number/);
    // a tree holding only :number parts is vector-equal to a number: accepted
    const ok = defineOp(
      "ok",
      (v: VValue) => v,
      (g) => [{ ":number": g }],
    );
    expect(gradient((t: VValue) => ok(t), 1)).toEqual([1]);
  });
});

describe("plain property reads of tracked trees", () => {
  it("t.a reads like get(t, 'a') and is recorded", () => {
    const p = { w: { x: 3, y: 1 }, b: 2 };
    expect(gradient((t: any) => mul(t.w.x, t.b), p)).toEqual([{ w: { x: 2 }, b: 3 }]);
    expect(gradient((t: any) => sum(add(t.w, t.missing)), p)).toEqual([{ w: { x: 1, y: 1 } }]);
    // names a box might use for itself are data too
    const q = { value: 2, trace: 3, index: 5, plain: 7, parents: 11, vjp: 13, constructor: 17, args: 19 };
    const f = (t: any) =>
      add(add(add(mul(t.value, t.trace), mul(t.index, t.plain)), mul(t.parents, t.vjp)), mul(t.constructor, t.args));
    expect(gradient(f, q)).toEqual([
      { value: 3, trace: 2, index: 7, plain: 5, parents: 13, vjp: 11, constructor: 19, args: 17 },
    ]);
    expect(gradient(jit(f), q)).toEqual(gradient(f, q));
  });
});

describe("second order through checkpoint", () => {
  it("the gradient of a gradient through a checkpointed block matches finite differences", () => {
    const block = checkpoint((w: VValue) => tanh(mul(w, w)));
    const d = (w: VValue): VValue => gradient((v: VValue) => sum(block(v)), w)[0]!;
    const dPlain = (w: number): number => (1 - Math.tanh(w * w) ** 2) * 2 * w;
    const h = 1e-5;
    const fd = (dPlain(0.7 + h) - dPlain(0.7 - h)) / (2 * h);
    const [second] = gradient((w: VValue) => d(w), 0.7);
    expect(second as number).toBeCloseTo(fd, 8);
  });
});
