/**
 * Renders recorded benchmark results as the Markdown for docs/benchmarks.md:
 *
 *   npx tsx bench/to-markdown.ts                 # bench/results/core.json and dmm.json
 *   npx tsx bench/to-markdown.ts a.json b.json   # given files (e.g. bench/results/torch.json)
 *
 * Prints to stdout; changes nothing.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LEGEND, renderSuite, type CoreRow, type DmmRow, type SuiteResult, type TorchRow } from "./report.js";

const TITLES: Record<string, string> = {
  core: "Core suite: vgrad vs @tensorflow/tfjs (CPU backend)",
  dmm: 'DMM suite: the 140-cycle detector loss on "test string."',
  torch: "Torch suite: vgrad vs PyTorch eager (float64, one thread)",
};

function main(): void {
  const given = process.argv.slice(2);
  const files =
    given.length > 0
      ? given
      : ["core", "dmm"]
          .map((s) => fileURLToPath(new URL(`./results/${s}.json`, import.meta.url)))
          .filter((f) => existsSync(f));
  if (files.length === 0) {
    process.stderr.write("no results: run `npm run bench` first (it writes bench/results/core.json and dmm.json)\n");
    process.exit(1);
  }
  const parts: string[] = [];
  for (const file of files) {
    const r = JSON.parse(readFileSync(file, "utf8")) as
      SuiteResult<CoreRow> | SuiteResult<DmmRow> | SuiteResult<TorchRow>;
    // the torch suite carries its own legend
    if (r.suite !== "torch" && !parts.includes(LEGEND)) parts.unshift(LEGEND);
    parts.push(`### ${TITLES[r.suite] ?? r.suite}`, renderSuite(r));
  }
  process.stdout.write(`${parts.join("\n\n")}\n`);
}

main();
