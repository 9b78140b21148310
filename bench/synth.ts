/**
 * Synthesis benchmarks (wall time, not micro-benchmarks):
 * `npx tsx bench/synth.ts [--no-e2e] [--no-race] [--prior-free]`.
 *
 * 1. Gradient vs OpenAI-ES on late stages: a 2022 network (sparse19-after-500-steps,
 *    23 weights; sparse16-after-2500-steps, 109 weights) with seeded N(0, 0.05²)
 *    noise added to every weight; each method trains until prereg ≤ the target or a
 *    step cap, timed in this process. Gradients and ES's loss evaluations run under
 *    jit (as the synthesis does) and, for comparison, eagerly.
 * 2. The prior-free network (20 306 weights, `--prior-free`): one training step
 *    (loss and gradient through 140 cycles, plus Adam) under jit and eagerly, and the
 *    jit's first call (trace and compile).
 * 3. The default synthesis end to end (`vgrad synth` on its defaults), timed as a child
 *    process (skip with --no-e2e; it takes minutes).
 * Results: bench/results/synth.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { adam, fromJSON, type VValue } from "../src/index.js";
import { layeredNetwork, linksOf, matrixFromLinks, type LossOptions } from "../src/dmm/index.js";
import {
  createEsPool,
  esGradient,
  initialWeights,
  lossAndGradient,
  networkFor,
  prereg,
  priorFreeConfig,
  defaultConfig,
  Rng,
  writeFileAtomic,
} from "../src/synth/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const loadavgStart = os.loadavg();
const { network } = layeredNetwork();
const samples = [{ text: "test string.", cycles: 140 }];
const options: LossOptions = { samples, lambda: 0.001 };
const config = defaultConfig();
const has = (flag: string) => process.argv.includes(flag);

/** A 2022 matrix with seeded N(0, 0.05²) noise on every weight. */
function perturbed(file: string): VValue {
  const base = fromJSON(readFileSync(join(root, "data/dmm-2022", file), "utf8"));
  const rng = Rng.seeded(2022);
  return matrixFromLinks(linksOf(base).map(([t, f, s, sf, w]) => [t, f, s, sf, w + 0.05 * rng.normal()] as const));
}

interface Method {
  name: string;
  method: "gradient" | "es";
  jit: boolean;
  pairs?: number;
  workers?: number;
}

async function race(file: string, m: Method, target: number, cap: number) {
  let w = perturbed(file);
  const lr = m.method === "gradient" ? 0.003 : 0.01; // SPEC-DMM §7: Adam lr 0.01 for ES
  let state = adam().init(w);
  const pool = m.method === "es" ? await createEsPool(m.workers ?? 0) : null;
  // time (wall, and CPU of every thread of this process: on a loaded machine, a measure
  // of the work that wall time is not) of the steps only, not of the check after each
  let seconds = 0,
    cpuSeconds = 0;
  let steps = 0,
    p = prereg(config, network, w);
  const start = p;
  try {
    while (p > target && steps < cap) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const g =
        m.method === "gradient"
          ? lossAndGradient(network, w, { ...options, jit: m.jit }).gradient
          : (
              await esGradient(network, w, options, {
                pairs: m.pairs ?? 32,
                sigma: 0.02,
                l2: 0.005,
                seed: 1,
                step: steps,
                network: config.network,
                pool,
                jit: m.jit,
              })
            ).gradient;
      ({ params: w, state } = adam({ lr }).step(w, g, state));
      const cpu = process.cpuUsage(cpu0);
      seconds += (performance.now() - t0) / 1000;
      cpuSeconds += (cpu.user + cpu.system) / 1e6;
      steps++;
      p = prereg(config, network, w);
    }
  } finally {
    await pool?.close();
  }
  return {
    ...m,
    cpuSeconds,
    weights: linksOf(w).length,
    start,
    final: p,
    reached: p <= target,
    steps,
    seconds,
    msPerStep: (1000 * seconds) / Math.max(1, steps),
  };
}

const METHODS: Method[] = [
  { name: "gradient, jit", method: "gradient", jit: true },
  { name: "gradient, eager", method: "gradient", jit: false },
  { name: "ES 32 pairs, jit, in this thread", method: "es", jit: true, pairs: 32, workers: 0 },
  { name: "ES 32 pairs, jit, 2 workers", method: "es", jit: true, pairs: 32, workers: 2 },
  { name: "ES 8 pairs, jit, in this thread", method: "es", jit: true, pairs: 8, workers: 0 },
  { name: "ES 32 pairs, eager, 2 workers", method: "es", jit: false, pairs: 32, workers: 2 },
];

const target = 0.05;
const stages: Array<{ file: string; rows: Awaited<ReturnType<typeof race>>[] }> = [];
if (!has("--no-race")) {
  for (const file of ["sparse19-after-500-steps-matrix.json", "sparse16-after-2500-steps-matrix.json"]) {
    const rows = [];
    for (const m of METHODS) rows.push(await race(file, m, target, 400));
    stages.push({ file, rows });
    console.log(`late stage (${file}, ${rows[0]!.weights} weights, perturbed), target prereg ≤ ${target}:`);
    for (const r of rows) {
      console.log(
        `  ${r.name.padEnd(34)} ${r.reached ? "reached" : "NOT reached"} in ${r.steps} steps, ${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU (${r.msPerStep.toFixed(2)} ms/step); prereg ${r.start.toPrecision(4)} → ${r.final.toPrecision(4)}`,
      );
    }
  }
}

/** One training step of the prior-free network: loss and gradient through 140 cycles, then Adam. */
function priorFreeStep() {
  const c = priorFreeConfig();
  const { network: net, links } = networkFor(c);
  const rows = [];
  for (const jit of [true, false]) {
    let w = initialWeights(links, Rng.seeded(c.seed), c.initScale);
    let state = adam().init(w);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    // the first jit call traces and compiles; then 5 steps, training for real
    for (let k = 0; k < 6; k++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = lossAndGradient(net, w, { samples: c.samples, lambda: c.baseLambda, jit });
      ({ params: w, state } = adam({ lr: c.baseLr }).step(w, r.gradient, state));
      const cpu = process.cpuUsage(cpu0);
      times.push((performance.now() - t0) / 1000);
      cpuTimes.push((cpu.user + cpu.system) / 1e6);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const row = {
      jit,
      weights: links.length,
      firstSeconds: times[0]!,
      firstCpuSeconds: cpuTimes[0]!,
      medianStepSeconds: median(times.slice(1)),
      medianStepCpuSeconds: median(cpuTimes.slice(1)),
      steps: times.slice(1),
    };
    rows.push(row);
    console.log(
      `prior-free step (${links.length} weights, ${jit ? "jit" : "eager"}): median ${row.medianStepSeconds.toFixed(3)} s wall, ` +
        `${row.medianStepCpuSeconds.toFixed(3)} s CPU over 5 steps; first call ${row.firstSeconds.toFixed(2)} s wall, ${row.firstCpuSeconds.toFixed(2)} s CPU`,
    );
  }
  return rows;
}
const priorFree = has("--prior-free") ? priorFreeStep() : null;

let e2e: { seconds: number; exitCode: number | null; report: string } | null = null;
if (!has("--no-e2e")) {
  const out = mkdtempSync(join(os.tmpdir(), "vgrad-synth-bench-"));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "synth", "--out", out, "--quiet"], {
    cwd: root,
    encoding: "utf8",
  });
  const seconds = (performance.now() - t0) / 1000;
  const report =
    r.status === 0
      ? readFileSync(join(out, "report.md"), "utf8")
          .split("\n")
          .filter((l) => l.startsWith("- "))
          .join("\n")
      : r.stderr;
  rmSync(out, { recursive: true, force: true });
  e2e = { seconds, exitCode: r.status, report };
  console.log(`default synthesis end to end: ${seconds.toFixed(1)} s (exit ${r.status})\n${report}`);
}

mkdirSync(join(root, "bench/results"), { recursive: true });
const machine = {
  cpu: os.cpus()[0]?.model.trim() ?? "?",
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  loadavg: { start: loadavgStart, end: os.loadavg() },
  command: `npx tsx bench/synth.ts ${process.argv.slice(2).join(" ")}`.trim(),
};
// each part keeps its last measurement, with the machine and command it was measured by
const file = join(root, "bench/results/synth.json");
let results: Record<string, unknown> = {};
try {
  results = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
} catch {
  // no earlier results
}
if (stages.length > 0) results["lateStage"] = { machine, target, stages };
if (priorFree !== null) results["priorFree"] = { machine, rows: priorFree };
if (e2e !== null) results["e2e"] = { machine, ...e2e };
delete results["machine"];
writeFileAtomic(file, `${JSON.stringify(results, null, 1)}\n`);
