/**
 * Every operation's forward rule (`jvp`): against central finite differences along
 * random tangents (dense and sparse), against reverse mode (⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩), and
 * its value against the plain call, on random V-values with special keys, zeros, ties,
 * empty trees and number-meets-tree cases; then forward-over-reverse (`hvp`) per
 * operation against reverse-over-reverse. Points of non-differentiability are
 * filtered out, as in ops-gradients.test.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  abs,
  add,
  checkpoint,
  clip,
  div,
  dot,
  embed,
  exp,
  get,
  gradient,
  hvp,
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
  where,
  type VValue,
} from "../../src/index.js";
import { keyArb, leafArb, vvalueArb, vvaluePairArb } from "../../src/testing/index.js";
import { expectJvpOk, expectSame, tangentsArb } from "./forward-helpers.js";
import { awayFrom, MARGIN, noTies, RUNS, uniqueMaxAbs } from "./helpers.js";

type Fn = (...xs: VValue[]) => VValue;

const value = vvalueArb();
const pair = vvaluePairArb();
const scalar = leafArb();
const nonzeroScalar = leafArb().filter((s) => Math.abs(s) > 0.25);
const positive = vvalueArb({ leaf: leafArb({ min: 0.1, max: 4 }) });
const awayFromZero = vvalueArb({ leaf: leafArb().filter((x) => Math.abs(x) > MARGIN) });

/** Arguments drawn by `args`, and tangents for them. */
function withTangents(args: fc.Arbitrary<VValue[]>): fc.Arbitrary<[VValue[], VValue[]]> {
  return args.chain((xs) => tangentsArb(xs).map((ts) => [xs, ts] as [VValue[], VValue[]]));
}

/** Asserts the forward rule of `f` at arguments drawn by `args`. */
function forwardOk(f: Fn, args: fc.Arbitrary<VValue[]>): void {
  fc.assert(
    fc.property(withTangents(args), ([xs, ts]) => expectJvpOk(f, xs, ts)),
    RUNS,
  );
}

const one = (a: fc.Arbitrary<VValue>) => a.map((x) => [x]);
const two = (a: fc.Arbitrary<[VValue, VValue]>) => a.map(([x, y]) => [x, y]);

type Case = [string, Fn, fc.Arbitrary<VValue[]>];

const unary: Case[] = [
  ["neg", neg, one(value)],
  ["tanh", tanh, one(value)],
  ["sigmoid", sigmoid, one(value)],
  ["exp", exp, one(value)],
  ["square", square, one(value)],
  ["log (positive leaves)", log, one(positive)],
  ["sqrt (positive leaves)", sqrt, one(positive)],
  ["relu (leaves away from 0)", relu, one(awayFromZero)],
  ["abs (leaves away from 0)", abs, one(awayFromZero)],
  ["sum", sum, one(value)],
  ["l1Norm (leaves away from 0)", l1Norm, one(awayFromZero)],
  ["l2Norm (away from the zero vector)", l2Norm, one(value.filter((v) => l2Norm(v) > 0.1 || leaves(v).length === 0))],
  ["maxNorm (a unique maximal |leaf|)", maxNorm, one(value.filter((v) => uniqueMaxAbs(v)))],
  ["clip (leaves away from the bounds)", (v) => clip(v, -1, 1), one(value.filter((v) => awayFrom(v, [-1, 1])))],
  ["get of a key that may be missing or inherited", (v) => get(v, "a", "__proto__"), one(value)],
  ["embed", (v) => embed(["a", "__proto__"], v), one(value)],
];

const binary: Case[] = [
  ["add", add, two(pair)],
  ["sub", sub, two(pair)],
  ["mul", mul, two(pair)],
  ["mul of a value with itself", (x) => mul(x, x), one(value)],
  ["dot", dot, two(pair)],
  ["scale (scalar and tree)", scale, two(fc.tuple(scalar, value))],
  ["div (tree and divisor)", div, two(fc.tuple(value, nonzeroScalar))],
  ["max (no ties)", max, two(pair.filter(([a, b]) => noTies(a, b)))],
  ["min (no ties)", min, two(pair.filter(([a, b]) => noTies(a, b)))],
];

describe("forward rules against finite differences and reverse mode", () => {
  for (const [name, f, args] of [...unary, ...binary]) it(name, () => forwardOk(f, args));

  it("linearCombination (coefficients and values)", () =>
    forwardOk(
      (...xs) => linearCombination(xs.slice(0, xs.length / 2), xs.slice(xs.length / 2)),
      fc
        .array(fc.tuple(scalar, value), { maxLength: 4 })
        .map((terms) => [...terms.map(([c]) => c), ...terms.map(([, v]) => v)]),
    ));

  it("get at a path that exists, and at any path", () =>
    forwardOk((v) => add(get(v, "a"), get(v, "b", ":number")), one(vvalueArb({ pool: ["a", "b", ":number"] }))));

  it("get at random paths, including special keys", () =>
    fc.assert(
      fc.property(withTangents(one(value)), fc.array(keyArb(), { maxLength: 3 }), ([xs, ts], p) =>
        expectJvpOk((v) => get(v, ...p), xs, ts),
      ),
      RUNS,
    ));

  it("where (the condition held away from 0, and given a tangent that has no effect)", () =>
    forwardOk(
      where,
      fc
        .tuple(vvaluePairArb({ shape: "same" }), value)
        .filter(([[c]]) => awayFrom(c, [0]))
        .map(([[c, a], b]) => [c, a, b]),
    ));

  it("object literals of tracked values and constants (pack)", () =>
    forwardOk((x, y) => ({ ["__proto__"]: x, c: 3, q: { r: y, s: {} } }) as VValue, two(pair)));

  it("checkpoint", () => {
    const block = checkpoint((p: VValue, q: VValue) => tanh(add(mul(p, q), scale(0.5, p))));
    forwardOk(block, two(pair));
  });
});

/** Binary operations with one argument a constant (its tangent is a structural zero in the rule). */
describe("forward rules with one constant argument", () => {
  for (const [name, f, args] of binary) {
    if (name.startsWith("mul of")) continue;
    it(name, () =>
      fc.assert(
        fc.property(withTangents(args), ([[a, b], [ta, tb]]) => {
          expectJvpOk((x) => f(x, b!), [a!], [ta!]);
          expectJvpOk((y) => f(a!, y), [b!], [tb!]);
        }),
        RUNS,
      ),
    );
  }
});

/**
 * Forward-over-reverse: `hvp` of `Σ tanh(op(...))` (a jvp of its gradient, through every
 * reverse rule's forward rules) against reverse-over-reverse (a gradient of ⟨∇f, v⟩).
 */
describe("hvp per operation equals reverse-over-reverse", () => {
  const cases: Case[] = [
    ...unary,
    ...binary,
    ["linearCombination", (a, b) => linearCombination([a!, 0.5], [b!, a!]), two(fc.tuple(scalar, value))],
    ["where", (a, b) => where(a!, square(a!), mul(a!, b!)), two(pair.filter(([a]) => awayFrom(a, [0])))],
  ];
  for (const [name, op, args] of cases) {
    it(name, () =>
      fc.assert(
        fc.property(withTangents(args), ([xs, vs]) => {
          const f = (...ys: VValue[]) => sum(tanh(op(...ys)));
          const forwardOverReverse = hvp(f, xs, vs);
          const reverseOverReverse = gradient(
            (...ys: VValue[]) => gradient(f, ...ys).reduce<VValue>((s, g, i) => add(s, dot(g, vs[i]!)), 0),
            ...xs,
          );
          forwardOverReverse.forEach((h, i) => expectSame(`argument ${i}`, h, reverseOverReverse[i]!));
        }),
        RUNS,
      ),
    );
  }
});
