/**
 * vgrad benchmarks: `npm run bench [-- [core|dmm|synth|<workload id part>]... [--quick]]`.
 *
 *   core   vgrad vs @tensorflow/tfjs (CPU) on four small workloads     -> results/core.json
 *   dmm    the 140-cycle DMM detector loss: forward, gradient, Adam step -> results/dmm.json
 *   synth  alias of dmm (it times synth's lossAndGradient and training step)
 *
 * Any other word selects the workloads whose id contains it (ids: scalar-chain,
 * tree-1000, lincomb-50x20, mlp-3x32, dmm-1486, dmm-109, dmm-19). Options:
 *   --quick             minSamples 3, maxTime 0.5 s per benchmark (well under a minute)
 *   --min-samples N     override benchmark.js minSamples
 *   --max-time S        override benchmark.js maxTime (seconds)
 *   --no-write          print only; leave bench/results/ alone
 * A suite's JSON is written (atomically) only when the whole suite ran.
 * Tables go to stdout, progress to stderr.
 */
import { mkdirSync } from "node:fs";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../src/synth/atomic-write.js";
import { CORE_IDS, runCore } from "./core.js";
import { NETWORKS, runDmm } from "./dmm.js";
import { FULL, QUICK, type Settings } from "./harness.js";
import {
  LEGEND,
  machineInfo,
  renderSuite,
  type CoreRow,
  type DmmRow,
  type SuiteResult,
  type TargetCheck,
} from "./report.js";

const SUITES = ["core", "dmm"] as const;
type SuiteName = (typeof SUITES)[number];
const ALIASES: Record<string, SuiteName> = { synth: "dmm" };
const IDS: Record<SuiteName, readonly string[]> = { core: CORE_IDS, dmm: NETWORKS.map(([id]) => id) };

const USAGE = `usage: tsx bench/run.ts [core|dmm|synth|<workload id part>]... [--quick] [--min-samples N] [--max-time S] [--no-write]
workload ids: ${[...IDS.core, ...IDS.dmm].join(", ")}`;

interface Args {
  settings: Settings;
  /** Per suite: null = not run, "all", or the ids to run. */
  plan: Record<SuiteName, readonly string[] | null>;
  write: boolean;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveNumber(flag: string, text: string | undefined): number {
  const x = Number(text);
  if (text === undefined || !Number.isFinite(x) || x <= 0)
    fail(`${flag} needs a positive number, got ${text ?? "nothing"}`);
  return x;
}

function parseArgs(argv: readonly string[]): Args {
  let settings: Settings = { ...FULL };
  let minSamples: number | undefined, maxTime: number | undefined;
  let write = true;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") settings = { ...QUICK };
    else if (a === "--no-write") write = false;
    else if (a === "--min-samples") minSamples = Math.round(positiveNumber(a, argv[++i]));
    else if (a === "--max-time") maxTime = positiveNumber(a, argv[++i]);
    else if (a === "--help" || a === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else words.push(a);
  }
  settings = { ...settings, minSamples: minSamples ?? settings.minSamples, maxTime: maxTime ?? settings.maxTime };
  const plan: Args["plan"] = { core: null, dmm: null };
  if (words.length === 0) for (const s of SUITES) plan[s] = IDS[s];
  for (const w of words) {
    const suite = (SUITES as readonly string[]).includes(w) ? (w as SuiteName) : ALIASES[w];
    if (suite !== undefined) {
      plan[suite] = IDS[suite];
      continue;
    }
    let matched = false;
    for (const s of SUITES) {
      const ids = IDS[s].filter((id) => id.includes(w));
      if (ids.length === 0) continue;
      matched = true;
      plan[s] = [...new Set([...(plan[s] ?? []), ...ids])];
    }
    if (!matched) fail(`"${w}" is neither a suite nor part of a workload id`);
  }
  return { settings, plan, write };
}

function commandLine(argv: readonly string[]): string {
  const rest = argv.join(" ");
  if (process.env["npm_lifecycle_event"] === "bench") return `npm run bench${rest === "" ? "" : ` -- ${rest}`}`;
  return `npx tsx bench/run.ts${rest === "" ? "" : ` ${rest}`}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { settings, plan, write } = parseArgs(argv);
  const command = commandLine(argv);
  const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));
  const started = Date.now();
  process.stdout.write(`${LEGEND}\n`);
  const failedTargets: TargetCheck[] = [];
  for (const suite of SUITES) {
    const ids = plan[suite];
    if (ids === null) continue;
    const machine = machineInfo(
      command,
      { minSamples: settings.minSamples, maxTime: settings.maxTime, quick: settings.quick },
      new Date(),
    );
    process.stderr.write(
      `${suite} suite (load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(", ")})\n`,
    );
    const selected = (id: string): boolean => ids.includes(id);
    const { rows, targets } = suite === "core" ? await runCore(settings, selected) : runDmm(settings, selected);
    machine.loadEnd = os.loadavg();
    const result: SuiteResult<CoreRow | DmmRow> = { suite, machine, rows, targets };
    process.stdout.write(`\n## ${suite}\n\n${renderSuite(result as SuiteResult<CoreRow> | SuiteResult<DmmRow>)}\n`);
    failedTargets.push(...targets.filter((t) => !t.met));
    if (write && ids.length < IDS[suite].length) {
      process.stderr.write(
        `partial ${suite} suite: bench/results/${suite}.json left as it was (run the whole suite to record)\n`,
      );
    } else if (write) {
      mkdirSync(resultsDir, { recursive: true });
      const path = `${resultsDir}${suite}.json`;
      writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
      process.stderr.write(`wrote ${path}\n`);
    }
  }
  process.stderr.write(
    `done in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failedTargets.length} target(s) missed\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
