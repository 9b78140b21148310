/**
 * Synthesis benchmarks (wall time, not micro-benchmarks): `npx tsx bench/synth.ts [--no-e2e]`.
 *
 * 1. Gradient vs OpenAI-ES on a late stage: the 2022 23-weight network
 *    (sparse19-after-500-steps) with seeded N(0, 0.05²) noise added to every weight;
 *    each method trains until prereg ≤ the target or a step cap, timed in this process.
 * 2. The default synthesis end to end (`vgrad synth` on its defaults), timed as a child
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
  lossAndGradient,
  prereg,
  defaultConfig,
  Rng,
  writeFileAtomic,
} from "../src/synth/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { network } = layeredNetwork();
const samples = [{ text: "test string.", cycles: 140 }];
const options: LossOptions = { samples, lambda: 0.001 };
const config = defaultConfig();

function perturbed(): VValue {
  const base = fromJSON(readFileSync(join(root, "data/dmm-2022/sparse19-after-500-steps-matrix.json"), "utf8"));
  const rng = Rng.seeded(2022);
  return matrixFromLinks(linksOf(base).map(([t, f, s, sf, w]) => [t, f, s, sf, w + 0.05 * rng.normal()] as const));
}

async function race(method: "gradient" | "es", target: number, cap: number) {
  let w = perturbed();
  const lr = method === "gradient" ? 0.003 : 0.01; // SPEC-DMM §7: Adam lr 0.01 for ES
  let state = adam().init(w);
  const pool = method === "es" ? await createEsPool(2) : null;
  const t0 = performance.now();
  let steps = 0,
    p = prereg(config, network, w);
  const start = p;
  try {
    while (p > target && steps < cap) {
      const g =
        method === "gradient"
          ? lossAndGradient(network, w, options).gradient
          : (
              await esGradient(network, w, options, {
                pairs: 32,
                sigma: 0.02,
                l2: 0.005,
                seed: 1,
                step: steps,
                network: config.network,
                pool,
              })
            ).gradient;
      ({ params: w, state } = adam({ lr }).step(w, g, state));
      steps++;
      p = prereg(config, network, w);
    }
  } finally {
    await pool?.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    method,
    start,
    final: p,
    reached: p <= target,
    steps,
    seconds,
    msPerStep: (1000 * seconds) / Math.max(1, steps),
  };
}

const target = 0.05;
const rows = [await race("gradient", target, 400), await race("es", target, 400)];
console.log(`late stage (23 weights, perturbed), target prereg ≤ ${target}:`);
for (const r of rows) {
  console.log(
    `  ${r.method.padEnd(8)} ${r.reached ? "reached" : "NOT reached"} in ${r.steps} steps, ${r.seconds.toFixed(1)} s (${r.msPerStep.toFixed(1)} ms/step); prereg ${r.start.toPrecision(4)} → ${r.final.toPrecision(4)}`,
  );
}

let e2e: { seconds: number; exitCode: number | null; report: string } | null = null;
if (!process.argv.includes("--no-e2e")) {
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
  loadavg: os.loadavg(),
  command: `npx tsx bench/synth.ts ${process.argv.slice(2).join(" ")}`.trim(),
};
writeFileAtomic(
  join(root, "bench/results/synth.json"),
  `${JSON.stringify({ machine, lateStage: { target, rows }, e2e }, null, 1)}\n`,
);
