/**
 * jit against eager mode. A jitted function traces once per input structure and
 * replays the compiled program afterwards, so each property calls it first on one set
 * of inputs (the trace) and then on NEW values of the same structure (the replay), and
 * holds both to eager mode on the same values: leaves to 1e-12 relative (NaN = NaN),
 * the same leaf sets (an absent leaf stays absent, a present zero present) and kinds.
 * Value-dependent control flow must be caught, a new structure must trace again.
 *
 * Deterministic: a fixed seed and explicit run counts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as V from "../../src/index.js";
import {
  add,
  checkpoint,
  defineOp,
  dot,
  get,
  gradient,
  jit,
  mul,
  neg,
  primal,
  pullback,
  scale,
  stopGradient,
  sum,
  tanh,
  valueAndGradient,
  type VValue,
} from "../../src/index.js";
import { leafArb, vvalueArb } from "../../src/testing/index.js";
import { show } from "../model/programs.js";
import { expectAgree } from "./agree.js";
import { caseArb, functionsOf, hostileLeaf, type Case } from "./cases.js";
import { mapLeavesOf, relabelArb, sparsify, structureKey, withLeaves } from "./relabel.js";

const SEED = 7;

type Fn = (...xs: VValue[]) => VValue;

/** valueAndGradient of jitted `j` against eager `f` at `xs`. */
function expectSameGradient(what: string, j: Fn, f: Fn, xs: VValue[], context: string): void {
  const want = valueAndGradient(f, ...xs);
  const got = valueAndGradient(j, ...xs);
  expectAgree(`${what}: value`, got.value, want.value, context);
  expect(got.gradient.length).toBe(xs.length);
  want.gradient.forEach((g, i) => expectAgree(`${what}: gradient[${i}]`, got.gradient[i], g, context));
}

describe("jit replays random programs as eager mode computes them", () => {
  it("values: the trace's call, then new values of the same structure", () => {
    fc.assert(
      fc.property(caseArb(), (c: Case) => {
        const { registers, describe } = functionsOf(c);
        const j = jit(registers);
        expectAgree("first call (trace)", j(...c.inputs), registers(...c.inputs), describe());
        expect(j.traces).toBe(1);
        const got = j(...c.fresh);
        expectAgree("new values (replay)", got, registers(...c.fresh), describe());
        expect(j.traces, "a replay of the same structure must not trace again").toBe(1);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("valueAndGradient: traced, then replayed on new values", () => {
    fc.assert(
      fc.property(caseArb(), (c: Case) => {
        const { scalar, describe } = functionsOf(c);
        const j = jit(scalar);
        expectSameGradient("first call (trace)", j, scalar, c.inputs, describe());
        const traces = j.traces;
        expectSameGradient("new values (replay)", j, scalar, c.fresh, describe());
        expect(j.traces, "a replay of the same structure must not trace again").toBe(traces);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("pullback: a full and a sparse cotangent of the output's structure, traced, then replayed on new values", () => {
    fc.assert(
      fc.property(caseArb(), (c: Case) => {
        const { registers, describe } = functionsOf(c);
        const j = jit(registers);
        const out = registers(...c.inputs);
        const u1 = withLeaves(out, c.cotangent);
        const u2 = withLeaves(out, c.cotangent2);
        const s1 = sparsify(u1, c.keep);
        const s2 = sparsify(u2, c.keep);
        const check = (xs: VValue[], us: VValue[], when: string): void => {
          const got = pullback(j, ...xs);
          const want = pullback(registers, ...xs);
          const context = describe({ u: us[0], "sparse u": us[1] });
          expectAgree(`${when}: value`, got.value, want.value, context);
          for (const u of us) {
            const g = got.back(u);
            const w = want.back(u);
            w.forEach((wi, i) => expectAgree(`${when}: back(${show(u)})[${i}]`, g[i], wi, context));
          }
        };
        check(c.inputs, [u1, s1], "first call (trace)");
        const traces = j.traces;
        check(c.fresh, [u2, s2], "new values (replay)");
        expect(j.traces, "a replay of the same structures must not trace again").toBe(traces);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe("value-dependent control flow is caught", () => {
  const nonzero = leafArb({ min: 0.01, max: 4, specialValues: false });
  const PRIMAL = /primal\(\)/;

  /**
   * `f` under jit: right on `a` (the trace); on `b`, where f takes another path, an
   * Error naming primal() by default, and eager's result with onValueChange "retrace".
   */
  function expectCaught(f: Fn, a: VValue[], b: VValue[]): void {
    const j = jit(f);
    expectAgree("first call", j(...a), f(...a));
    expect(() => j(...b)).toThrow(PRIMAL);
    const r = jit(f, { onValueChange: "retrace" });
    expectAgree("retrace: first call", r(...a), f(...a));
    expectAgree("retrace: other path", r(...b), f(...b));
    expect(r.traces).toBe(2);
    // the same under differentiation
    const jg = jit(f);
    const scalarF: Fn = (...xs) => sum(f(...xs));
    const js = jit(scalarF);
    expectSameGradient("gradient, first call", js, scalarF, a, "");
    expect(() => valueAndGradient(js, ...b)).toThrow(PRIMAL);
    const rs = jit(scalarF, { onValueChange: "retrace" });
    expectSameGradient("retrace: gradient, first call", rs, scalarF, a, "");
    expectSameGradient("retrace: gradient, other path", rs, scalarF, b, "");
    // pullback with a cotangent of the output's structure
    const u = V.mapLeaves(f(...a), () => 1);
    expectAgree("pullback, first call", pullback(jg, ...a).back(u)[0], pullback(f, ...a).back(u)[0]!);
    expect(() => pullback(jg, ...b).back(u)).toThrow(PRIMAL);
  }

  it("a branch on primal(x) of a number", () => {
    const f: Fn = (x) => ((primal(x) as number) > 0 ? mul(x, x) : neg(x));
    fc.assert(
      fc.property(nonzero, nonzero, fc.boolean(), (p, q, positiveFirst) => {
        const [a, b] = positiveFirst ? [p, -q] : [-p, q];
        expectCaught(f, [a], [b]);
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it("a branch on primal() of a leaf of a tree, of a derived value, and of stopGradient(x)", () => {
    const onLeaf: Fn = (t) => ((primal(get(t, "a")) as number) > 0 ? scale(2, t) : tanh(t));
    const onSum: Fn = (t) => ((primal(sum(mul(t, t))) as number) > 1 ? scale(2, t) : tanh(t));
    const onStopped: Fn = (t) => ((primal(get(stopGradient(t), "a")) as number) > 0 ? scale(2, t) : tanh(t));
    fc.assert(
      fc.property(nonzero, nonzero, leafArb(), (p, q, y) => {
        expectCaught(onLeaf, [{ a: p, b: y }], [{ a: -q, b: y }]);
        expectCaught(onStopped, [{ a: -p, b: y }], [{ a: q, b: y }]);
        expectCaught(onSum, [{ a: 2 + p, b: y }], [{ a: 0.5 / (1 + q), b: 0 }]);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it("a key chosen from a number: get(t, String(primal(get(t, 'i'))))", () => {
    const f: Fn = (t) => mul(get(t, String(primal(get(t, "i")))), get(t, "w"));
    const tree = (i: number, xs: number[]): VValue => ({ i, w: xs[0]!, "0": xs[1]!, "1": xs[2]!, "2": xs[3]! });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        fc.array(leafArb(), { minLength: 4, maxLength: 4 }),
        (i, step, xs) => expectCaught(f, [tree(i, xs)], [tree((i + step) % 3, xs)]),
      ),
      { seed: SEED, numRuns: 30 },
    );
  });

  describe("a branch on primal() of a cotangent inside a defineOp backward", () => {
    // the backward pass is control flow too: its path depends on the cotangent's sign
    const twice = defineOp(
      "twiceWithSignedBackward",
      (x: VValue) => V.mapLeaves(x, (v) => 2 * v),
      (g, _ans, _x) => [(primal(g) as number) > 0 ? scale(2, g) : scale(3, g)],
    );
    const f: Fn = (x) => twice(x);
    const eager = (x: VValue, u: VValue) => pullback(f, x).back(u)[0]!;

    it("a cotangent on the other side gives eager's result or an Error naming primal()", () => {
      fc.assert(
        fc.property(leafArb(), fc.constantFrom(-1, 0, 1), nonzero, (x, u0, q) => {
          const u1 = u0 > 0 ? -q : q;
          const j = jit(f);
          expectAgree("trace", pullback(j, x).back(u0)[0], eager(x, u0));
          let got: VValue | undefined;
          try {
            got = pullback(j, x).back(u1)[0];
          } catch (e) {
            expect((e as Error).message).toMatch(PRIMAL);
          }
          if (got !== undefined) expectAgree(`back(${u1}) after tracing back(${u0})`, got, eager(x, u1));
          const r = jit(f, { onValueChange: "retrace" });
          expectAgree("retrace: trace", pullback(r, x).back(u0)[0], eager(x, u0));
          expectAgree(`retrace: back(${u1}) after tracing back(${u0})`, pullback(r, x).back(u1)[0], eager(x, u1));
        }),
        { seed: SEED, numRuns: 30 },
      );
    });

    it("the same cotangent again replays (its guard holds)", () => {
      fc.assert(
        fc.property(leafArb(), leafArb(), fc.constantFrom(-1, 0, 1), (x, y, u) => {
          const j = jit(f);
          expectAgree("trace", pullback(j, x).back(u)[0], eager(x, u));
          const traced = j.traces;
          expectAgree(`back(${u}) again`, pullback(j, y).back(u)[0], eager(y, u));
          expect(j.traces).toBe(traced);
        }),
        { seed: SEED, numRuns: 30 },
      );
    });
  });

  it("values that do not depend on the arguments are no guards: closure constants, counters", () => {
    const table: VValue = { "0": 0.5, "1": -2, "2": 3, k: 1 };
    const f: Fn = (x) => {
      let acc = x;
      let n: VValue = 0;
      for (let s = 0; s < 3; s++) {
        // a counter from constants, read with primal to pick a key, as the DMM's timer
        acc = add(acc, scale(get(table, String(primal(n))), tanh(acc)));
        n = add(n, 1);
      }
      return (primal(get(table, "k")) as number) > 0 ? acc : neg(acc);
    };
    const scalarF: Fn = (x) => sum(f(x));
    const j = jit(f, { maxStructures: 1000 });
    const js = jit(scalarF, { maxStructures: 1000 });
    const structures = new Set<string>();
    fc.assert(
      fc.property(vvalueArb({ maxDepth: 2 }), fc.array(leafArb(), { minLength: 1, maxLength: 20 }), (x, xs) => {
        const y = withLeaves(x, xs);
        structures.add(structureKey([x]));
        expectAgree("value", j(x), f(x));
        expectSameGradient("gradient", js, scalarF, [x], "");
        const traced = [j.traces, js.traces];
        expectAgree("value, new leaves", j(y), f(y));
        expectSameGradient("gradient, new leaves", js, scalarF, [y], "");
        expect([j.traces, js.traces], "new leaves of a traced structure replay").toEqual(traced);
      }),
      { seed: SEED, numRuns: 40 },
    );
    // one plain program per structure, never one for a value
    expect(j.traces).toBe(structures.size);
    const k = jit(f);
    for (let s = 0; s < 10; s++) k({ a: s - 5, b: { c: 1 / (s + 1) } });
    expect(k.traces).toBe(1);
  });
});

describe("a new structure traces again", () => {
  const shape = { maxDepth: 3, maxKeys: 3, leaf: hostileLeaf, treesUnderNumberKey: true };
  /** Another input of the same kind (number or tree), the same structure or not. */
  const otherArb = (v: VValue): fc.Arbitrary<VValue> =>
    fc.oneof(
      relabelArb(v, hostileLeaf),
      vvalueArb(shape).filter((w) => (typeof w === "number") === (typeof v === "number")),
    );

  it("random programs on inputs of another structure give eager's result; traces counts programs", () => {
    const arb = caseArb().chain((c) => fc.tuple(fc.constant(c), fc.tuple(...c.inputs.map(otherArb))));
    fc.assert(
      fc.property(arb, ([c, other]) => {
        const { registers, describe } = functionsOf(c);
        const j = jit(registers);
        j(...c.inputs);
        const context = describe({ "other inputs": other });
        expectAgree("other structure", j(...other), registers(...other), context);
        const changed = structureKey(other) !== structureKey(c.inputs);
        expect(j.traces).toBe(changed ? 2 : 1);
        // the first structure is still compiled: new values of it replay
        expectAgree("first structure again", j(...c.fresh), registers(...c.fresh), context);
        expect(j.traces).toBe(changed ? 2 : 1);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("a tree changed in place between calls (a key added, a key deleted) gives eager's result", () => {
    const arb = caseArb().filter((c) => c.inputs.some((v) => typeof v !== "number"));
    fc.assert(
      fc.property(arb, (c) => {
        const { registers, describe } = functionsOf(c);
        const j = jit(registers);
        // copies, so that fast-check's own values stay as drawn
        const xs = c.inputs.map((v) => mapLeavesOf(v, (x) => x)!);
        const i = xs.findIndex((v) => typeof v !== "number");
        const t = xs[i] as Record<string, VValue>;
        const context = describe({ "changed input": i });
        j(...xs);
        Object.defineProperty(t, "zz", { value: 1.5, enumerable: true, writable: true, configurable: true });
        expectAgree("a key added", j(...xs), registers(...xs), context);
        const first = Object.keys(t)[0]!;
        delete t[first];
        expectAgree(`key ${JSON.stringify(first)} deleted`, j(...xs), registers(...xs), context);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("key order and number versus {':number': x} are structure", () => {
    const f: Fn = (t) => scale(2, t);
    const j = jit(f);
    const calls: VValue[] = [{ a: 1, b: 2 }, { b: 3, a: 4 }, 5, { ":number": 6 }, { a: {}, b: 1 }, { a: 1, b: 2 }];
    for (const x of calls) {
      const got = j(x);
      expectAgree(show(x), got, f(x));
      if (typeof got !== "number") expect(Object.keys(got)).toEqual(Object.keys(f(x) as object));
    }
    expect(j.traces).toBe(5);
  });

  it("maxStructures bounds the cache: the least recently used structure is dropped", () => {
    const f: Fn = (t) => sum(tanh(t));
    const s1 = { a: 1 },
      s2 = { b: 1 },
      s3 = { c: 1 };
    const j = jit(f, { maxStructures: 2 });
    const call = (x: VValue) => expectAgree(show(x), j(x), f(x));
    call(s1);
    call(s2);
    expect(j.traces).toBe(2);
    call({ a: 2 }); // s1 replayed: now the most recently used
    expect(j.traces).toBe(2);
    call(s3); // drops s2
    expect(j.traces).toBe(3);
    call({ a: 3 });
    call({ c: -1 });
    expect(j.traces).toBe(3);
    call({ b: 0.5 }); // s2 was dropped: traced again
    expect(j.traces).toBe(4);
    const one = jit(f, { maxStructures: 1 });
    one(s1);
    one(s2);
    one(s1);
    expect(one.traces).toBe(3);
  });
});

describe("nesting", () => {
  /** Σᵢ ⟨∇ᵢ f(xs), wᵢ⟩: a scalar function of the gradient. */
  const gradientDot =
    (f: Fn, ws: VValue[]): Fn =>
    (...xs) => {
      const gs = gradient(f, ...xs);
      return gs.map((g, i) => dot(g, ws[i]!)).reduce((s, d) => add(s, d), 0 as VValue);
    };
  const slowRuns = { seed: SEED, numRuns: 80 };

  it("second order: the gradient of a gradient of a jitted function equals eager's", () => {
    fc.assert(
      fc.property(caseArb(4), (c) => {
        const { scalar, describe } = functionsOf(c);
        const j = jit(scalar);
        const ws = c.fresh;
        for (const xs of [c.inputs, c.fresh]) {
          expectSameGradient("second order", gradientDot(j, ws), gradientDot(scalar, ws), xs, describe());
        }
      }),
      slowRuns,
    );
  });

  it("jit of a function taking the gradient of a jitted function, and its gradient", () => {
    fc.assert(
      fc.property(caseArb(4), (c) => {
        const { scalar, describe } = functionsOf(c);
        const inner = jit(scalar);
        const eager = gradientDot(scalar, c.fresh);
        const outer = jit(gradientDot(inner, c.fresh));
        for (const xs of [c.inputs, c.fresh]) {
          expectAgree("value", outer(...xs), eager(...xs), describe());
          expectSameGradient("gradient", outer, eager, xs, describe());
        }
      }),
      slowRuns,
    );
  });

  it("a jitted function calling another jitted function", () => {
    fc.assert(
      fc.property(caseArb(4), (c) => {
        const { scalar, registers, describe } = functionsOf(c);
        const compose =
          (s: Fn, r: Fn): Fn =>
          (...xs) =>
            add(s(...xs.map((x) => scale(0.5, x))), sum(tanh(r(...xs))));
        const inner = jit(scalar);
        const innerTree = jit(registers);
        inner(...c.inputs); // compiled on its own first
        const outer = jit(compose(inner, innerTree));
        const eager = compose(scalar, registers);
        for (const xs of [c.inputs, c.fresh]) {
          expectAgree("value", outer(...xs), eager(...xs), describe());
          expectSameGradient("gradient", outer, eager, xs, describe());
          expectAgree("the inner function alone", inner(...xs), scalar(...xs), describe());
        }
      }),
      slowRuns,
    );
  });

  it("checkpoint inside jit", () => {
    fc.assert(
      fc.property(caseArb(4), (c) => {
        const { registers, describe } = functionsOf(c);
        const block = checkpoint(registers);
        const eager: Fn = (...xs) => sum(tanh(registers(...xs)));
        const j = jit((...xs: VValue[]) => sum(tanh(block(...xs))));
        for (const xs of [c.inputs, c.fresh]) {
          expectAgree("value", j(...xs), eager(...xs), describe());
          expectSameGradient("gradient", j, eager, xs, describe());
        }
      }),
      slowRuns,
    );
  });
});

/**
 * The smallest cases of the disagreements the properties above found, each against
 * eager mode on the same values (computed here, not copied).
 */
describe("minimal cases of the properties' counterexamples", () => {
  it("a number meets a tree with the key \"\": dot(2, { '': 3 }) replays as eager's 0", () => {
    const f: Fn = (a, b) => dot(a, b);
    const j = jit(f);
    expectAgree("trace", j(1, { "": 1 }), f(1, { "": 1 }));
    expectAgree("replay", j(2, { "": 3 }), f(2, { "": 3 }));
  });

  it("maxNorm's gradient replays when another leaf is the largest", () => {
    const f: Fn = (t) => V.maxNorm(t);
    const j = jit(f);
    expectSameGradient("trace", j, f, [{ a: 1, b: 2 }], "");
    expectSameGradient("replay", j, f, [{ a: 3, b: 2 }], "");
  });

  it("a cotangent missing a leaf of the output gives no explicit zeros: pullback(x => ({ s: sum(x) })).back({})", () => {
    const f: Fn = (x) => ({ s: sum(x) });
    expectAgree("back({})", pullback(jit(f), { a: 1 }).back({})[0], pullback(f, { a: 1 }).back({})[0]!);
  });

  it("a path the cotangent lacks passes nothing, not 0·NaN: the gradient of x => dot({ a: sqrt(x) }, x) at -1", () => {
    const f: Fn = (x) => dot({ a: V.sqrt(x) }, x);
    expectSameGradient("trace", jit(f), f, [-1], "");
  });

  it("a guard on a cotangent is checked after the backward pass that computes it", () => {
    const twice = defineOp(
      "twiceWithSignedBackward",
      (x: VValue) => V.mapLeaves(x, (v) => 2 * v),
      (g, _ans, _x) => [(primal(g) as number) > 0 ? scale(2, g) : scale(3, g)],
    );
    const f: Fn = (x) => twice(x);
    const j = jit(f);
    expectAgree("trace with u = 0", pullback(j, 1).back(0)[0], pullback(f, 1).back(0)[0]!);
    expect(() => pullback(j, 1).back(5)).toThrow(/primal\(\)/);
    const k = jit(f);
    expectAgree("trace with u = 1", pullback(k, 1).back(1)[0], pullback(f, 1).back(1)[0]!);
    expectAgree("the same u again", pullback(k, 1).back(1)[0], pullback(f, 1).back(1)[0]!);
  });
  it("sum replays in eager's order: sum({ a: { x: 1e16, y: 1 }, b: { x: -1e16, y: 1 } })", () => {
    const f: Fn = (t) => sum(t);
    const j = jit(f);
    const t: VValue = { a: { x: 1e16, y: 1 }, b: { x: -1e16, y: 1 } };
    expectAgree("trace", j(t), f(t));
    expectAgree("replay", j(t), f(t));
  });

  it("a result of -0 stays -0 (1/x tells): 1 / sum(-0) and 1 / dot(-1, 0)", () => {
    const bySum: Fn = (x) => V.div(1, sum(x));
    const byDot: Fn = (x, y) => V.div(1, dot(x, y));
    const j = jit(bySum),
      k = jit(byDot);
    expectAgree("sum: trace", j(1), bySum(1));
    expectAgree("sum: replay", j(-0), bySum(-0));
    expectAgree("dot: trace", k(1, 1), byDot(1, 1));
    expectAgree("dot: replay", k(-1, 0), byDot(-1, 0));
  });

  it("a cotangent with an empty subtree where the input has a leaf: pullback(sqrt, { a: 0, b: 1 }).back({ a: {}, b: 1 })", () => {
    // eager's own back({ b: 1 }), the same vector, leaves a out
    const f: Fn = (x) => V.sqrt(x);
    const x: VValue = { a: 0, b: 1 };
    const u: VValue = { a: {}, b: 1 };
    expectAgree("back", pullback(jit(f), x).back(u)[0], pullback(f, x).back(u)[0]!);
  });
  it("an argument tree given a new key in place replays as eager: t = { a: 1 }; f(t, w); t.b = 10; f(t, w)", () => {
    const f: Fn = (t, w) => sum(mul(t, w));
    const j = jit(f);
    const t: Record<string, number> = { a: 1 };
    const w: VValue = { a: 2, b: 3 };
    expectAgree("trace", j(t, w), f(t, w));
    t["b"] = 10;
    expectAgree("after t.b = 10", j(t, w), f(t, w));
  });
});
