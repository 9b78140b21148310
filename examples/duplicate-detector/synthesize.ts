// The duplicate-detector synthesis through the library API (no CLI):
//   npx tsx examples/duplicate-detector/synthesize.ts [--full]
// By default a small, fast configuration (a 2-layer network, short schedule); with
// --full, the same defaults as `npm run synth` (the 2022 1486-weight network).
import {
  countLinks,
  detectorAnswers,
  handcraftedDetector,
  layeredNetwork,
  liveNetwork,
  withSoft,
} from "../../src/dmm/index.js";
import { defaultConfig, reportMarkdown, startSynthesis, synthesize } from "../../src/synth/index.js";

const full = process.argv.includes("--full");
const config = full
  ? defaultConfig({ seed: 1 })
  : defaultConfig({
      seed: 1,
      network: { layers: 2, perType: 1, types: ["accum", "norm", "dot", "compare"] },
      baseSteps: 150,
      stageSteps: 40,
      finalSteps: 50,
      targetWeights: 10,
    });

const start = startSynthesis(config);
console.log(`starting from ${countLinks(start.soft)} soft weights`);
const done = await synthesize(start, {
  onStage: (_s, r) =>
    r &&
    console.log(
      `stage ${r.stage}: ${r.weightsBefore} -> ${r.weightsAfter} weights, prereg ${r.preregAfter.toPrecision(3)} (${r.accepted ? "kept" : "backed off"})`,
    ),
});

const soft = done.accepted.soft;
console.log(`\nsynthesized: ${countLinks(soft)} weights, prereg ${done.accepted.prereg.toPrecision(3)}`);
const net = liveNetwork(withSoft(layeredNetwork(config.network).network, soft));
const ours = detectorAnswers(net, "test string.", 150);
const ref = detectorAnswers(handcraftedDetector(), "test string.", 150);
for (const c of [35, 65, 114, 144, 150]) {
  console.log(`cycle ${c}: synthesized [${ours[c - 1]!.map((y) => y.toFixed(3))}]  hand-crafted [${ref[c - 1]}]`);
}
if (process.argv.includes("--report")) console.log(reportMarkdown(done));
