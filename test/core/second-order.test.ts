/**
 * Second order everywhere: gradients of gradients of random programs built from every
 * operation (and checkpoint, jit, defineOp, object literals, nested gradients) against
 * central finite differences of their gradients; every rule differentiated in its
 * cotangent (∇ᵤ⟨Jᵀu, v⟩ = J·v); and, where finite differences cannot judge (ties,
 * zeros, bounds, stopGradient), the Hessian the documented convention implies: that
 * of the branch the first derivative takes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abs,
  add,
  checkpoint,
  clip,
  defineOp,
  div,
  dot,
  embed,
  equals,
  exp,
  get,
  gradient,
  jit,
  l1Norm,
  l2Norm,
  leaves,
  linearCombination,
  log,
  mapLeaves,
  max,
  maxNorm,
  min,
  mul,
  neg,
  primal,
  pullback,
  relu,
  scale,
  sigmoid,
  sqrt,
  square,
  stopGradient,
  sub,
  sum,
  tanh,
  where,
  type VValue,
} from "../../src/index.js";
import { keyArb, leafArb, vvalueArb, vvaluePairArb } from "../../src/testing/index.js";
import { makeRng, randomLike } from "../../src/testing/random.js";
import { maxAbsLeaf } from "../../src/vvalue/algebra.js";
import { awayFrom, expectGradientOk, MARGIN, noTies, RUNS, uniqueMaxAbs } from "./helpers.js";

type Fn = (...xs: VValue[]) => VValue;

/** The gradient of a scalar `f` as one tree-valued function: its Jacobian is f's Hessian. */
const gradientTree =
  (f: Fn): Fn =>
  (...xs) => {
    const out: Record<string, VValue> = {};
    gradient(f, ...xs).forEach((g, i) => (out[`d${i}`] = g));
    return out as VValue;
  };

const ones = (v: VValue): VValue => mapLeaves(primal(v), () => 1);

/** A user's op whose backward is written with operations (so it has a second derivative). */
const cube = defineOp(
  "cube",
  (x: VValue) => mapLeaves(x, (v) => v ** 3),
  (g, _ans, x) => [mul(g, scale(3, square(x)))],
);
const block = checkpoint((p: VValue, q: VValue) => tanh(add(mul(p, q), scale(0.5, p))));
const jitted = jit((p: VValue, q: VValue) => sigmoid(sub(mul(p, p), q)));

const OPS = [
  "add",
  "sub",
  "neg",
  "scaleConst",
  "scaleTracked",
  "div",
  "linearCombination",
  "mul",
  "dot",
  "sum",
  "l1Norm",
  "l2Norm",
  "maxNorm",
  "relu",
  "abs",
  "tanh",
  "sigmoid",
  "expTanh",
  "softLog",
  "softSqrt",
  "square",
  "max",
  "min",
  "clip",
  "where",
  "get",
  "embed",
  "literal",
  "checkpoint",
  "jit",
  "defineOp",
  "nestedGradient",
] as const;

interface Instr {
  op: (typeof OPS)[number];
  i: number;
  j: number;
  key: string;
  c: number;
}

const instrArb: fc.Arbitrary<Instr> = fc.record({
  op: fc.constantFrom(...OPS),
  i: fc.nat(),
  j: fc.nat(),
  key: keyArb(),
  c: leafArb({ min: -2, max: 2 }),
});

/**
 * Runs `program` on registers [a, b, s] and returns the registers. With `check`, it
 * records whether every kink was avoided by MARGIN and values stayed moderate.
 */
function run(program: readonly Instr[], a: VValue, b: VValue, s: VValue, check?: { ok: boolean }): VValue[] {
  const regs: VValue[] = [a, b, s];
  const guard = (cond: () => boolean): void => {
    if (check !== undefined && check.ok && !cond()) check.ok = false;
  };
  for (const ins of program) {
    const x = regs[ins.i % regs.length]!;
    const y = regs[ins.j % regs.length]!;
    let r: VValue;
    switch (ins.op) {
      case "add":
        r = add(x, y);
        break;
      case "sub":
        r = sub(x, y);
        break;
      case "neg":
        r = neg(x);
        break;
      case "scaleConst":
        r = scale(ins.c, x);
        break;
      case "scaleTracked":
        r = scale(tanh(sum(y)), x);
        break;
      case "div":
        r = div(x, add(1.5, tanh(sum(y))));
        break;
      case "linearCombination":
        r = linearCombination([ins.c, tanh(sum(x))], [x, y]);
        break;
      case "mul":
        r = mul(x, y);
        break;
      case "dot":
        r = dot(x, y);
        break;
      case "sum":
        r = sum(x);
        break;
      case "l1Norm":
        guard(() => awayFrom(x, [0]));
        r = l1Norm(x);
        break;
      case "l2Norm":
        guard(() => l2Norm(x) > 0.1 || leaves(x).length === 0);
        r = l2Norm(x);
        break;
      case "maxNorm":
        guard(() => uniqueMaxAbs(x));
        r = maxNorm(x);
        break;
      case "relu":
        guard(() => awayFrom(x, [0]));
        r = relu(x);
        break;
      case "abs":
        guard(() => awayFrom(x, [0]));
        r = abs(x);
        break;
      case "tanh":
        r = tanh(x);
        break;
      case "sigmoid":
        r = sigmoid(x);
        break;
      case "expTanh":
        r = exp(tanh(x));
        break;
      case "softLog":
        r = log(add(square(x), ones(x)));
        break;
      case "softSqrt":
        r = sqrt(add(square(x), ones(x)));
        break;
      case "square":
        r = square(x);
        break;
      case "max":
        guard(() => noTies(x, y));
        r = max(x, y);
        break;
      case "min":
        guard(() => noTies(x, y));
        r = min(x, y);
        break;
      case "clip":
        guard(() => awayFrom(x, [-1, 1]));
        r = clip(x, -1, 1);
        break;
      case "where":
        guard(() => awayFrom(x, [0]));
        r = where(x, tanh(y), square(x));
        break;
      case "get":
        r = get(x, ins.key);
        break;
      case "embed":
        r = embed([ins.key, "__proto__"], x);
        break;
      // a computed "__proto__" key is an own key
      case "literal":
        r = { [ins.key]: x, q: { r: tanh(y) } } as VValue;
        break;
      case "checkpoint":
        r = block(x, y);
        break;
      case "jit":
        r = jitted(x, y);
        break;
      case "defineOp":
        r = cube(tanh(x));
        break;
      case "nestedGradient":
        // ∂/∂z Σ tanh(z)·x at z = y, itself differentiated twice below
        r = gradient((z: VValue) => sum(mul(tanh(z), x)), y)[0]!;
        break;
    }
    guard(() => leaves(r).every(([, v]) => Number.isFinite(v) && Math.abs(v) < 100));
    regs.push(r);
  }
  return regs;
}

const programArb = fc.record({
  program: fc.array(instrArb, { minLength: 1, maxLength: 6 }),
  pair: vvaluePairArb({ maxDepth: 2, maxKeys: 3 }),
  s: leafArb({ min: -2, max: 2 }),
});

describe("gradients of gradients of random programs", () => {
  it("agree with central finite differences of the gradient", () => {
    let checked = 0;
    fc.assert(
      fc.property(programArb, ({ program, pair: [a, b], s }) => {
        const check = { ok: true };
        run(program, a, b, s, check);
        fc.pre(check.ok);
        const f = (p: VValue, q: VValue, t: VValue): VValue => {
          const regs = run(program, p, q, t);
          const last = regs[regs.length - 1]!;
          return add(sum(tanh(last)), scale(0.25, dot(last, regs[0]!)));
        };
        expectGradientOk(gradientTree(f), [a, b, s]);
        checked++;
      }),
      RUNS,
    );
    // the kink filter must not have thrown most programs away
    expect(checked).toBeGreaterThan(RUNS.numRuns / 2);
  });
});

type UnaryCase = [string, (v: VValue) => VValue, fc.Arbitrary<VValue>];
type BinaryCase = [string, (a: VValue, b: VValue) => VValue, fc.Arbitrary<[VValue, VValue]>];

const value = vvalueArb();
const pair = vvaluePairArb();
const positive = vvalueArb({ leaf: leafArb({ min: 0.1, max: 4 }) });
const awayFromZero = vvalueArb({ leaf: leafArb().filter((x) => Math.abs(x) > MARGIN) });

const unaryCases: UnaryCase[] = [
  ["neg", neg, value],
  ["scale", (v) => scale(-1.5, v), value],
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
  ["where", (v) => where(v, square(v), neg(v)), awayFromZero],
  ["defineOp", cube, value],
  ["checkpoint", checkpoint((v: VValue) => mul(tanh(v), v)), value],
  ["jit", jit((v: VValue) => mul(sigmoid(v), v)), value],
];

const binaryCases: BinaryCase[] = [
  ["add", add, pair],
  ["sub", sub, pair],
  ["mul", mul, pair],
  ["dot", dot, pair],
  ["scale", scale, fc.tuple(leafArb(), value)],
  [
    "div",
    div,
    fc.tuple(
      value,
      leafArb().filter((s) => Math.abs(s) > 0.25),
    ),
  ],
  ["max", max, pair.filter(([a, b]) => noTies(a, b))],
  ["min", min, pair.filter(([a, b]) => noTies(a, b))],
  ["linearCombination", (a, b) => linearCombination([a, 0.5], [b, a]), fc.tuple(leafArb(), value)],
  ["where", (a, b) => where(b, a, b), pair.filter(([, b]) => awayFrom(b, [0]))],
  ["checkpoint", block, pair],
  ["jit", jitted, pair],
];

/**
 * `∇ᵤ ⟨pullback(op, ...xs).back(u), v⟩` (reverse mode through the rules, with the
 * cotangent tracked) against `J·v` by central differences of op along v.
 */
function expectCotangentDerivativeOk(op: Fn, xs: VValue[], seed: number): void {
  const rng = makeRng(seed);
  const vs = xs.map((x) => randomLike(x, rng));
  const u0 = randomLike(op(...xs), rng);
  const [jvReverse] = gradient((u: VValue) => {
    const bars = pullback(op, ...xs).back(u);
    return bars.reduce((acc: VValue, g, i) => add(acc, dot(g, vs[i]!)), 0);
  }, u0);
  const h = 1e-6;
  const at = (e: number) => op(...xs.map((x, i) => add(x, scale(e, vs[i]!))));
  const jvFd = scale(1 / (2 * h), sub(at(h), at(-h)));
  // J·v restricted to the output's leaves (the gradient in u is shaped like u)
  for (const [path, fd] of leaves(jvFd)) {
    const got = leafAt(jvReverse!, path);
    expect(Math.abs(got - fd), `at ${path.join(".")}: ${got} vs ${fd}`).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(fd)),
    );
  }
}

/** A leaf of a sparse tree (0 when absent; a number where a tree is is its ":number" part). */
function leafAt(v: VValue, path: readonly string[]): number {
  let cur: VValue | undefined = v;
  for (const k of path) {
    if (typeof cur === "number") return k === ":number" ? cur : 0;
    cur = Object.hasOwn(cur, k) ? cur[k] : undefined;
    if (cur === undefined) return 0;
  }
  return typeof cur === "number" ? cur : leafAt(cur, [":number"]);
}

const prop = <T extends unknown[]>(arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, body: (...xs: T) => void) =>
  fc.assert(
    fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), body as unknown as (x: unknown) => void),
    RUNS,
  );

describe("every rule, differentiated again", () => {
  const sumTanh =
    (op: Fn): Fn =>
    (...xs) =>
      sum(tanh(op(...xs)));
  for (const [name, op, arb] of unaryCases) {
    it(`${name}: the Hessian of Σ tanh(op) agrees with finite differences of the gradient`, () =>
      prop([arb], (v) => void expectGradientOk(gradientTree(sumTanh(op)), [v])));
    it(`${name}: differentiated in its cotangent, gives J·v`, () =>
      prop([arb, fc.nat()], (v, seed) => expectCotangentDerivativeOk(op, [v], seed)));
  }
  for (const [name, op, arb] of binaryCases) {
    it(`${name}: the Hessian of Σ tanh(op) agrees with finite differences of the gradient`, () =>
      prop([arb], ([a, b]) => void expectGradientOk(gradientTree(sumTanh(op)), [a, b])));
    it(`${name}: differentiated in its cotangent, gives J·v`, () =>
      prop([arb, fc.nat()], ([a, b], seed) => expectCotangentDerivativeOk(op, [a, b], seed)));
  }
});

/**
 * `f`'s Hessian at `xs` equals `branch`'s: their gradients' pullbacks agree for a few
 * random cotangents (exactly: the convention's masks are 0 and 1).
 */
function expectSameHessian(f: Fn, branch: Fn, xs: VValue[]): void {
  const rng = makeRng(7);
  const pf = pullback(gradientTree(f), ...xs);
  const pb = pullback(gradientTree(branch), ...xs);
  for (let k = 0; k < 3; k++) {
    const u = randomLike(pf.value, rng);
    const got = pf.back(u),
      want = pb.back(u);
    got.forEach((g, i) => expect(equals(g, want[i]!, { tolerance: 1e-12 }), `argument ${i}`).toBe(true));
  }
}

describe("at kinks, the Hessian is that of the branch the gradient takes", () => {
  const zeros = (v: VValue): VValue => mapLeaves(v, () => 0);
  const outer = (x: VValue): VValue => sum(exp(x)); // exp'' ≠ 0 everywhere

  it("max and min on ties: a's branch (b gets nothing)", () =>
    prop([value], (v) => {
      expectSameHessian(
        (a, b) => outer(max(a, b)),
        (a) => outer(a),
        [v, v],
      );
      expectSameHessian(
        (a, b) => outer(min(a, b)),
        (a) => outer(a),
        [v, v],
      );
    }));
  it("relu at 0: the identity's branch; abs and l1Norm at 0: a constant's", () =>
    prop([value], (v) => {
      const z = zeros(v);
      expectSameHessian(
        (x) => outer(relu(x)),
        (x) => outer(x),
        [z],
      );
      expectSameHessian(
        (x) => outer(abs(x)),
        () => outer(z),
        [z],
      );
      expectSameHessian(
        (x) => exp(l1Norm(x)),
        () => 1,
        [z],
      );
    }));
  it("clip at its (inclusive) bounds: the identity's branch", () =>
    prop([value], (v) => {
      const atBounds = mapLeaves(v, (x) => (x < 0 ? -1 : 1));
      expectSameHessian(
        (x) => outer(clip(x, -1, 1)),
        (x) => outer(x),
        [atBounds],
      );
    }));
  it("maxNorm on ties: the first maximal leaf's branch", () =>
    prop([value], (v) => {
      // every leaf ±1: all maximal
      const tied = mapLeaves(v, (x) => (x < 0 ? -1 : 1));
      const { path } = maxAbsLeaf(tied);
      const branch = (x: VValue): VValue =>
        path === null ? 1 : exp(scale(Math.sign(get(tied, ...path) as number), get(x, ...path)));
      expectSameHessian((x) => exp(maxNorm(x)), branch, [tied]);
    }));
  it("l2Norm at the zero vector: a constant's (no NaN)", () =>
    prop([value], (v) => {
      const z = zeros(v);
      expectSameHessian(
        (x) => exp(l2Norm(x)),
        () => 1,
        [z],
      );
    }));
  it("where with a condition at 0: b's branch", () =>
    prop([pair], ([a, b]) => {
      expectSameHessian(
        (p, q) => outer(where(zeros(b), p, q)),
        (_p, q) => outer(q),
        [a, b],
      );
    }));
  it("stopGradient: the stopped value is a constant in every enclosing differentiation", () =>
    prop([value], (v) => {
      // ∇ Σ x²·sg(x) = 2x·sg(x), whose derivative is 2·sg(x) (not 6x)
      expectSameHessian(
        (x) => sum(mul(square(x), stopGradient(x))),
        (x) => sum(mul(square(x), v)),
        [v],
      );
      expectSameHessian(
        (x) => sum(mul(x, stopGradient(x))),
        () => 0,
        [v],
      );
    }));
  it("empty trees: the Hessian of a function of {} is {}; an empty subtree gets nothing", () => {
    const [h] = gradient((x: VValue) => sum(gradient((y: VValue) => dot(y, y), x)[0]!), {});
    expect(h).toEqual({});
    const { back } = pullback(
      gradientTree((x) => sum(square(x))),
      { a: {}, b: 3 },
    );
    // ∇ = 2x, so the pullback of u is 2u on the leaves
    expect(back({ d0: { a: {}, b: 5 } })).toEqual([{ b: 10 }]);
  });
});
