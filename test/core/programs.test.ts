/**
 * Composed random programs: random sequences of operations over random trees, with
 * control flow, loops, object literals, checkpoints and nested gradients, checked
 * against finite differences and the dot-product test. Programs whose intermediate
 * values come near a kink (relu/abs at 0, ties in max/min, clip bounds, a branch
 * condition near 0) are discarded, since finite differences cannot judge there.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
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
import { keyArb, leafArb, vvaluePairArb } from "../../src/testing/index.js";
import { awayFrom, expectGradientOk, MARGIN, noTies, RUNS, uniqueMaxAbs } from "./helpers.js";

const OPS = [
  "add",
  "sub",
  "neg",
  "scaleConst",
  "scaleTracked",
  "mul",
  "dot",
  "sum",
  "tanh",
  "sigmoid",
  "square",
  "expTanh",
  "softSqrt",
  "softLog",
  "relu",
  "abs",
  "max",
  "min",
  "clip",
  "div",
  "linearCombination",
  "get",
  "embed",
  "literal",
  "literalGet",
  "branch",
  "loop",
  "checkpoint",
  "l2Norm",
  "l1Norm",
  "maxNorm",
  "nestedGradient",
] as const;
type Op = (typeof OPS)[number];

interface Instr {
  op: Op;
  i: number;
  j: number;
  key: string;
  c: number;
  n: number;
}

const instrArb: fc.Arbitrary<Instr> = fc.record({
  op: fc.constantFrom(...OPS),
  i: fc.nat(),
  j: fc.nat(),
  key: keyArb(),
  c: leafArb({ min: -2, max: 2 }),
  n: fc.integer({ min: 1, max: 3 }),
});

const block = checkpoint((p: VValue, q: VValue) => tanh(add(mul(p, q), scale(0.5, p))));
const onesLike = (v: VValue) => mapLeaves(primal(v), () => 1);

/**
 * Runs `program` on registers [a, b, s]. With `check`, it also reports whether every
 * kink was avoided by MARGIN and all values stayed moderate (set in the plain run).
 */
function run(program: readonly Instr[], a: VValue, b: VValue, s: VValue, check?: { ok: boolean }): VValue[] {
  const regs: VValue[] = [a, b, s];
  const guard = (cond: () => boolean) => {
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
      case "mul":
        r = mul(x, y);
        break;
      case "dot":
        r = dot(x, y);
        break;
      case "sum":
        r = sum(x);
        break;
      case "tanh":
        r = tanh(x);
        break;
      case "sigmoid":
        r = sigmoid(x);
        break;
      case "square":
        r = square(x);
        break;
      case "expTanh":
        r = exp(tanh(x));
        break;
      case "softSqrt":
        r = sqrt(add(square(x), onesLike(x)));
        break;
      case "softLog":
        r = log(add(square(x), onesLike(x)));
        break;
      case "relu":
        guard(() => awayFrom(x, [0]));
        r = relu(x);
        break;
      case "abs":
        guard(() => awayFrom(x, [0]));
        r = abs(x);
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
      case "div":
        r = div(x, add(1.5, tanh(sum(y))));
        break;
      case "linearCombination":
        r = linearCombination([ins.c, tanh(sum(x))], [x, y]);
        break;
      case "get":
        r = get(x, ins.key);
        break;
      case "embed":
        r = embed([ins.key], x);
        break;
      // a computed "__proto__" key is an own key, not a prototype
      case "literal":
        r = { [ins.key]: x, q: { r: y } } as VValue;
        break;
      case "literalGet": {
        const o = { first: x, second: { deep: tanh(y) } } as VValue;
        r = add(get(o, "second", "deep"), get(o, "first"));
        break;
      }
      case "branch": {
        const c = primal(sum(x)) as number;
        guard(() => Math.abs(c) > MARGIN);
        r = c > 0 ? tanh(x) : scale(-0.5, x);
        break;
      }
      case "loop": {
        let acc = x;
        for (let k = 0; k < ins.n; k++) acc = add(scale(0.5, acc), tanh(y));
        r = acc;
        break;
      }
      case "checkpoint":
        r = block(x, y);
        break;
      case "l2Norm":
        guard(() => l2Norm(x) > MARGIN || leaves(x).length === 0);
        r = l2Norm(x);
        break;
      case "l1Norm":
        guard(() => awayFrom(x, [0]));
        r = l1Norm(x);
        break;
      case "maxNorm":
        guard(() => uniqueMaxAbs(x));
        r = maxNorm(x);
        break;
      case "nestedGradient":
        // ∂/∂z Σ tanh(z)·x at z = y: differentiable in x and (second order) in y
        r = gradient((z) => sum(mul(tanh(z), x)), y)[0]!;
        break;
    }
    guard(() => leaves(r).every(([, v]) => Number.isFinite(v) && Math.abs(v) < 1e3));
    regs.push(r);
  }
  return regs;
}

const programArb = fc.record({
  program: fc.array(instrArb, { minLength: 1, maxLength: 8 }),
  pair: vvaluePairArb({ maxDepth: 2, maxKeys: 3 }),
  s: leafArb({ min: -2, max: 2 }),
  treeOutput: fc.boolean(),
});

describe("composed random programs", () => {
  it("reverse mode agrees with finite differences and the dot-product test", () => {
    let checked = 0;
    fc.assert(
      fc.property(programArb, ({ program, pair: [a, b], s, treeOutput }) => {
        const check = { ok: true };
        run(program, a, b, s, check);
        fc.pre(check.ok);
        const f = (p: VValue, q: VValue, t: VValue): VValue => {
          const regs = run(program, p, q, t);
          const last = regs[regs.length - 1]!;
          if (treeOutput) return { out: last, prev: regs[regs.length - 2]! } as VValue;
          return add(sum(last), scale(0.25, dot(last, regs[0]!)));
        };
        expectGradientOk(f, [a, b, s]);
        checked++;
      }),
      RUNS,
    );
    // the kink filter must not have thrown most programs away
    expect(checked).toBeGreaterThan(RUNS.numRuns / 2);
  });

  it("gradient of a program equals the sum of gradients of its additive parts", () => {
    fc.assert(
      fc.property(programArb, ({ program, pair: [a, b], s }) => {
        const check = { ok: true };
        run(program, a, b, s, check);
        fc.pre(check.ok);
        const part1 = (p: VValue, q: VValue, t: VValue) => sum(run(program, p, q, t).at(-1)!);
        const part2 = (p: VValue, q: VValue, t: VValue) => dot(run(program, p, q, t).at(-1)!, p);
        const whole = (p: VValue, q: VValue, t: VValue) => add(part1(p, q, t), part2(p, q, t));
        const g = gradient(whole, a, b, s);
        const g1 = gradient(part1, a, b, s);
        const g2 = gradient(part2, a, b, s);
        g.forEach((gi, i) => {
          const tol = 1e-9 * Math.max(1, ...leaves(gi).map(([, x]) => Math.abs(x)));
          expect(leaves(sub(gi, add(g1[i]!, g2[i]!))).every(([, d]) => Math.abs(d) <= tol)).toBe(true);
        });
      }),
      { numRuns: 50 },
    );
  });
});
