/** The synthesis report: sizes, losses, the generalization table, time per stage. */
import {
  countLinks,
  detectorAnswers,
  layeredNetwork,
  liveNetwork,
  targets,
  withSoft,
  type Sample,
} from "../dmm/index.js";
import type { VValue } from "../vvalue/types.js";
import { defaultCycles } from "./config.js";
import { SPARSE20_2022 } from "./reference-2022.js";
import type { SynthState } from "./synthesize.js";
import { describeNetwork, networkFor } from "./topology.js";

/** The strings of the generalization table (SPEC-DMM §6 and the issue's list). */
export const GENERALIZATION_SET: readonly Sample[] = [
  { text: "test string.", cycles: 140 },
  { text: "test string.", cycles: 150 },
  { text: "teest string.", cycles: defaultCycles("teest string.") },
  { text: "tets string.", cycles: defaultCycles("tets string.") },
  { text: "tets. str.ingtb str.ingtb", cycles: 250 },
  { text: "hello world.", cycles: defaultCycles("hello world.") },
  { text: "abcdefg.", cycles: defaultCycles("abcdefg.") },
  { text: "mississippi.", cycles: defaultCycles("mississippi.") },
  { text: "abracadabra.", cycles: defaultCycles("abracadabra.") },
  { text: "seventeen trees.", cycles: defaultCycles("seventeen trees.") },
  { text: "aaaa.", cycles: defaultCycles("aaaa.") },
];

/** How a network scores on one sample: squared error and the largest |y1 − z1|. */
export interface Score {
  prereg: number;
  maxErrY1: number;
  maxErrY2: number;
  /** The largest number of times one character occurs in the text. */
  maxCount: number;
}

/**
 * Scores a soft matrix of the layered layout on a sample against the hand-crafted
 * detector.
 *
 * @example
 * scoreOn(SPARSE20_2022, { text: "test string.", cycles: 140 }).prereg; // ≈ 0.00161
 */
export function scoreOn(soft: VValue, sample: Sample, network = layeredNetwork().network): Score {
  const net = liveNetwork(withSoft(network, soft));
  const ys = detectorAnswers(net, sample.text, sample.cycles);
  const zs = targets(sample.text, sample.cycles);
  let prereg = 0,
    maxErrY1 = 0,
    maxErrY2 = 0;
  ys.forEach(([y1, y2], i) => {
    const [z1, z2] = zs[i]!;
    prereg += (y1 - z1) ** 2 + (y2 - z2) ** 2;
    maxErrY1 = Math.max(maxErrY1, Math.abs(y1 - z1));
    maxErrY2 = Math.max(maxErrY2, Math.abs(y2 - z2));
  });
  const counts = new Map<string, number>();
  for (const ch of sample.text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return { prereg, maxErrY1, maxErrY2, maxCount: Math.max(...counts.values()) };
}

const f = (x: number, digits = 4): string => (Number.isFinite(x) ? (x === 0 ? "0" : x.toPrecision(digits)) : String(x));
const secs = (s: number): string => `${s.toFixed(1)} s`;

/** The report as Markdown. */
export function reportMarkdown(state: SynthState, options: { command?: string; totalSeconds?: number } = {}): string {
  const c = state.config;
  const soft = state.accepted.soft;
  const network = networkFor(c).network;
  const weights = countLinks(soft);
  const lines: string[] = [];
  lines.push("# DMM synthesis report", "");
  if (options.command) lines.push(`Command: \`${options.command}\``, "");
  lines.push(
    `- Method: ${c.method === "gradient" ? "reverse-mode gradient (vgrad)" : `OpenAI-ES (${c.es.pairs} antithetic pairs, σ = ${c.es.sigma})`}` +
      `${c.compat2022 ? ", compat-2022 gradients" : ""}; seed ${c.seed}`,
    `- Network: ${describeNetwork(c)}; ${countLinks(network.soft)} soft weights at the start`,
    `- Training texts: ${c.samples.map((s) => `"${s.text}" (${s.cycles} cycles)`).join(", ")}`,
    `- **Final size: ${weights} soft weights**; prereg on the training texts ${f(state.accepted.prereg)}`,
    `- Steps: ${state.totalSteps} (base ${c.baseSteps}, ${state.stages.length} stages × ≤ ${c.stageSteps}, polishing ${c.finalSteps})`,
  );
  if (options.totalSeconds !== undefined) lines.push(`- Wall time: ${secs(options.totalSeconds)}`);
  lines.push("", "![the synthesized network](network.svg)", "", "![training](training.svg)", "");

  lines.push("## Generalization", "");
  lines.push(
    `Squared error Σ(y1−z1)² + (y2−z2)² against the hand-crafted detector (and the largest |y1 − z1|), ` +
      `for the synthesized network (${weights} weights) and the 2022 network ` +
      `(sparse20-after-100-steps-matrix.json, ${countLinks(SPARSE20_2022)} weights), scored by the same code.`,
    "",
    "| text | cycles | max count | synthesized: error | max \\|Δy1\\| | 2022: error | max \\|Δy1\\| | better |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const sample of GENERALIZATION_SET) {
    const a = scoreOn(soft, sample, network);
    const b = scoreOn(SPARSE20_2022, sample);
    const better = a.prereg < b.prereg ? "synthesized" : a.prereg > b.prereg ? "2022" : "tie";
    lines.push(
      `| \`${sample.text}\` | ${sample.cycles} | ${a.maxCount} | ${f(a.prereg)} | ${f(a.maxErrY1, 3)} | ${f(b.prereg)} | ${f(b.maxErrY1, 3)} | ${better} |`,
    );
  }
  lines.push("");

  lines.push("## Stages", "");
  lines.push(
    `Base training: ${c.baseSteps} steps, λ = ${c.baseLambda}, lr ${c.baseLr}, ${secs(state.baseSeconds)}.`,
    "",
  );
  lines.push(
    "| stage | λ | weights before | cut | weights after | prereg before | prereg after | result | steps | time |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of state.stages) {
    lines.push(
      `| ${r.stage} | ${f(r.lambda, 3)} | ${r.weightsBefore} | ${r.cut} | ${r.weightsAfter} | ${f(r.preregBefore)} | ${f(r.preregAfter)} | ` +
        `${r.accepted ? "accepted" : "backed off"} | ${r.steps} | ${secs(r.seconds)} |`,
    );
  }
  lines.push(
    "",
    `Polishing: ${c.finalSteps} steps, λ = ${c.finalLambda}, lr ${c.finalLr}, ${secs(state.finalSeconds)}.`,
    "",
  );
  return lines.join("\n");
}
