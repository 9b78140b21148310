/**
 * The forward-mode rows of the core benchmarks: jvp and hvp are timed only after they
 * agreed with reverse mode (a difference fails loudly), their targets are judged on the
 * right side of the limits, and results recorded before forward mode render as they did.
 */
import { afterAll, describe, expect, it } from "vitest";
import { forwardTargets, forwardWorkload, loadTf, makeWorkloads, type Workload } from "../../bench/core.js";
import { renderSuite, type CoreRow, type Machine, type Measurement, type SuiteResult } from "../../bench/report.js";
import { defineOp, mapLeaves, mul, scale, sum, type VValue } from "../../src/index.js";

describe("forwardWorkload", async () => {
  const tf = await loadTf();
  const workloads = makeWorkloads(tf, () => true);
  afterAll(() => {
    for (const w of workloads) tf.dispose(w.tensors);
  });

  it("every core workload's jvp and hvp agree with reverse mode", () => {
    for (const w of workloads) {
      const fw = forwardWorkload(w);
      expect(fw.forwardJvp().value).toBe(w.vgradForward());
      expect(fw.forwardHvp().length).toBe(w.vgrad.args.length);
    }
  });

  it("fails loudly, naming what differs, when forward mode would time another function", () => {
    // an op whose forward rule is wrong by a factor 2
    const cube = defineOp(
      "cube",
      (x: VValue) => mapLeaves(x, (v) => v ** 3),
      (g: VValue, _ans: VValue, x: VValue) => [mul(g, scale(3, mul(x, x)))],
      { jvp: ([t], _ans, x) => (t === undefined ? undefined : mul(t, scale(6, mul(x, x)))) },
    );
    const fake = {
      label: "(z) wrong rule",
      vgrad: { f: (x: VValue) => sum(cube(x)), args: [{ a: 1 }] },
      vgradForward: () => 1,
    } as unknown as Workload;
    expect(() => forwardWorkload(fake)).toThrow(
      /^\(z\) wrong rule: forward mode differs from reverse mode: jvp tangent -?[\d.]+, ⟨∇f, t⟩ -?[\d.]+/,
    );
  });
});

describe("forwardTargets", () => {
  const m = (ms: number): Measurement => ({ name: "x", meanMs: ms, medianMs: ms, rmePct: 1, samples: 5 });
  it("judges jvp/forward against 3 and hvp/gradient against 4, met at the limit", () => {
    const t = forwardTargets("(a) x", { jvp: m(3), hvp: m(4.1), jvpOverForward: 3, hvpOverGradient: 4.1 });
    expect(t.map((x) => [x.what, x.target, x.met])).toEqual([
      ["(a) x: jvp/forward", "≤ 3", true],
      ["(a) x: hvp/gradient", "≤ 4", false],
    ]);
    expect(t[1]!.ratio).toBeCloseTo(4.1 / 4, 12);
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
  it("a result recorded before forward mode has no forward-mode table", () => {
    const text = renderSuite({ suite: "core", machine, rows: [row], targets: [] } as SuiteResult<CoreRow>);
    expect(text).not.toContain("jvp");
  });
  it("a forward-mode row gives jvp and hvp beside the forward and the gradient", () => {
    const withForward: CoreRow = {
      ...row,
      forwardMode: { jvp: m(2.5), hvp: m(12), jvpOverForward: 2.5, hvpOverGradient: 3 },
    };
    const text = renderSuite({ suite: "core", machine, rows: [withForward], targets: [] } as SuiteResult<CoreRow>);
    expect(text).toContain("| workload     | vgrad forward | jvp");
    const line = text.split("\n").find((l) => l.startsWith("| (w) workload") && l.includes("2.50×"));
    expect(line).toBeDefined();
    expect(line).toContain("3.00×"); // hvp/grad
  });
});
