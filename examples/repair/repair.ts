// Repair: break the hand-crafted duplicate detector and let the synthesis mend it.
//   npx tsx examples/repair/repair.ts [--full] [--json FILE]
// The hand-crafted detector (SPEC-DMM §3) is placed in the layered network (its clock
// and its accumulator's memory loop are the network's hard links; its other 8 links
// soft, weight 1), every other soft link of that network at weight 0. It is broken in
// one of five ways, then the synthesis (base training, pruning stages, polishing)
// runs from the broken matrix. A run "recovers" at the first step whose prereg on
// "test string." (140 cycles) is at most 0.01. By default the network is 3 layers × 1
// of each type (180 soft links); with --full, the 2022 network (1486).
import { writeFileSync } from "node:fs";
import { countLinks, layeredNetwork, linksOf, matrixFromLinks, type Link } from "../../src/dmm/index.js";
import {
  defaultConfig,
  Rng,
  setError,
  startSynthesis,
  synthesize,
  VALIDATION_SET,
  type SynthConfig,
} from "../../src/synth/index.js";

/** The hand-crafted detector's 8 soft links in the layered network (layers 1, 2, 3). */
export const DETECTOR: readonly Link[] = [
  ["accum-1-1", "dict-2", "input", "char", 1],
  ["norm-2-1", "dict", "accum-1-1", "dict", 1],
  ["compare-3-1", "dict-1", "norm-2-1", "norm", 1],
  ["compare-3-1", "dict-2", "const_1", "const_1", 1],
  ["dot-2-1", "dict-1", "accum-1-1", "dict", 1],
  ["dot-2-1", "dict-2", "eos", "char", 1],
  ["output", "dict-1", "compare-3-1", "true", 1],
  ["output", "dict-2", "dot-2-1", "dot", 1],
];

export const SCENARIOS = ["drop threshold", "drop y2", "perturb", "noise", "all"] as const;
export type Scenario = (typeof SCENARIOS)[number];

const key = (l: readonly unknown[]) => l.slice(0, 4).join(" ");

/**
 * The broken detector as a full soft matrix of `network` (every link present):
 * - "drop threshold": compare.dict-2 ← const_1 removed (y1 becomes the max count, not count − 1);
 * - "drop y2": output.dict-2 ← dot removed (no "." count);
 * - "perturb": every detector weight × (1 + 0.25 ε), ε ~ N(0, 1);
 * - "noise": 30 other links at 0.1 ε;
 * - "all": drop threshold, perturb and noise together.
 */
export function broken(scenario: Scenario, network: SynthConfig["network"], seed = 1): Link[] {
  const rng = Rng.seeded(seed);
  const dropped = new Set<string>();
  if (scenario === "drop threshold" || scenario === "all") dropped.add(key(DETECTOR[3]!));
  if (scenario === "drop y2") dropped.add(key(DETECTOR[7]!));
  const weights = new Map<string, number>();
  for (const l of DETECTOR) {
    if (dropped.has(key(l))) continue;
    weights.set(key(l), scenario === "perturb" || scenario === "all" ? 1 + 0.25 * rng.normal() : 1);
  }
  const all = layeredNetwork(network).links;
  if (scenario === "noise" || scenario === "all") {
    const others = all.filter((l) => !weights.has(key(l)) && !dropped.has(key(l)));
    for (let i = 0; i < 30 && others.length > 0; i++) {
      const [l] = others.splice(Math.floor(rng.uniform() * others.length), 1);
      weights.set(key(l!), 0.1 * rng.normal());
    }
  }
  return all.map(([t, f, s, sf]) => [t, f, s, sf, weights.get(key([t, f, s, sf])) ?? 0]);
}

/** What a repair run found. */
export interface RepairResult {
  scenario: Scenario;
  /** Prereg of the broken network and of the intact one (0). */
  brokenPrereg: number;
  /** First step with prereg ≤ 0.01, and the wall and CPU time to it (null: never). */
  recoveredAtStep: number | null;
  recoveredAfterSeconds: number | null;
  recoveredAfterCpuSeconds: number | null;
  finalWeights: number;
  finalPrereg: number;
  /** Mean per-element squared error on the validation set (texts not trained on here). */
  validationError: number;
  /** Whether the final network has exactly the hand-crafted detector's 8 links. */
  sameLinksAsDetector: boolean;
  /** The final network's links, "target field ← source field: weight". */
  finalLinks: string[];
  steps: number;
  seconds: number;
  /** CPU time of the whole run (on a busy machine, a measure of the work that wall time is not). */
  cpuSeconds: number;
}

/** The schedule of a repair: the defaults with a short base training, down to 8 weights. */
export function repairConfig(full: boolean, overrides: Partial<SynthConfig> = {}): SynthConfig {
  return defaultConfig({
    network: full
      ? { layers: 5, perType: 2, types: ["accum", "norm", "dot", "compare"] }
      : { layers: 3, perType: 1, types: ["accum", "norm", "dot", "compare"] },
    baseSteps: 300,
    targetWeights: 8,
    finalSteps: 300,
    ...overrides,
  });
}

/** Breaks the detector as `scenario` says and runs the synthesis from it. */
export async function repair(scenario: Scenario, config: SynthConfig): Promise<RepairResult> {
  const start = startSynthesis(config, matrixFromLinks(broken(scenario, config.network, config.seed)));
  let recoveredAtStep: number | null = null;
  let recoveredAfterSeconds: number | null = null;
  let recoveredAfterCpuSeconds: number | null = null;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cpuSince = () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };
  const done = await synthesize(start, {
    onStep: (_s, e) => {
      if (recoveredAtStep === null && e.prereg <= 0.01) {
        // the prereg of a step is measured before its update: the network of step k − 1
        recoveredAtStep = e.step - 1;
        recoveredAfterSeconds = (performance.now() - t0) / 1000;
        recoveredAfterCpuSeconds = cpuSince();
      }
    },
  });
  const network = layeredNetwork(config.network).network;
  const final = linksOf(done.accepted.soft).map(key).sort();
  return {
    scenario,
    brokenPrereg: done.history[0]?.prereg ?? Number.NaN,
    recoveredAtStep,
    recoveredAfterSeconds,
    recoveredAfterCpuSeconds,
    finalWeights: countLinks(done.accepted.soft),
    finalPrereg: done.accepted.prereg,
    validationError: setError(done.accepted.soft, VALIDATION_SET, network).mean,
    sameLinksAsDetector: JSON.stringify(final) === JSON.stringify(DETECTOR.map(key).sort()),
    finalLinks: linksOf(done.accepted.soft).map(([t, f, s, sf, w]) => `${t}.${f} ← ${s}.${sf}: ${w.toPrecision(4)}`),
    steps: done.totalSteps,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpuSince(),
  };
}

if (process.argv[1]?.endsWith("repair.ts")) {
  const full = process.argv.includes("--full");
  const jsonAt = process.argv.indexOf("--json");
  const config = repairConfig(full);
  console.log(
    `network: ${config.network.layers} layers × ${config.network.perType}, ${layeredNetwork(config.network).links.length} soft links`,
  );
  const results: RepairResult[] = [];
  for (const scenario of SCENARIOS) {
    const r = await repair(scenario, config);
    results.push(r);
    const rec =
      r.recoveredAtStep === null
        ? "never reached prereg ≤ 0.01"
        : `prereg ≤ 0.01 after ${r.recoveredAtStep} steps (${r.recoveredAfterSeconds!.toFixed(1)} s, ${r.recoveredAfterCpuSeconds!.toFixed(1)} s CPU)`;
    console.log(
      `${scenario.padEnd(15)} broken prereg ${r.brokenPrereg.toPrecision(4)}; ${rec}; ends at ${r.finalWeights} weights, ` +
        `prereg ${r.finalPrereg.toPrecision(3)}, validation error ${r.validationError.toPrecision(3)}, ` +
        `${r.sameLinksAsDetector ? "the detector's 8 links" : "other links"} (${r.steps} steps, ${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(1)} s CPU)`,
    );
  }
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1]!, `${JSON.stringify({ full, results }, null, 1)}\n`);
}
