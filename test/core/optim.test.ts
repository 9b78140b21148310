/** Optimizers and regularizers over trees: updates, purity, sparse state, pruning. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  adam,
  equals,
  get,
  gradient,
  l1,
  l2,
  leaves,
  pruneWithState,
  scale,
  sgd,
  sub,
  type AdamState,
  type VValue,
} from "../../src/index.js";
import { vvaluePairArb } from "../../src/testing/index.js";
import { RUNS, deepFreeze, snapshot } from "./helpers.js";

/** Adam on one scalar, written out from the paper, as the reference. */
function adamReference(w0: number, gs: number[], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let w = w0,
    m = 0,
    v = 0;
  gs.forEach((g, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mHat = m / (1 - b1 ** t);
    const vHat = v / (1 - b2 ** t);
    w -= (lr * mHat) / (Math.sqrt(vHat) + eps);
  });
  return w;
}

const num = (v: VValue, ...path: string[]) => get(v, ...path) as number;

describe("sgd", () => {
  it("plain steps: w − lr·g", () => {
    const opt = sgd({ lr: 0.1 });
    const { params } = opt.step({ w: 1, x: { y: -2 } }, { w: 2, x: { y: 0.5 } }, opt.init({ w: 1 }));
    expect(num(params, "w")).toBeCloseTo(0.8, 15);
    expect(num(params, "x", "y")).toBeCloseTo(-2.05, 15);
  });

  it("momentum: u ← μu + g, w ← w − lr·u", () => {
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    let state = opt.init({ w: 1 });
    let params: VValue = { w: 1 };
    ({ params, state } = opt.step(params, { w: 2 }, state)); // u = 2, w = 0.8
    expect(num(params, "w")).toBeCloseTo(0.8, 15);
    ({ params, state } = opt.step(params, { w: 1 }, state)); // u = 2.8, w = 0.52
    expect(num(params, "w")).toBeCloseTo(0.52, 15);
    expect(num(state.velocity, "w")).toBeCloseTo(2.8, 15);
    ({ params } = opt.step(params, {}, state)); // no gradient: u = 2.52, w = 0.268
    expect(num(params, "w")).toBeCloseTo(0.268, 14);
  });

  it("property: without momentum one step is params − lr·gradient", () => {
    fc.assert(
      fc.property(vvaluePairArb({ shape: "same" }), ([p, g]) => {
        const opt = sgd({ lr: 0.25 });
        const { params } = opt.step(p, g, opt.init(p));
        expect(equals(params, sub(p, scale(0.25, g)), { tolerance: 1e-12 })).toBe(true);
        expect(leaves(params).map(([path]) => path)).toEqual(leaves(p).map(([path]) => path));
      }),
      RUNS,
    );
  });

  it("validates hyperparameters", () => {
    expect(() => sgd({ lr: -1 })).toThrow(RangeError);
    expect(() => sgd({ momentum: 1 })).toThrow(RangeError);
    expect(() => sgd({ lr: NaN })).toThrow(/lr/);
  });
});

describe("adam", () => {
  it("first step: m̂ = g, v̂ = g², so w moves by lr·g/(|g| + ε)", () => {
    const opt = adam({ lr: 0.1 });
    const { params, state } = opt.step({ w: 1 }, { w: 2 }, opt.init({ w: 1 }));
    expect(num(params, "w")).toBe(1 - (0.1 * 2) / (2 + 1e-8));
    expect(state.t).toBe(1);
    expect(num(state.m, "w")).toBeCloseTo(0.2, 15);
    expect(num(state.v, "w")).toBeCloseTo(0.004, 15);
  });

  it("several steps match the scalar reference, for every leaf independently", () => {
    const opt = adam({ lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    const gs: VValue[] = [{ a: 2, b: { c: -1 } }, { a: -1, b: { c: 0.5 } }, { a: 0.3 }, { b: { c: 4 } }];
    let params: VValue = { a: 1, b: { c: -3 } };
    let state = opt.init(params);
    for (const g of gs) ({ params, state } = opt.step(params, g, state));
    const ref = (w0: number, leafOf: (g: VValue) => number) => adamReference(w0, gs.map(leafOf), 0.05, 0.8, 0.99, 1e-6);
    expect(num(params, "a")).toBeCloseTo(
      ref(1, (g) => num(g, "a")),
      13,
    );
    expect(num(params, "b", "c")).toBeCloseTo(
      ref(-3, (g) => num(g, "b", "c")),
      13,
    );
  });

  it("works on a bare number", () => {
    const opt = adam({ lr: 0.1 });
    let params: VValue = 3;
    let state = opt.init(params);
    for (const g of [1, -2, 0.5]) ({ params, state } = opt.step(params, g, state));
    expect(params).toBeCloseTo(adamReference(3, [1, -2, 0.5], 0.1), 14);
  });

  it("state is sparse: leaves are created when first touched", () => {
    const opt = adam({ lr: 0.1 });
    let params: VValue = { a: 1, b: 2, c: { d: 3 } };
    let state: AdamState = opt.init(params);
    expect(leaves(state.m)).toEqual([]);
    ({ params, state } = opt.step(params, { a: 0.5 }, state));
    expect(leaves(state.m).map(([p]) => p)).toEqual([["a"]]);
    expect(leaves(state.v).map(([p]) => p)).toEqual([["a"]]);
    expect(num(params, "b")).toBe(2);
    expect(num(params, "c", "d")).toBe(3);
    const a1 = num(params, "a");
    ({ params, state } = opt.step(params, { c: { d: 1 } }, state));
    expect(leaves(state.m).map(([p]) => p)).toEqual([["a"], ["c", "d"]]);
    // "a" keeps moving on its momentum (gradient 0 this step), "b" is still untouched
    expect(num(params, "a")).toBeCloseTo(adamReference(1, [0.5, 0], 0.1), 14);
    expect(num(params, "a")).not.toBe(a1);
    expect(num(params, "b")).toBe(2);
    expect(num(params, "c", "d")).toBeCloseTo(
      3 - (0.1 * (0.1 / 0.19)) / (Math.sqrt(0.001 / (1 - 0.999 ** 2)) + 1e-8),
      12,
    );
  });

  it("ignores gradient keys that are not parameters", () => {
    const opt = adam({ lr: 0.1 });
    const { params, state } = opt.step({ a: 1 }, { a: 1, z: 5, y: { q: 1 } }, opt.init({ a: 1 }));
    expect(Object.keys(params)).toEqual(["a"]);
    expect(Object.keys(state.m)).toEqual(["a"]);
  });

  it("special keys are parameters like any other", () => {
    const opt = adam({ lr: 0.1 });
    const p = JSON.parse('{"__proto__": {"w": 1}, "constructor": 2}') as VValue;
    const g = JSON.parse('{"__proto__": {"w": 1}}') as VValue;
    const { params, state } = opt.step(p, g, opt.init(p));
    expect(num(params, "__proto__", "w")).toBeCloseTo(0.9, 6);
    expect(num(params, "constructor")).toBe(2);
    expect(leaves(state.m).map(([path]) => path)).toEqual([["__proto__", "w"]]);
    expect(({} as { w?: unknown }).w).toBeUndefined();
  });

  it("property: the first step moves every leaf by −lr·g/(|g| + ε), against its gradient", () => {
    fc.assert(
      fc.property(vvaluePairArb({ shape: "same" }), ([p, g]) => {
        const opt = adam({ lr: 0.01 });
        const { params } = opt.step(p, g, opt.init(p));
        const gl = leaves(g);
        leaves(params).forEach(([path, w], i) => {
          const w0 = get(p, ...path) as number;
          const gi = gl[i]![1];
          const step = w - w0;
          expect(Math.abs(step)).toBeLessThanOrEqual(0.01 * (1 + 1e-12));
          expect(step * gi).toBeLessThanOrEqual(0);
          if (gi === 0) expect(step).toBe(0);
          // m̂ = g and v̂ = g² after one step (up to rounding and underflow of tiny g)
          const expected = (-0.01 * gi) / (Math.abs(gi) + 1e-8);
          expect(Math.abs(step - expected)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(w0)));
        });
      }),
      RUNS,
    );
  });

  it("validates hyperparameters", () => {
    expect(() => adam({ lr: -0.1 })).toThrow(RangeError);
    expect(() => adam({ beta1: 1 })).toThrow(/beta1/);
    expect(() => adam({ beta2: -0.1 })).toThrow(/beta2/);
    expect(() => adam({ eps: Infinity })).toThrow(/eps/);
  });
});

describe("purity", () => {
  it("steps never mutate params, gradient or state", () => {
    for (const opt of [adam({ lr: 0.1 }), sgd({ lr: 0.1, momentum: 0.5 })] as const) {
      const params = deepFreeze({ a: 1, b: { c: 2 } });
      const g = deepFreeze({ a: 0.5, b: { c: -1 } });
      const s0 = deepFreeze(opt.init(params) as object);
      const before = [snapshot(params), snapshot(g), JSON.stringify(s0)];
      const r1 = (opt.step as (p: VValue, g: VValue, s: object) => { params: VValue; state: object })(params, g, s0);
      deepFreeze(r1);
      const r2 = (opt.step as (p: VValue, g: VValue, s: object) => { params: VValue; state: object })(
        r1.params,
        g,
        r1.state,
      );
      expect([snapshot(params), snapshot(g), JSON.stringify(s0)]).toEqual(before);
      expect(r2.params).not.toBe(r1.params);
    }
  });

  it("the same inputs give the same outputs", () => {
    const opt = adam({ lr: 0.1 });
    const s = opt.init({ a: 1 });
    expect(opt.step({ a: 1 }, { a: 2 }, s)).toEqual(opt.step({ a: 1 }, { a: 2 }, s));
  });
});

describe("pruneWithState", () => {
  it("pruning a weight prunes its state too", () => {
    const params = { a: 0.5, b: 0.001, c: { d: 0.002, e: 1 } };
    const state: AdamState = { t: 3, m: { a: 1, b: 2, c: { d: 3, e: 4 } }, v: { a: 5, b: 6, c: { d: 7, e: 8 } } };
    deepFreeze(params);
    deepFreeze(state);
    const r = pruneWithState(params, state, 0.01);
    expect(r.params).toEqual({ a: 0.5, c: { e: 1 } });
    expect(r.state.t).toBe(3);
    expect(r.state.m).toEqual({ a: 1, c: { e: 4 } });
    expect(r.state.v).toEqual({ a: 5, c: { e: 8 } });
  });

  it("works for sgd's state, and pruned weights get no new state from stray gradients", () => {
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    let params: VValue = { a: 1, b: 0.0001 };
    let state = opt.init(params);
    ({ params, state } = opt.step(params, { a: 0.1, b: 0.0001 }, state));
    ({ params, state } = pruneWithState(params, state, 0.001));
    expect(Object.keys(params)).toEqual(["a"]);
    expect(Object.keys(state.velocity)).toEqual(["a"]);
    ({ params, state } = opt.step(params, { a: 0.1, b: 1 }, state));
    expect(Object.keys(params)).toEqual(["a"]);
    expect(Object.keys(state.velocity)).toEqual(["a"]);
  });
});

describe("regularizers", () => {
  it("l1 = λ·Σ|w| with gradient λ·sign(w) (0 at 0)", () => {
    const w = { a: -1, b: { c: 2 }, z: 0 };
    expect(l1(w, 0.5)).toBe(1.5);
    const [g] = gradient((p) => l1(p, 0.5), w);
    expect(equals(g!, { a: -0.5, b: { c: 0.5 }, z: 0 })).toBe(true);
  });

  it("l2 = λ·Σw² with gradient 2λw", () => {
    const w = { a: -1, b: { c: 2 } };
    expect(l2(w, 0.5)).toBe(2.5);
    expect(gradient((p) => l2(p, 0.5), w)).toEqual([{ a: -1, b: { c: 2 } }]);
  });
});
