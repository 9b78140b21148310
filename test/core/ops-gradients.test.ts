/**
 * Every differentiable operation: reverse mode (`gradient` / `pullback`) against
 * finite differences and the dot-product test (`checkGradient`), on random V-values
 * with special keys, zeros, ties, empty trees and number-meets-tree cases. Points of
 * non-differentiability are filtered out here; the conventions there are tested in
 * conventions.test.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  abs,
  add,
  clip,
  div,
  dot,
  embed,
  exp,
  get,
  gradient,
  l1Norm,
  l2Norm,
  leaves,
  linearCombination,
  log,
  max,
  maxNorm,
  min,
  mul,
  neg,
  relu,
  scale,
  sigmoid,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  type VValue,
} from "../../src/index.js";
import { keyArb, leafArb, vvalueArb, vvaluePairArb } from "../../src/testing/index.js";
import { awayFrom, expectGradientOk, MARGIN, noTies, RUNS, uniqueMaxAbs } from "./helpers.js";

const value = vvalueArb();
const pair = vvaluePairArb();
const scalar = leafArb();
const nonzeroScalar = leafArb().filter((s) => Math.abs(s) > 0.25);
const positive = vvalueArb({ leaf: leafArb({ min: 0.1, max: 4 }) });
const awayFromZero = vvalueArb({ leaf: leafArb().filter((x) => Math.abs(x) > MARGIN) });

type BinaryCase = [string, (a: VValue, b: VValue) => VValue, fc.Arbitrary<[VValue, VValue]>];

/** The binary operations with arguments away from their kinks (max/min: no ties). */
const binaryOps = (): BinaryCase[] => [
  ["add", add, pair],
  ["sub", sub, pair],
  ["mul", mul, pair],
  ["dot", dot, pair],
  ["scale", scale, fc.tuple(scalar, value)],
  ["div", div, fc.tuple(value, nonzeroScalar)],
  ["max", max, pair.filter(([a, b]) => noTies(a, b))],
  ["min", min, pair.filter(([a, b]) => noTies(a, b))],
];

const prop = <T extends unknown[]>(arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, body: (...xs: T) => void) =>
  fc.assert(
    fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), body as unknown as (x: unknown) => void),
    RUNS,
  );

describe("linear operations", () => {
  it("add", () => prop([pair], ([a, b]) => void expectGradientOk(add, [a, b])));
  it("sub", () => prop([pair], ([a, b]) => void expectGradientOk(sub, [a, b])));
  it("neg", () => prop([value], (v) => void expectGradientOk(neg, [v])));
  it("scale (scalar and tree both differentiated)", () =>
    prop([scalar, value], (s, v) => void expectGradientOk(scale, [s, v])));
  it("div (tree and divisor both differentiated)", () =>
    prop([value, nonzeroScalar], (v, s) => void expectGradientOk(div, [v, s])));
  it("linearCombination (coefficients and values differentiated)", () =>
    prop([fc.array(fc.tuple(scalar, value), { maxLength: 4 })], (terms) => {
      const n = terms.length;
      const f = (...xs: VValue[]) => linearCombination(xs.slice(0, n), xs.slice(n));
      expectGradientOk(f, [...terms.map(([c]) => c), ...terms.map(([, v]) => v)]);
    }));
});

describe("products and reductions", () => {
  it("mul", () => prop([pair], ([a, b]) => void expectGradientOk(mul, [a, b])));
  it("mul of a value with itself", () => prop([value], (v) => void expectGradientOk((x) => mul(x, x), [v])));
  it("dot", () => prop([pair], ([a, b]) => void expectGradientOk(dot, [a, b])));
  it("sum", () => prop([value], (v) => void expectGradientOk(sum, [v])));
  it("l1Norm (leaves away from 0)", () => prop([awayFromZero], (v) => void expectGradientOk(l1Norm, [v])));
  it("l2Norm (away from the zero vector)", () =>
    prop([value], (v) => {
      fc.pre(l2Norm(v) > MARGIN || leaves(v).length === 0);
      expectGradientOk(l2Norm, [v]);
    }));
  it("maxNorm (a unique maximal |leaf|)", () =>
    prop([value], (v) => {
      fc.pre(uniqueMaxAbs(v));
      expectGradientOk(maxNorm, [v]);
    }));
});

describe("leafwise nonlinearities", () => {
  it("relu (leaves away from 0)", () => prop([awayFromZero], (v) => void expectGradientOk(relu, [v])));
  it("abs (leaves away from 0)", () => prop([awayFromZero], (v) => void expectGradientOk(abs, [v])));
  it("tanh", () => prop([value], (v) => void expectGradientOk(tanh, [v])));
  it("sigmoid", () => prop([value], (v) => void expectGradientOk(sigmoid, [v])));
  it("exp", () => prop([value], (v) => void expectGradientOk(exp, [v])));
  it("square", () => prop([value], (v) => void expectGradientOk(square, [v])));
  it("log (positive leaves)", () => prop([positive], (v) => void expectGradientOk(log, [v])));
  it("sqrt (positive leaves)", () => prop([positive], (v) => void expectGradientOk(sqrt, [v])));
});

describe("piecewise operations", () => {
  it("max (no ties)", () =>
    prop([pair], ([a, b]) => {
      fc.pre(noTies(a, b));
      expectGradientOk(max, [a, b]);
    }));
  it("min (no ties)", () =>
    prop([pair], ([a, b]) => {
      fc.pre(noTies(a, b));
      expectGradientOk(min, [a, b]);
    }));
  it("clip (leaves away from the bounds)", () =>
    prop([value, scalar, scalar], (v, p, q) => {
      const lo = Math.min(p, q),
        hi = Math.max(p, q);
      fc.pre(awayFrom(v, [lo, hi]));
      expectGradientOk((x) => clip(x, lo, hi), [v]);
    }));
});

describe("access", () => {
  const path = fc.array(keyArb(), { maxLength: 3 });
  it("get (any path, including missing and inherited names)", () =>
    prop([value, path], (v, p) => void expectGradientOk((x) => get(x, ...p), [v])));
  it("get of a path that exists", () =>
    prop([value, fc.nat()], (v, seed) => {
      const p = somePath(v, seed);
      expectGradientOk((x) => get(x, ...p), [v]);
    }));
  it("embed", () => prop([value, path], (v, p) => void expectGradientOk((x) => embed(p, x), [v])));
});

/** A path from the root to some node of `v` (chosen by `seed`). */
function somePath(v: VValue, seed: number): string[] {
  const out: string[] = [];
  let cur = v;
  let s = seed;
  while (typeof cur !== "number") {
    const ks = Object.keys(cur);
    if (ks.length === 0 || s % 4 === 0) break;
    const k = ks[s % ks.length]!;
    out.push(k);
    cur = cur[k]!;
    s = Math.floor(s / 3) + 1;
  }
  return out;
}

/**
 * Second order: the gradient of `Σ tanh(op(...))` is itself differentiated (nested
 * traces), which exercises every rule's pullback written in vgrad operations.
 */
describe("second order (gradients of gradients)", () => {
  const secondOrder =
    (op: (...xs: VValue[]) => VValue) =>
    (...xs: VValue[]): VValue => {
      const gs = gradient((...ys: VValue[]) => sum(tanh(op(...ys))), ...xs);
      const out: Record<string, VValue> = {};
      gs.forEach((g, i) => (out[`d${i}`] = g));
      return out as VValue;
    };
  const unaryCases: Array<[string, (v: VValue) => VValue, fc.Arbitrary<VValue>]> = [
    ["neg", neg, value],
    ["tanh", tanh, value],
    ["sigmoid", sigmoid, value],
    ["exp", exp, vvalueArb({ leaf: leafArb({ min: -2, max: 1 }) })],
    ["square", square, value],
    ["log", log, positive],
    ["sqrt", sqrt, positive],
    ["relu", relu, awayFromZero],
    ["abs", abs, awayFromZero],
    ["sum", sum, value],
    ["l1Norm", l1Norm, awayFromZero],
    ["l2Norm", l2Norm, value.filter((v) => l2Norm(v) > 0.1)],
    ["maxNorm", maxNorm, value.filter((v) => uniqueMaxAbs(v))],
    ["clip", (v) => clip(v, -1, 1), value.filter((v) => awayFrom(v, [-1, 1]))],
    ["get", (v) => get(v, "a"), value],
    ["embed", (v) => embed(["a", "__proto__"], v), value],
  ];
  for (const [name, op, arb] of unaryCases) {
    it(name, () => prop([arb], (v) => void expectGradientOk(secondOrder(op), [v])));
  }
  const binaryCases: BinaryCase[] = [
    ...binaryOps(),
    ["linearCombination", (a, b) => linearCombination([a, 0.5], [b, a]), fc.tuple(scalar, value)],
  ];
  for (const [name, op, arb] of binaryCases) {
    it(name, () => prop([arb], ([a, b]) => void expectGradientOk(secondOrder(op), [a, b])));
  }
});

/** One argument differentiated, the other a constant captured by f (`needs` is partial). */
describe("binary operations with one constant argument", () => {
  const cases = binaryOps();
  for (const [name, op, arb] of cases) {
    it(name, () =>
      prop([arb], ([a, b]) => {
        expectGradientOk((x) => op(x, b), [a]);
        expectGradientOk((y) => op(a, y), [b]);
      }),
    );
  }
});
