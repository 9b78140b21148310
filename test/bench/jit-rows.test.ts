/**
 * The jit rows of the benchmarks: a jit row is timed only after jit gave eager mode's
 * value and gradient (a difference fails loudly), targets are judged on the right side
 * of their limits, and results recorded before jit render as they did.
 */
import { afterAll, describe, expect, it } from "vitest";
import { jitTargets, jitWorkload, loadTf, makeWorkloads, treeDifference, type Workload } from "../../bench/core.js";
import { renderSuite, type CoreRow, type Machine, type Measurement, type SuiteResult } from "../../bench/report.js";
import { scale, sum, type VValue } from "../../src/index.js";

describe("treeDifference", () => {
  it("equal trees, and an absent leaf against 0, do not differ", () => {
    expect(treeDifference({ a: 1, b: { c: -2 } }, { a: 1, b: { c: -2 } }, 0)).toBeNull();
    expect(treeDifference({ a: 1, b: 0 }, { a: 1 }, 0)).toBeNull();
    expect(treeDifference(NaN, NaN, 0)).toBeNull();
  });
  it("names the leaf that differs by more than rel, relative to the largest leaf", () => {
    expect(treeDifference({ a: 1, b: 2 }, { a: 1, b: 2 + 3e-12 }, 1e-12)).toBe('["b"]: 2 vs 2.000000000003');
    expect(treeDifference({ a: 1, b: 2 }, { a: 1, b: 2 + 1e-12 }, 1e-12)).toBeNull();
    // 1e-13 next to a leaf of 1000 is within 1e-12 of the scale, though not of itself
    expect(treeDifference({ a: 1000, b: 1e-13 }, { a: 1000, b: 2e-13 }, 1e-12)).toBeNull();
    expect(treeDifference({ a: 1 }, { a: 1, z: 1 }, 1e-12)).toBe('["z"]: 0 vs 1');
  });
});

describe("jitWorkload", async () => {
  const tf = await loadTf();
  const workloads = makeWorkloads(tf, () => true);
  afterAll(() => {
    for (const w of workloads) tf.dispose(w.tensors);
  });

  it("every core workload under jit gives eager mode's forward value, value and gradient", () => {
    for (const w of workloads) {
      const j = jitWorkload(w);
      expect(j.jitForward()).toBe(j.jitGradient().value);
      expect(j.jf.traces).toBe(2); // a plain call and a differentiated one, each traced once
    }
  });

  it("fails loudly, naming what differs, when jit would time another function", () => {
    // the closure caveat: jit reads k once, when tracing; eager mode every call
    let k = 0;
    const f = (x: VValue): VValue => sum(scale(++k, x));
    const fake = { label: "(z) closure", vgrad: { f, args: [{ a: 1 }] } } as unknown as Workload;
    expect(() => jitWorkload(fake)).toThrow(
      /^\(z\) closure: jit differs from eager mode \(wanted ≤ 1e-12 relative\): forward \d+, eager 1; value/,
    );
  });
});

describe("jitTargets", () => {
  it("judges each target on the medians' ratio, met up to and at the limit", () => {
    const t = jitTargets("(a) x", 3, 3.01, 0.5);
    expect(t.map((x) => [x.what, x.met])).toEqual([
      ["(a) x: jit gradient/forward", true],
      ["(a) x: jit vs tfjs (gradient)", true],
      ["(a) x: jit first call ÷ eager value+gradient", false],
    ]);
    expect(t[2]!.ratio).toBeCloseTo(3.01 / 3, 12);
    expect(jitTargets("n", 4, 1).map((x) => x.met)).toEqual([false, true]); // no tfjs: no tfjs target
  });
});

describe("rendering", () => {
  const m = (ms: number): Measurement => ({ name: "x", meanMs: ms, medianMs: ms, rmePct: 1, samples: 5 });
  const machine: Machine = {
    cpu: "cpu",
    cores: 2,
    platform: "p",
    node: "v20",
    date: "d",
    command: "c",
    loadStart: [],
    loadEnd: [],
    git: "g",
    versions: {},
    settings: { minSamples: 3, maxTime: 0.5, quick: true },
  };
  const row: CoreRow = {
    id: "w",
    label: "(w) workload",
    description: "",
    vgradForward: m(1),
    vgradGradient: m(4),
    tfjsForward: m(2),
    tfjsGradient: m(8),
    gradientOverForward: 4,
    tfjsGradientOverForward: 4,
    forwardVsTfjs: 0.5,
    gradientVsTfjs: 0.5,
    check: { vgradValue: 1, tfjsValue: 1, vgradGradNorm: 1, tfjsGradNorm: 1, ok: true },
  };
  it("a result recorded before jit has no jit table", () => {
    const text = renderSuite({ suite: "core", machine, rows: [row], targets: [] } as SuiteResult<CoreRow>);
    expect(text).not.toContain("jit");
  });
  it("a jit row is a row of the jit table, with its program", () => {
    const withJit: CoreRow = {
      ...row,
      jit: {
        forward: m(0.5),
        gradient: m(1),
        firstCall: m(12),
        gradientOverForward: 2,
        forwardOverEager: 0.5,
        gradientOverEager: 0.25,
        gradientVsTfjs: 0.125,
        firstCallOverEagerGradient: 3,
        program: { operations: 7, slots: 30, hosted: { tanh: 2 } },
      },
    };
    const lines = renderSuite({ suite: "core", machine, rows: [withJit], targets: [] } as SuiteResult<CoreRow>).split(
      "\n",
    );
    const jitRow = lines.find((l) => l.startsWith("| (w) workload") && l.includes("7 ops"));
    expect(jitRow).toBeDefined();
    expect(jitRow).toContain("7 ops, 30 slots; hosted: tanh×2");
    expect(jitRow).toContain("2.00×"); // jit grad/fwd
    expect(jitRow).toContain("0.13× (8.00× faster)"); // jit/tfjs gradient
  });
});
