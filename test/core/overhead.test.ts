/**
 * overhead (vgrad/testing) and its sampler. No test asserts how fast anything is: the
 * sampling rule and the ratios are checked on a fake clock (vitest's fake
 * `performance`), where a call costs exactly what the test says; on the real clock
 * only the report's shape and its arithmetic are checked.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { add, defineOp, leaves, mapLeaves, mul, sum, tanh, type VValue } from "../../src/index.js";
import { overhead, type TimeStats } from "../../src/testing/index.js";
import { sampleTimes, timeStats } from "../../src/testing/sampling.js";
import { JitNode } from "../../src/jit/trace.js";

/** A fake clock: performance.now() moves only when a test's function says it took time. */
function fakeClock(): (ms: number) => void {
  vi.useFakeTimers({ toFake: ["performance"] });
  return (ms) => vi.advanceTimersByTime(ms);
}
afterEach(() => {
  vi.useRealTimers();
});

describe("sampleTimes: benchmark.js's adaptive cycles", () => {
  it("grows a cycle to minTime, then samples until minSamples and maxTime", () => {
    const spend = fakeClock();
    let calls = 0;
    const samples = sampleTimes(
      () => {
        calls++;
        spend(1);
      },
      { minSamples: 3, maxTime: 0.1, minTime: 0.05 },
    );
    // a 1 ms cycle is too short: count 1 + ceil(49 ms / 1 ms) = 50, then 50 ms cycles end
    // at 51, 101, 151 ms after the start; the third leaves 3 samples past 100 ms
    expect(samples).toEqual([1, 1, 1]);
    expect(calls).toBe(1 + 3 * 50);
  });

  it("maxTime: keeps sampling while less time has passed", () => {
    const spend = fakeClock();
    const samples = sampleTimes(() => spend(1), { minSamples: 2, maxTime: 0.3, minTime: 0.05 });
    // 50 ms cycles ending at 51, 101, …, 301 ms: the sixth is the first past 300 ms
    expect(samples).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("minSamples: keeps sampling while there are fewer samples", () => {
    const spend = fakeClock();
    let calls = 0;
    const samples = sampleTimes(
      () => {
        calls++;
        spend(2);
      },
      { minSamples: 7, maxTime: 0.001, minTime: 0.001 },
    );
    // every 2 ms call is a cycle long enough, and maxTime is past after the first
    expect(samples).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(calls).toBe(7);
  });

  it("a sample is a cycle's time per call", () => {
    const spend = fakeClock();
    let k = 0;
    const samples = sampleTimes(() => spend(k++ % 2 === 0 ? 1 : 2), { minSamples: 2, maxTime: 0.001, minTime: 0.006 });
    // calls alternate 1 ms and 2 ms; the first, 1 ms < 6 ms, makes cycles of 1 + ceil(5 / 1) = 6
    // calls: 2+1+2+1+2+1 = 9 ms, 1.5 ms per call
    expect(samples).toEqual([1.5, 1.5]);
  });
});

describe("timeStats: benchmark.js's statistics", () => {
  it("median, mean, and the margin of error from Student's t", () => {
    const s = timeStats([4, 1, 3, 2]);
    expect(s.medianMs).toBe(2.5);
    expect(s.meanMs).toBe(2.5);
    expect(s.samples).toBe(4);
    // sample variance 5/3, standard error sqrt(5/3 / 4), t(3 degrees of freedom) = 3.182
    expect(s.rmePct).toBeCloseTo(((Math.sqrt(5 / 12) * 3.182) / 2.5) * 100, 10);
  });
  it("beyond 30 degrees of freedom t is 1.96; one sample or equal samples have no margin", () => {
    const xs = Array.from({ length: 41 }, (_, i) => (i % 2 === 0 ? 1 : 3));
    const s = timeStats(xs);
    const mean = (21 * 1 + 20 * 3) / 41;
    const variance = (21 * (1 - mean) ** 2 + 20 * (3 - mean) ** 2) / 40;
    expect(s.rmePct).toBeCloseTo(((Math.sqrt(variance / 41) * 1.96) / mean) * 100, 10);
    expect(s.medianMs).toBe(1);
    expect(timeStats([5]).rmePct).toBe(0);
    expect(timeStats([2, 2, 2]).rmePct).toBe(0);
  });
});

const f = (w: VValue, x: VValue): VValue => sum(tanh(mul(w, x)));
const W = { a: 1, b: { c: 2 } };
const X = { a: 0.5, b: { c: 0.25 } };
const QUICK = { minSamples: 2, maxTime: 0.002 };

function expectStats(s: TimeStats, minSamples: number): void {
  expect(Object.keys(s).sort()).toEqual(["meanMs", "medianMs", "rmePct", "samples"]);
  expect(s.medianMs).toBeGreaterThan(0);
  expect(s.meanMs).toBeGreaterThan(0);
  expect(Number.isFinite(s.rmePct) && s.rmePct >= 0).toBe(true);
  expect(Number.isInteger(s.samples) && s.samples >= minSamples).toBe(true);
}

describe("overhead: the report", () => {
  it("has eager and jit times with their statistics; ratios are ratios of the medians", () => {
    const r = overhead(f, [W, X], QUICK);
    expect(r.value).toBe(f(W, X));
    expect(r.gradientBy).toBe("valueAndGradient");
    expect(r.sampling).toEqual({ minSamples: 2, maxTime: 0.002, minTime: 0.001 });
    expect(Object.keys(r.eager).sort()).toEqual(["forward", "gradientOverForward", "valueAndGradient"]);
    expectStats(r.eager.forward, 2);
    expectStats(r.eager.valueAndGradient, 2);
    expect(r.eager.gradientOverForward).toBe(r.eager.valueAndGradient.medianMs / r.eager.forward.medianMs);
    const j = r.jit!;
    expect(Object.keys(j).sort()).toEqual([
      "firstCall",
      "firstCallOverEagerGradient",
      "forward",
      "gradientOverEager",
      "gradientOverForward",
      "valueAndGradient",
    ]);
    for (const s of [j.forward, j.valueAndGradient, j.firstCall]) expectStats(s, 2);
    expect(j.gradientOverForward).toBe(j.valueAndGradient.medianMs / j.forward.medianMs);
    expect(j.firstCallOverEagerGradient).toBe(j.firstCall.medianMs / r.eager.valueAndGradient.medianMs);
    expect(j.gradientOverEager).toBe(j.valueAndGradient.medianMs / r.eager.valueAndGradient.medianMs);
  });

  it("times exactly the calls it names: forward plainly, value + gradient through one traced call", () => {
    const spend = fakeClock();
    // 1 ms called plainly, 3 ms when traced (its argument a tracked box, not a number)
    const g = (x: VValue): VValue => {
      spend(typeof x === "number" ? 1 : 3);
      return mul(x, x);
    };
    const r = overhead(g, [2], { minSamples: 2, maxTime: 0.2, jit: false });
    expect(r.eager.forward).toEqual({ medianMs: 1, meanMs: 1, rmePct: 0, samples: 4 });
    // 3 ms: count 1 + ceil(47 / 3) = 17, 51 ms cycles ending at 54, 105, 156, 207 ms
    expect(r.eager.valueAndGradient).toEqual({ medianMs: 3, meanMs: 3, rmePct: 0, samples: 4 });
    expect(r.eager.gradientOverForward).toBe(3);
    expect(r.jit).toBeNull();
  });

  it("a tree-valued f: pullback with a cotangent of ones shaped like the value", () => {
    const seen: VValue[] = [];
    const spy = defineOp(
      "spy",
      (x) => x,
      (g) => {
        seen.push(g);
        return [g];
      },
    );
    const h = (x: VValue): VValue => spy(tanh(add(x, x)));
    const r = overhead(h, [{ a: 1, b: { c: -1 } }], { ...QUICK, jit: false });
    expect(r.gradientBy).toBe("pullback");
    expect(leaves(r.value).map(([p]) => p)).toEqual([["a"], ["b", "c"]]);
    expect(seen.length).toBeGreaterThan(0);
    for (const g of seen) expect(g).toEqual(mapLeaves(r.value, () => 1));
  });
});

describe("overhead: options", () => {
  it("minSamples is the least number of samples of every measurement", () => {
    const spend = fakeClock();
    const r = overhead((x: VValue) => (spend(1), mul(x, x)), [3], { minSamples: 5, maxTime: 0.001, jit: false });
    expect(r.eager.forward.samples).toBe(5);
    expect(r.eager.valueAndGradient.samples).toBe(5);
  });
  it("maxTime is how long every measurement samples, at least", () => {
    const spend = fakeClock();
    const start = performance.now();
    const r = overhead((x: VValue) => (spend(1), mul(x, x)), [3], { minSamples: 1, maxTime: 0.5, jit: false });
    // two measurements, each of 50 ms cycles until 500 ms have passed, and one untimed call
    expect(r.eager.forward.samples).toBe(10);
    expect(r.eager.valueAndGradient.samples).toBe(10);
    expect(performance.now() - start).toBe(2 * (1 + 10 * 50) + 1);
  });
  it("defaults: 5 samples, 1 s, jit on", () => {
    const spend = fakeClock();
    const r = overhead((x: VValue) => (spend(1), mul(x, x)), [3], { jit: false });
    expect(r.sampling).toEqual({ minSamples: 5, maxTime: 1, minTime: 0.05 });
    expect(r.eager.forward.samples).toBe(20);
    vi.useRealTimers();
    expect(overhead(f, [W, X], QUICK).jit).not.toBeNull();
  });
  it("jit: false measures no jit and never traces for it", () => {
    let jitTraced = false;
    const g = (x: VValue): VValue => {
      if ((x as unknown) instanceof JitNode) jitTraced = true;
      return mul(x, x);
    };
    expect(overhead(g, [3], { ...QUICK, jit: false }).jit).toBeNull();
    expect(jitTraced).toBe(false);
    overhead(g, [3], QUICK);
    expect(jitTraced).toBe(true);
  });
});

describe("overhead: bad input", () => {
  it("names what is wrong", () => {
    expect(() => overhead("f" as never, [1])).toThrow(/^overhead: f must be a function, got string$/);
    expect(() => overhead(f, 1 as never)).toThrow(/^overhead: args must be an array of V-values .*got number$/);
    expect(() => overhead(f, [{ a: [1] }] as never)).toThrow(/^overhead: args\[0\]\.a is an array/);
    expect(() => overhead(f, [W, new Map()] as never)).toThrow(/^overhead: args\[1\] is an instance of Map/);
    expect(() => overhead(() => "x" as never, [1])).toThrow(/^overhead: f\(\.\.\.args\) is a string/);
    expect(() => overhead(f, [W, X], { minSamples: 0 })).toThrow(/minSamples must be a positive integer, got 0/);
    expect(() => overhead(f, [W, X], { minSamples: 1.5 })).toThrow(/minSamples must be a positive integer, got 1.5/);
    expect(() => overhead(f, [W, X], { maxTime: -1 })).toThrow(/maxTime must be a positive number of seconds, got -1/);
    expect(() => overhead(f, [W, X], { maxTime: NaN })).toThrow(/maxTime .* got NaN/);
    expect(() => overhead(f, [W, X], { jit: "yes" as never })).toThrow(/option jit must be a boolean, got string/);
    expect(() => overhead(f, [W, X], { maxtime: 1 } as never)).toThrow(/unknown option "maxtime"/);
  });
  it("a function jit cannot replay as eager runs it is reported, not timed", () => {
    // the closure caveat: jit reads c once, when tracing; eagerly every call reads it anew
    let c = 0;
    const g = (x: VValue): VValue => mul(x, ++c);
    expect(() => overhead(g, [2], QUICK)).toThrow(
      /^overhead: jit\(f\) and f disagree at f\(\.\.\.args\): \d+ under jit, 2 eagerly$/,
    );
  });
});
