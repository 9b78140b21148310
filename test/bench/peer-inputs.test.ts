/**
 * What the PyTorch peer (bench/peers/torch_core.py) is given: each core workload's
 * `inputs`, as plain arrays. Recomputing the loss from them with plain loops must give
 * vgrad's loss, or the peer would be timed on a different function. Also: the torch
 * suite's statistics of pooled samples are benchmark.js's own.
 */
import Benchmark from "benchmark";
import { afterAll, describe, expect, it } from "vitest";
import { loadTf, makeWorkloads, type Json, type Workload } from "../../bench/core.js";
import { median, statsOf } from "../../bench/harness.js";

const nums = (x: Json | undefined): number[] => x as number[];
const mat = (x: Json | undefined): number[][] => x as number[][];

/** The loss of each workload from its inputs alone, written from the workloads' descriptions. */
const FROM_INPUTS: Record<string, (inp: Workload["inputs"]) => number> = {
  "scalar-chain": (inp) => {
    let x = inp["x0"] as number;
    const w = inp["w"] as number,
      b = inp["b"] as number;
    for (let k = 0; k < (inp["ops"] as number); k++) x = k % 3 === 0 ? x * w : k % 3 === 1 ? x + b : Math.tanh(x);
    return x;
  },
  "tree-1000": (inp) => nums(inp["t"]).reduce((s, x) => s + Math.tanh(x * x), 0),
  "lincomb-50x20": (inp) => {
    const c = nums(inp["c"]),
      m = mat(inp["m"]);
    let loss = 0;
    for (let j = 0; j < m[0]!.length; j++) {
      let l = 0;
      for (let i = 0; i < c.length; i++) l += c[i]! * m[i]![j]!;
      loss += l * l;
    }
    return loss;
  },
  "mlp-3x32": (inp) => {
    let h = nums(inp["x"]);
    for (const layer of inp["layers"] as Array<{ W: number[][]; b: number[] }>) {
      // W is row-major with one row per input unit, as in h · W
      h = layer.b.map((bo, o) => Math.tanh(h.reduce((s, hi, i) => s + hi * layer.W[i]![o]!, bo)));
    }
    const y = nums(inp["y"]);
    return h.reduce((s, ho, o) => s + (ho - y[o]!) ** 2, 0);
  },
};

describe("core workloads' inputs", async () => {
  const tf = await loadTf();
  const workloads = makeWorkloads(tf, () => true);
  afterAll(() => {
    for (const w of workloads) tf.dispose(w.tensors);
  });

  it("cover every workload", () => {
    expect(workloads.map((w) => w.id).sort()).toEqual(Object.keys(FROM_INPUTS).sort());
  });

  for (const w of workloads) {
    it(`${w.id}: rebuild vgrad's loss`, () => {
      const fromInputs = FROM_INPUTS[w.id]!(w.inputs);
      const vgrad = w.vgradForward();
      expect(Math.abs(fromInputs - vgrad)).toBeLessThanOrEqual(1e-12 * Math.abs(vgrad));
    });

    it(`${w.id}: survive JSON exactly`, () => {
      expect(JSON.parse(JSON.stringify(w.inputs))).toEqual(w.inputs);
    });
  }
});

describe("statsOf", () => {
  it("agrees with benchmark.js on its own samples", () => {
    const bench = new Benchmark("sqrt", () => Math.sqrt(Math.random()), { minSamples: 5, maxTime: 0.05 });
    bench.run({ async: false });
    const samplesMs = bench.stats.sample.map((x) => x * 1e3);
    const m = statsOf("sqrt", samplesMs);
    expect(m.samples).toBe(bench.stats.sample.length);
    expect(m.meanMs).toBeCloseTo(bench.stats.mean * 1e3, 12);
    expect(m.rmePct).toBeCloseTo(bench.stats.rme, 9);
    expect(m.medianMs).toBe(median(samplesMs));
  });

  it("uses Student's t for small samples and 1.96 past 30 degrees of freedom", () => {
    // mean 2, sample sd 1 (n = 2: values 2 ± 1/√2), sem 1/√2, t(1) = 12.706
    const two = statsOf("two", [2 - Math.SQRT1_2, 2 + Math.SQRT1_2]);
    expect(two.rmePct).toBeCloseTo(((12.706 * Math.SQRT1_2) / 2) * 100, 9);
    const many = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : 3));
    const m = statsOf("many", many);
    const sd = Math.sqrt((40 * 1) / 39);
    expect(m.rmePct).toBeCloseTo(((1.96 * sd) / Math.sqrt(40) / 2) * 100, 9);
    expect(statsOf("one", [5]).rmePct).toBe(0);
  });
});
