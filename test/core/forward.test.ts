/**
 * Forward mode and the transforms built on it (`jvp`, `jacobian`, `hessian`, `hvp`):
 * on random straight-line programs (test/model/programs.ts, the programs of the jit
 * properties) over random V-values with hostile keys, empty trees, zeros and ties —
 * against the plain function, finite differences, reverse mode and each other — and
 * through `jit`, `checkpoint`, `stopGradient`, nested differentiation and user ops.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  checkpoint,
  defineOp,
  dot,
  equals,
  get,
  gradient,
  hessian,
  hvp,
  jacobian,
  jit,
  jvp,
  leaves,
  mapLeaves,
  mul,
  primal,
  pullback,
  scale,
  square,
  stopGradient,
  sum,
  tanh,
  valueAndGradient,
  type VValue,
} from "../../src/index.js";
import { apply, type Primitive } from "../../src/ad/primitive.js";
import { leafArb } from "../../src/testing/index.js";
import { expectAgree, mismatch } from "../jit/agree.js";
import { caseArb, functionsOf, type Case } from "../jit/cases.js";
import { KINK_MARGIN, POLE_MARGIN, VALUE_BOUND } from "../model/checks.js";
import * as M from "../model/model.js";
import { modelBackend, OPS, programArb, resolve, run, type Program } from "../model/programs.js";
import {
  directionalDifference,
  expectDotTest,
  expectJvpOk,
  expectNear,
  expectSame,
  expectShapedLike,
  hessianTimes,
  leafAt,
  magnitude,
  tangentArb,
  tangentsArb,
} from "./forward-helpers.js";
import { RUNS } from "./helpers.js";

type Fn = (...xs: VValue[]) => VValue;

// ---------------------------------------------------------------------------------
// Programs.

/** A program over 1–3 inputs, its inputs and tangents for them. */
interface Drawn {
  inputs: VValue[];
  program: Program;
  tangents: VValue[];
}

/** Moderate programs (leaves in [-2, 2], no extreme scalars) with tangents for their inputs. */
const moderateArb = (maxLength: number): fc.Arbitrary<Drawn> =>
  programArb({ ops: OPS, maxLength, leaf: leafArb({ min: -2, max: 2 }), extremes: false }).chain(
    ({ inputs, program }) => tangentsArb(inputs).map((tangents) => ({ inputs, program, tangents })),
  );

/** The program as a function returning every register, and as its final scalar. */
function programFns(inputs: readonly VValue[], program: Program): { registers: Fn; scalar: Fn; code: string } {
  const c: Case = { program, inputs: [...inputs], fresh: [...inputs], cotangent: [1], cotangent2: [1], keep: [true] };
  const { registers, scalar, describe } = functionsOf(c);
  return { registers, scalar, code: describe() };
}

/**
 * What the reference model sees of the program around its inputs: whether every value
 * is moderate, and how close an argument of a piecewise operation comes to its kink and
 * of a singular one (sqrt, log, a divisor, l2Norm) to its pole. Undefined when the
 * model cannot judge the program's structure.
 */
function watched(inputs: readonly VValue[], program: Program): (M.Watch & { moderate: boolean }) | undefined {
  const steps = resolve(
    program,
    inputs.map((v) => typeof v === "number"),
  );
  const watch = M.newWatch();
  let regs: M.MValue[];
  try {
    regs = run(
      modelBackend(watch),
      steps,
      inputs.map((v) => M.fromVValue(v)),
    );
  } catch (e) {
    if (e instanceof M.AmbiguousStructure) return undefined;
    throw e;
  }
  return { ...watch, moderate: regs.every((r) => [...r.leaves.values()].every((l) => Math.abs(l.x) < VALUE_BOUND)) };
}

/** Smooth around its inputs, so that finite differences can judge it. */
function smooth(inputs: readonly VValue[], program: Program): boolean {
  const w = watched(inputs, program);
  return w !== undefined && w.moderate && w.kink > KINK_MARGIN && w.pole > POLE_MARGIN;
}

/**
 * Away from poles but not from kinks or ties: forward and reverse mode use the same
 * conventions there, so they agree. (Near a pole, huge intermediate cotangents cancel
 * the small ones in rounding, differently in each mode.)
 */
function awayFromPoles(inputs: readonly VValue[], program: Program): boolean {
  const w = watched(inputs, program);
  return w !== undefined && w.moderate && w.pole > POLE_MARGIN;
}

describe("jvp on random programs", () => {
  it("its value is the plain function's, bit for bit, and its tangent is shaped like it (hostile inputs)", () => {
    fc.assert(
      fc.property(
        caseArb().chain((c) => tangentsArb(c.inputs).map((ts) => [c, ts] as const)),
        ([c, ts]) => {
          const { registers, scalar, describe } = functionsOf(c);
          for (const f of [registers, scalar]) {
            const { value, tangent } = jvp(f, c.inputs, ts);
            const d = mismatch(value, f(...c.inputs), 0);
            if (d !== null) throw new Error(`value: ${d}\n${describe()}`);
            expectShapedLike("tangent", tangent, value);
          }
        },
      ),
      { ...RUNS, seed: 11 },
    );
  });

  it("agrees with finite differences and with reverse mode (⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩)", () => {
    let checked = 0;
    fc.assert(
      fc.property(moderateArb(6), ({ inputs, program, tangents }) => {
        fc.pre(smooth(inputs, program));
        const { registers, scalar, code } = programFns(inputs, program);
        expectJvpOk(registers, inputs, tangents, code);
        expectJvpOk(scalar, inputs, tangents, code);
        checked++;
      }),
      RUNS,
    );
    expect(checked).toBeGreaterThan(RUNS.numRuns / 3);
  });

  it("agrees with reverse mode at kinks and ties too (the same conventions)", () => {
    let checked = 0;
    fc.assert(
      fc.property(moderateArb(6), ({ inputs, program, tangents }) => {
        fc.pre(awayFromPoles(inputs, program));
        const { registers, code } = programFns(inputs, program);
        const { value, tangent } = jvp(registers, inputs, tangents);
        expectDotTest(registers, inputs, tangents, value, tangent, code);
        checked++;
      }),
      RUNS,
    );
    expect(checked).toBeGreaterThan(RUNS.numRuns / 2);
  });
});

describe("jacobian on random programs", () => {
  it("its rows are pullbacks and its columns jvps (whichever mode it chose)", () => {
    fc.assert(
      fc.property(moderateArb(4), fc.boolean(), ({ inputs, program }, scalarOut) => {
        fc.pre(smooth(inputs, program));
        const fns = programFns(inputs, program);
        const f = scalarOut ? fns.scalar : fns.registers;
        const J = jacobian(f, ...inputs);
        expect(J.length).toBe(inputs.length);
        const { value, back } = pullback(f, ...inputs);
        // each value leaf q: J_i at q is the gradient of that leaf (a pullback of a unit cotangent)
        for (const [q] of leaves(value)) {
          const unit =
            q.length === 0 ? 1 : mapLeaves(value, (_x, p) => (p.join("\u0000") === q.join("\u0000") ? 1 : 0));
          const row = back(unit);
          J.forEach((Ji, i) => expectSame(`row ${JSON.stringify(q)} of J_${i}`, get(Ji, ...q), row[i]!, fns.code));
        }
        // each input leaf p of argument i: J_i's entries at p are the jvp along that leaf
        inputs.forEach((x, i) => {
          for (const [p] of leaves(x)) {
            const unit = mapLeaves(x, (_v, r) => (r.join("\u0000") === p.join("\u0000") ? 1 : 0));
            const ts = inputs.map((y, k) => (k === i ? unit : typeof y === "number" ? 0 : {}));
            const { tangent } = jvp(f, inputs, ts);
            const column = mapLeaves(value, (_y, q) => leafAt(get(J[i]!, ...q), p));
            expectSame(`column ${JSON.stringify(p)} of J_${i}`, column, tangent, fns.code);
          }
        });
      }),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });
});

describe("second order on random programs", () => {
  /** A smooth program's scalar as a function of its first input, the others held. */
  const firstInput = (inputs: readonly VValue[], program: Program) => {
    const { scalar, code } = programFns(inputs, program);
    const rest = inputs.slice(1);
    return { f: (x: VValue) => scalar(x, ...rest), x: inputs[0]!, code };
  };

  it("the Hessian is symmetric, hvp = H·v, and hvp is the central difference of gradients", () => {
    let checked = 0;
    fc.assert(
      fc.property(
        moderateArb(5).chain((d) => tangentArb(d.inputs[0]!).map((v) => [d, v] as const)),
        ([{ inputs, program }, v]) => {
          fc.pre(smooth(inputs, program));
          const { f, x, code } = firstInput(inputs, program);
          const H = hessian(f, x);
          // shaped like x, each leaf a gradient tree of x
          expect(typeof H === "number").toBe(typeof x === "number");
          for (const [p] of leaves(x)) expectShapedLike(`H at ${JSON.stringify(p)}`, get(H, ...p), x);
          const scaleH = Math.max(1, ...leaves(x).map(([p]) => magnitude(get(H, ...p))));
          for (const [p] of leaves(x)) {
            for (const [r] of leaves(x)) {
              const hpr = leafAt(get(H, ...p), r),
                hrp = leafAt(get(H, ...r), p);
              if (!(Math.abs(hpr - hrp) <= 1e-9 * scaleH))
                throw new Error(`H[${p}][${r}] = ${hpr}, H[${r}][${p}] = ${hrp}\n${code}`);
            }
          }
          const [hv] = hvp(f, [x], [v]);
          expectShapedLike("hvp", hv!, x);
          expectSame("hvp vs H·v", hv!, hessianTimes(H, x, v), code);
          // the gradient's directional derivative, by central differences
          const g = (y: VValue) => gradient(f, y)[0]!;
          const { fd, step, size } = directionalDifference(g, [x], [v]);
          const tol = 1e-6 * Math.max(1, magnitude(fd), magnitude(hv!)) + (1e3 * Number.EPSILON * size) / step;
          expectNear("hvp vs finite differences of the gradient", hv!, fd, tol, code);
          checked++;
        },
      ),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
    expect(checked).toBeGreaterThan(RUNS.numRuns / 8);
  });

  it("forward-over-reverse = reverse-over-reverse = reverse-over-forward, every argument", () => {
    fc.assert(
      fc.property(moderateArb(5), ({ inputs, program, tangents }) => {
        fc.pre(smooth(inputs, program));
        const { scalar, code } = programFns(inputs, program);
        const fwdRev = hvp(scalar, inputs, tangents);
        const revRev = gradient(
          (...ys: VValue[]) => gradient(scalar, ...ys).reduce<VValue>((s, g, i) => add(s, dot(g, tangents[i]!)), 0),
          ...inputs,
        );
        const revFwd = gradient((...ys: VValue[]) => jvp(scalar, ys, tangents).tangent, ...inputs);
        fwdRev.forEach((h, i) => {
          expectSame(`argument ${i}: forward-over-reverse vs reverse-over-reverse`, h, revRev[i]!, code);
          expectSame(`argument ${i}: forward-over-reverse vs reverse-over-forward`, h, revFwd[i]!, code);
        });
        // forward-over-forward: ⟨w, H·v⟩ as a jvp of a jvp
        const w = tangents.map((t) => mapLeaves(t, (y) => 0.5 - y));
        const wHv = jvp((...ys: VValue[]) => jvp(scalar, ys, tangents).tangent, inputs, w).tangent as number;
        const expected = fwdRev.reduce<number>((s, h, i) => s + dot(h, w[i]!), 0);
        expectSame("forward-over-forward", wHv, expected, code);
      }),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });
});

describe("through jit and checkpoint", () => {
  it("jvp of jit(f) is jvp of f, traced and on new values of the same structure (hostile inputs)", () => {
    fc.assert(
      fc.property(
        caseArb().chain((c) => fc.tuple(fc.constant(c), tangentsArb(c.inputs), tangentsArb(c.fresh), fc.boolean())),
        ([c, ts, ts2, withGradient]) => {
          const { registers, scalar, describe } = functionsOf(c);
          const j = jit(registers);
          const js = jit(scalar);
          // a gradient program first makes a differentiated call replay its forward half
          if (withGradient) valueAndGradient(js, ...c.inputs);
          for (const [xs, t] of [
            [c.inputs, ts],
            [c.fresh, ts2],
          ] as const) {
            const want = jvp(registers, xs, t);
            const got = jvp(j, xs, t);
            expectAgree("value", got.value, want.value, describe());
            expectAgree("tangent", got.tangent, want.tangent, describe());
            const s = jvp(js, xs, t);
            expectAgree("scalar tangent", s.tangent, jvp(scalar, xs, t).tangent, describe());
          }
        },
      ),
      { ...RUNS, seed: 13 },
    );
  });

  it("jit of a function calling jvp or hvp replays them as eager mode computes them (hostile inputs)", () => {
    fc.assert(
      fc.property(
        caseArb().chain((c) => fc.tuple(fc.constant(c), tangentsArb(c.inputs))),
        ([c, ts]) => {
          const { registers, scalar, describe } = functionsOf(c);
          const n = c.inputs.length;
          const jvpOf = jit((...a: VValue[]) => jvp(registers, a.slice(0, n), a.slice(n)).tangent);
          const keyed = (hs: VValue[]): VValue => Object.fromEntries(hs.map((h, i) => [`h${i}`, h]));
          const hvpOf = jit((...a: VValue[]) => keyed(hvp(scalar, a.slice(0, n), a.slice(n))));
          for (const xs of [c.inputs, c.fresh]) {
            expectAgree("jvp", jvpOf(...xs, ...ts), jvp(registers, xs, ts).tangent, describe());
            // second order cancels terms of the size of the first derivatives, in an order
            // that may differ: the same leaves and kinds, values to 1e-9 (≥ 1)
            const got = hvpOf(...xs, ...ts),
              want = keyed(hvp(scalar, xs, ts));
            const structure = mismatch(got, want, Infinity);
            if (structure !== null) throw new Error(`hvp: ${structure}\n${describe()}`);
            const finite = (v: VValue) => mapLeaves(v, (x) => (Number.isFinite(x) ? x : 0));
            expectSame("hvp", finite(got), finite(want), describe());
          }
          expect(jvpOf.traces, "a replay of the same structure must not trace again").toBe(1);
          expect(hvpOf.traces).toBe(1);
        },
      ),
      { ...RUNS, seed: 14 },
    );
  });

  it("hvp through jit(f) is hvp of f", () => {
    fc.assert(
      fc.property(moderateArb(5), ({ inputs, program, tangents }) => {
        fc.pre(smooth(inputs, program));
        const { scalar, code } = programFns(inputs, program);
        const want = hvp(scalar, inputs, tangents);
        hvp(jit(scalar), inputs, tangents).forEach((h, i) => expectSame(`argument ${i}`, h, want[i]!, code));
      }),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });

  it("jvp and hvp through checkpoint(f) are those of f", () => {
    fc.assert(
      fc.property(moderateArb(5), ({ inputs, program, tangents }) => {
        const { registers, scalar, code } = programFns(inputs, program);
        const want = jvp(registers, inputs, tangents);
        const got = jvp(checkpoint(registers), inputs, tangents);
        expectAgree("value", got.value, want.value, code);
        expectAgree("tangent", got.tangent, want.tangent, code);
        // inside a larger function, and second order
        const outer =
          (f: Fn) =>
          (...xs: VValue[]) =>
            sum(tanh(scale(0.5, f(...xs.map((x) => tanh(x))))));
        const h = hvp(outer(checkpoint(scalar)), inputs, tangents);
        hvp(outer(scalar), inputs, tangents).forEach((hi, i) => expectAgree(`hvp argument ${i}`, h[i]!, hi, code));
      }),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });
});

// ---------------------------------------------------------------------------------
// The API, its corners and its errors.

describe("jvp", () => {
  it("computes J·t with sparse tangents (a leaf left out is a zero) and hostile keys", () => {
    const x = { ["__proto__"]: 2, constructor: { toString: 3 }, "": 4 } as VValue;
    const t = { constructor: { toString: 1 } } as VValue;
    const f = (v: VValue) => mul(v, v);
    const { value, tangent } = jvp(f, [x], [t]);
    expect(equals(value, f(x))).toBe(true);
    // d(v⊙v) = 2·v⊙t: only the leaf the tangent moves
    expect(leaves(tangent)).toEqual([[["constructor", "toString"], 6]]);
    expect(Object.getPrototypeOf(tangent)).not.toBe(Object.prototype);
  });

  it("takes a number and {':number': x} as the same tangent, and empty trees", () => {
    expect(jvp((v) => scale(3, v), [2], [{ ":number": 1 }]).tangent).toBe(3);
    expect(jvp((v) => scale(3, v), [{ ":number": 2, a: 1 }], [1]).tangent).toEqual({ ":number": 3 });
    const empty = jvp((v) => sum(v), [{}], [{}]);
    expect(empty).toEqual({ value: 0, tangent: 0 });
    expect(jvp((v) => v, [{ a: {} }], [{}]).tangent).toEqual({});
  });

  it("gives a zero of the value's kind for a constant function or zero tangents", () => {
    expect(jvp(() => 3, [1], [1])).toEqual({ value: 3, tangent: 0 });
    expect(jvp(() => ({ a: 1 }), [1], [1]).tangent).toEqual({});
    expect(jvp((v) => tanh(v), [{ a: 1 }], [{}]).tangent).toEqual({});
  });

  it("keeps the derivatives of nested differentiations apart (no perturbation confusion)", () => {
    // d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1, not 2
    const inner = (x: VValue) => jvp((y) => add(x, y), [1], [1]).tangent;
    expect(jvp((x) => mul(x, inner(x)), [1], [1]).tangent).toBe(1);
    // the same with a gradient inside
    expect(jvp((x) => mul(x, gradient((y) => add(x, y), 1)[0]!), [1], [1]).tangent).toBe(1);
  });

  it("stopGradient gives a zero tangent; primal reads the plain value", () => {
    expect(jvp((x) => mul(x, stopGradient(x)), [3], [1]).tangent).toBe(3);
    let seen: unknown;
    jvp(
      (x) => {
        seen = primal(x);
        return x;
      },
      [{ a: 1 }],
      [{ a: 1 }],
    );
    expect(seen).toEqual({ a: 1 });
  });

  it("reads fields of tracked trees (t.a) as recorded reads", () => {
    const { tangent } = jvp((t: any) => mul(t.a, t.b), [{ a: 2, b: 5 }], [{ a: 1 }]);
    expect(tangent).toBe(5);
  });

  it("names what is wrong with its arguments", () => {
    expect(() => jvp(3 as any, [1], [1])).toThrow(/jvp: f must be a function, got number/);
    expect(() => jvp((x) => x, 1 as any, [1])).toThrow(/jvp: primals must be an array of V-values/);
    expect(() => jvp((x) => x, [1], { a: 1 } as any)).toThrow(/jvp: tangents must be an array/);
    expect(() => jvp((x) => x, [1, 2], [1])).toThrow(/2 primal\(s\) and 1 tangent\(s\)/);
    expect(() => jvp((x) => x, [{ a: 1 }], [{ b: 1 }])).toThrow(/tangents\[0\]\.b has no counterpart in primals\[0\]/);
    expect(() => jvp((x) => x, [{ a: { b: 1 } }], [{ a: 1 }])).toThrow(
      /tangents\[0\]\.a is a number where primals\[0\]\.a is a tree without a ":number" part/,
    );
    expect(() => jvp((x) => x, [[1] as any], [1])).toThrow(/jvp: primals\[0\] is an array/);
    expect(() => jvp((x) => x, [1], [null as any])).toThrow(/jvp: tangents\[0\] is null/);
    expect(() => jvp((x) => x, [{ a: { b: 1 } }], [{ a: { b: () => 1 } } as any])).toThrow(
      /jvp: tangents\[0\]\.a\.b is a function/,
    );
    const cyclic: any = { a: 1 };
    cyclic.self = cyclic;
    expect(() => jvp((x) => x, [{ a: 1, self: { a: 1 } }], [cyclic])).toThrow(
      /jvp: tangents\[0\]\.self is a cycle back to tangents\[0\]/,
    );
    const numberCycle: any = {};
    numberCycle[":number"] = numberCycle;
    expect(() => jvp((x) => x, [1], [numberCycle])).toThrow(/jvp: tangents\[0\]\[":number"\] is a cycle/);
    expect(() => jvp((x) => x, [2], [{ ":number": 1, a: 1 }])).toThrow(
      /tangents\[0\]\.a has no counterpart in primals\[0\]/,
    );
    expect(() => jvp(() => undefined as any, [1], [1])).toThrow(/jvp: f returned undefined; it must return a V-value/);
    let kept: VValue = 0;
    jvp(
      (x) => {
        kept = x;
        return x;
      },
      [1],
      [1],
    );
    expect(() => jvp((y) => add(y, kept), [1], [1])).toThrow(/escaped from a differentiation/);
  });
});

describe("forward rules of user operations", () => {
  const cubeImpl = (x: VValue) => mapLeaves(x, (v) => v ** 3);
  const cubeBack = (g: VValue, _ans: VValue, x: VValue) => [mul(g, scale(3, square(x)))];

  it("an op without a forward rule throws naming it, unless its tangents are zero", () => {
    const cube = defineOp("cube", cubeImpl, cubeBack);
    expect(() => jvp(cube, [{ a: 2 }], [{ a: 1 }])).toThrow(/the operation "cube" has no forward-mode rule/);
    expect(() => hvp((x) => sum(cube(x)), [{ a: 2 }], [{ a: 1 }])).toThrow(/"cube" has no forward-mode rule/);
    expect(jvp(cube, [{ a: 2 }], [{}])).toEqual({ value: { a: 8 }, tangent: {} });
    // reverse mode is unaffected
    expect(gradient((x) => sum(cube(x)), { a: 2 })).toEqual([{ a: 12 }]);
    // a primitive built without `jvp`
    const raw: Primitive = { name: "rawDouble", impl: ([v]) => scale(2, v!), vjp: (_i, g) => scale(2, g as VValue) };
    expect(() => jvp((x) => apply(raw, [x], undefined) as VValue, [1], [1])).toThrow(
      /"rawDouble" has no forward-mode rule/,
    );
  });

  it("defineOp's forward rule is used by jvp, hvp, hessian and jacobian", () => {
    const cube = defineOp("cube", cubeImpl, cubeBack, {
      jvp: ([t], _ans, x) => (t === undefined ? undefined : mul(t, scale(3, square(x)))),
    });
    expect(jvp(cube, [{ a: 2, b: 1 }], [{ a: 1 }])).toEqual({ value: { a: 8, b: 1 }, tangent: { a: 12 } });
    // Σ x³: H = diag(6x)
    expect(hessian((x) => sum(cube(x)), { a: 2, b: 1 })).toEqual({ a: { a: 12 }, b: { b: 6 } });
    expect(jacobian(cube, 2)).toEqual([12]);
    expectJvpOk(cube, [{ a: 0.5, b: -1.5 }], [{ a: 1, b: 0.25 }]);
  });

  it("a forward rule may return a number's tangent as {':number': x}", () => {
    const twice = defineOp(
      "twice",
      (x: VValue) => scale(2, x),
      (g: VValue) => [scale(2, g)],
      {
        jvp: ([t]) => (t === undefined ? undefined : { ":number": scale(2, t) }),
      },
    );
    // the tangent is read as a number where a scalar is needed
    expect(jvp((x) => scale(twice(x), { a: 1 }), [3], [1])).toEqual({ value: { a: 6 }, tangent: { a: 2 } });
  });

  it("names what is wrong with a forward rule or the options", () => {
    const bad = defineOp("bad", cubeImpl, cubeBack, { jvp: () => [1] as any });
    expect(() => jvp(bad, [{ a: 2 }], [{ a: 1 }])).toThrow(/defineOp "bad": jvp's tangent is an array/);
    const tree = defineOp(
      "toTree",
      (x: VValue) => sum(x),
      (g: VValue, _a: VValue, x: VValue) => [scale(g, x)],
      {
        jvp: ([t]) => t,
      },
    );
    expect(() => jvp(tree, [{ a: 2 }], [{ a: 1 }])).toThrow(
      /defineOp "toTree": jvp returned a tree for a result that is a number/,
    );
    expect(() => defineOp("x", cubeImpl, cubeBack, null as any)).toThrow(
      /defineOp "x": options must be an object, got null/,
    );
    expect(() => defineOp("x", cubeImpl, cubeBack, { jvp: 3 as any })).toThrow(
      /options.jvp must be a function, got number/,
    );
  });
});

describe("jacobian, hessian, hvp", () => {
  it("jacobian is a tree of trees: output-shaped, each leaf a gradient", () => {
    const f = (x: VValue) => ({ s: sum(x), p: mul(x, x), c: 1, e: {} }) as VValue;
    expect(jacobian(f, { a: 1, b: 2 })).toEqual([{ s: { a: 1, b: 1 }, p: { a: { a: 2 }, b: { b: 4 } }, c: {}, e: {} }]);
    expect(jacobian((x, y) => mul(x, y), 2, 3)).toEqual([3, 2]);
    // a scalar f: one gradient per argument
    expect(jacobian((x, y) => dot(x, y), { a: 1 }, { a: 2, b: 3 })).toEqual([{ a: 2 }, { a: 1 }]);
    // no arguments, and arguments with no leaves
    expect(jacobian(() => ({ a: 1 }))).toEqual([]);
    expect(jacobian((x) => ({ a: sum(x) }) as VValue, {})).toEqual([{ a: {} }]);
    // hostile keys on both sides
    const J = jacobian((x: any) => ({ ["__proto__"]: x["toString"] }) as VValue, { toString: 2, b: 1 } as VValue);
    expect(leaves(J[0]!)).toEqual([[["__proto__", "toString"], 1]]);
  });

  it("hessian of a quadratic form is its matrix, symmetric", () => {
    // f = a² + a·b + 3 b² + c (c enters linearly: its row is empty)
    const f = (t: VValue) =>
      add(add(square(get(t, "a")), mul(get(t, "a"), get(t, "b"))), add(scale(3, square(get(t, "b"))), get(t, "c")));
    expect(hessian(f, { a: 1, b: 2, c: 5 })).toEqual({ a: { a: 2, b: 1 }, b: { a: 1, b: 6 }, c: {} });
    expect(hessian((x) => mul(x, mul(x, x)), 2)).toBe(12);
    expect(hvp(f, [{ a: 1, b: 2, c: 5 }], [{ b: 1 }])).toEqual([{ a: 1, b: 6 }]);
    expect(hvp((x, y) => mul(square(x), y), [3, 5], [1, 0])).toEqual([10, 6]);
  });

  it("names what is wrong", () => {
    expect(() => jacobian(null as any, 1)).toThrow(/jacobian: f must be a function, got object/);
    expect(() => jacobian((x) => x, "a" as any)).toThrow(/jacobian: argument 0 is a string/);
    expect(() => jacobian(() => undefined as any, 1)).toThrow(/jacobian: f returned undefined/);
    expect(() => hessian((x) => x, { a: 1 })).toThrow(/hessian: f must return a number \(a scalar\), got a tree/);
    expect(() => hessian((x) => x, [1] as any)).toThrow(/hessian: x is an array/);
    expect(() => hvp((x) => x, [{ a: 1 }], [{ a: 1 }])).toThrow(/hvp: f must return a number/);
    expect(() => hvp((x) => sum(x), [{ a: 1 }], [{ b: 1 }])).toThrow(/hvp: tangents\[0\]\.b has no counterpart/);
  });

  it("work inside another differentiation (third derivatives)", () => {
    // d/dx of the Hessian of x⁴ at x: d/dx 12x² = 24x
    const third = gradient((x) => hessian((y) => square(square(y)), x), 2)[0];
    expect(third).toBe(48);
    const viaHvp = jvp((x) => hvp((y) => square(square(y)), [x], [1])[0]!, [2], [1]).tangent;
    expect(viaHvp).toBe(48);
    // a jacobian inside a jvp
    const j = jvp((x) => jacobian((y) => mul(x, square(y)), 3)[0]!, [2], [1]).tangent;
    expect(j).toBe(6); // d/dx (2·x·y) at y = 3
  });

  it("takes tangents holding tracked values, and user rules that close over them", () => {
    // d/ds ⟨∇f(x), (s, 1)⟩ = ∂f/∂a for f = a·b²: b² = 4
    const f = (t: VValue) => mul(get(t, "a"), square(get(t, "b")));
    const x = { a: 3, b: 2 };
    expect(gradient((s) => jvp(f, [x], [{ a: s, b: 1 } as VValue]).tangent, 5)).toEqual([4]);
    // a forward rule (deliberately not scale's) closing over c, a tracked value of the
    // enclosing gradient, reducing a literal that holds it and returning another
    const viaClosure = (c: VValue) => {
      const op = defineOp(
        "twiceWithRule",
        (v: VValue) => scale(2, v),
        (g: VValue) => [scale(2, g)],
        {
          jvp: ([t]) => (t === undefined ? undefined : ({ ":number": sum({ k: mul(c, t) } as VValue) } as VValue)),
        },
      );
      return jvp(op, [2], [1]).tangent;
    };
    expect(gradient(viaClosure, 3)).toEqual([1]);
  });
});
