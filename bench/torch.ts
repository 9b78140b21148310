/**
 * Torch suite: vgrad's four core workloads (bench/core.ts) against PyTorch eager mode
 * (float64, one thread), both measured in the same run, vgrad eagerly and under jit:
 *
 *   npx tsx bench/torch.ts [<workload id part>]... [--quick] [--rounds N] [--min-samples N] [--max-time S] [--no-write]
 *
 * The PyTorch side is bench/peers/torch_core.py, a child process fed the inputs that
 * bench/core.ts generated. Before timing, both must give the same loss and gradient norm
 * (1e-9 relative). Then each round times, workload by workload, vgrad (benchmark.js) and
 * torch (the same sampling in Python), alternating which goes first; each case gets
 * minSamples / rounds samples and maxTime / rounds seconds per round, and the samples of
 * all rounds are pooled. The whole suite writes bench/results/torch.json (atomically).
 *
 * Needs a Python 3 that imports torch (Debian: `apt-get install python3-torch`): the one in
 * $VGRAD_PYTHON, else the first of `python3`, `/usr/bin/python3` that has it. Without one
 * the suite is skipped with a message (exit 0). It is not part of `npm run bench` or CI.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../src/synth/atomic-write.js";
import {
  CORE_IDS,
  jitWorkload,
  loadTf,
  makeWorkloads,
  relClose,
  sumSquares,
  type JitWorkload,
  type Json,
  type Workload,
} from "./core.js";
import { FULL, QUICK, measureSampled, median, statsOf, type Settings } from "./harness.js";
import { fmtTime, machineInfo, renderSuite, type SuiteResult, type TargetCheck, type TorchRow } from "./report.js";

const USAGE = `usage: tsx bench/torch.ts [<workload id part>]... [--quick] [--rounds N] [--min-samples N] [--max-time S] [--no-write]
workload ids: ${CORE_IDS.join(", ")}`;
const SCRIPT = fileURLToPath(new URL("./peers/torch_core.py", import.meta.url));
/** benchmark.js's minTime on Node (max(timer resolution / 2 / 0.01, 0.05 s)): the shortest timed cycle. */
const MIN_TIME_S = 0.05;
/** Loss and gradient norm must agree this closely (both sides compute in float64). */
const SAME_VALUE_REL = 1e-9;

interface Args {
  settings: Settings;
  rounds: number;
  ids: readonly string[];
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
  let minSamples: number | undefined, maxTime: number | undefined, rounds: number | undefined;
  let write = true;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") settings = { ...QUICK };
    else if (a === "--no-write") write = false;
    else if (a === "--rounds") rounds = Math.round(positiveNumber(a, argv[++i]));
    else if (a === "--min-samples") minSamples = Math.round(positiveNumber(a, argv[++i]));
    else if (a === "--max-time") maxTime = positiveNumber(a, argv[++i]);
    else if (a === "--help" || a === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else words.push(a);
  }
  settings = { ...settings, minSamples: minSamples ?? settings.minSamples, maxTime: maxTime ?? settings.maxTime };
  let ids: readonly string[] = CORE_IDS;
  if (words.length > 0) {
    const picked = new Set<string>();
    for (const w of words) {
      const matched = CORE_IDS.filter((id) => id.includes(w));
      if (matched.length === 0) fail(`"${w}" is not part of a core workload id`);
      for (const id of matched) picked.add(id);
    }
    ids = CORE_IDS.filter((id) => picked.has(id));
  }
  return { settings, rounds: rounds ?? (settings.quick ? 2 : 3), ids, write };
}

/** The first Python that imports torch, with the versions it reports; undefined if none. */
function findPython(): { python: string; tried: string[] } | { python: undefined; tried: string[] } {
  const fromEnv = process.env["VGRAD_PYTHON"];
  const candidates = fromEnv !== undefined && fromEnv !== "" ? [fromEnv] : ["python3", "/usr/bin/python3"];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch"], {
      encoding: "utf8",
      timeout: 120_000,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (r.status === 0) return { python, tried };
    const why = r.error !== undefined ? r.error.message : (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`);
    tried.push(`${python}: ${why}`);
  }
  return { python: undefined, tried };
}

/** The Python peer process: one JSON request per line on its stdin, one JSON reply per line on its stdout. */
class TorchPeer {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static start(python: string): TorchPeer {
    // one thread everywhere: torch.set_num_threads(1) in the script, and no OpenMP/MKL pool either
    const env = { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const child = spawn(python, [SCRIPT], {
      env,
      stdio: ["pipe", "pipe", "inherit"],
    }) as unknown as ChildProcessWithoutNullStreams;
    return new TorchPeer(child);
  }

  async request<T>(message: { cmd: string; [key: string]: Json }): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    const next = await this.lines.next();
    if (next.done === true)
      throw new Error(`${SCRIPT} exited (code ${this.child.exitCode ?? "?"}) before answering ${message.cmd}`);
    const reply = JSON.parse(next.value) as T & { error?: string };
    if (reply.error !== undefined) throw new Error(`${SCRIPT}, ${message.cmd}: ${reply.error}`);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end(`${JSON.stringify({ cmd: "quit" })}\n`);
    await exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

interface Pool {
  vgradForward: number[];
  vgradGradient: number[];
  jitForward: number[];
  jitGradient: number[];
  torchForward: number[];
  torchGradient: number[];
  rounds: TorchRow["rounds"];
}

/** vgrad's and torch's loss, forward loss and gradient norm; throws if they differ. */
async function checkSame(peer: TorchPeer, w: Workload): Promise<TorchRow["check"]> {
  const vr = w.vgradGradient();
  const vForward = w.vgradForward();
  const vgradGradNorm = Math.sqrt(vr.gradient.reduce<number>((s, g) => s + sumSquares(g), 0));
  const t = await peer.request<{ value: number; forwardValue: number; gradNorm: number }>({ cmd: "check", id: w.id });
  const check = { vgradValue: vr.value, torchValue: t.value, vgradGradNorm, torchGradNorm: t.gradNorm, ok: false };
  check.ok =
    relClose(vr.value, t.value, SAME_VALUE_REL) &&
    relClose(vgradGradNorm, t.gradNorm, SAME_VALUE_REL) &&
    relClose(vForward, vr.value, 1e-12) &&
    relClose(t.forwardValue, t.value, 1e-12);
  if (!check.ok) {
    throw new Error(
      `${w.label}: vgrad and torch differ: loss ${vr.value} vs ${t.value} (forward ${vForward} vs ${t.forwardValue}), ` +
        `gradient norm ${vgradGradNorm} vs ${t.gradNorm} (wanted ≤ ${SAME_VALUE_REL} relative)`,
    );
  }
  return check;
}

async function measureTorch(
  peer: TorchPeer,
  w: Workload,
  which: "forward" | "gradient",
  s: Settings,
): Promise<number[]> {
  const r = await peer.request<{ samplesMs: number[]; count: number }>({
    cmd: "measure",
    id: w.id,
    case: which,
    minSamples: s.minSamples,
    maxTime: s.maxTime,
    minTime: MIN_TIME_S,
  });
  const m = statsOf(which, r.samplesMs);
  process.stderr.write(
    `  ${w.label} / torch ${which}: median ${m.medianMs.toPrecision(4)} ms, ±${m.rmePct.toFixed(1)}%, ${m.samples} samples of ${r.count} calls\n`,
  );
  return r.samplesMs;
}

async function runRounds(
  peer: TorchPeer,
  workloads: readonly Workload[],
  jits: ReadonlyMap<string, JitWorkload>,
  settings: Settings,
  rounds: number,
): Promise<Map<string, Pool>> {
  const perRound: Settings = {
    ...settings,
    minSamples: Math.ceil(settings.minSamples / rounds),
    maxTime: settings.maxTime / rounds,
  };
  const pools = new Map<string, Pool>(
    workloads.map((w) => [
      w.id,
      {
        vgradForward: [],
        vgradGradient: [],
        jitForward: [],
        jitGradient: [],
        torchForward: [],
        torchGradient: [],
        rounds: [],
      },
    ]),
  );
  for (let round = 0; round < rounds; round++) {
    process.stderr.write(
      `round ${round + 1}/${rounds} (load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(", ")})\n`,
    );
    for (const w of workloads) {
      const pool = pools.get(w.id)!;
      const j = jits.get(w.id)!;
      const vgrad = (): { f: number[]; g: number[]; jf: number[]; jg: number[] } => {
        const [f, g, jf, jg] = measureSampled(
          w.label,
          [
            { name: "vgrad forward", fn: w.vgradForward },
            { name: "vgrad valueAndGradient", fn: w.vgradGradient },
            { name: "jit forward", fn: j.jitForward },
            { name: "jit valueAndGradient", fn: j.jitGradient },
          ],
          perRound,
        );
        return { f: f!.samplesMs, g: g!.samplesMs, jf: jf!.samplesMs, jg: jg!.samplesMs };
      };
      const torch = async (): Promise<{ f: number[]; g: number[] }> => ({
        f: await measureTorch(peer, w, "forward", perRound),
        g: await measureTorch(peer, w, "gradient", perRound),
      });
      // alternate who goes first, so that a drift in machine load does not favour one side
      let v: { f: number[]; g: number[]; jf: number[]; jg: number[] }, t: { f: number[]; g: number[] };
      if (round % 2 === 0) {
        v = vgrad();
        t = await torch();
      } else {
        t = await torch();
        v = vgrad();
      }
      pool.vgradForward.push(...v.f);
      pool.vgradGradient.push(...v.g);
      pool.jitForward.push(...v.jf);
      pool.jitGradient.push(...v.jg);
      pool.torchForward.push(...t.f);
      pool.torchGradient.push(...t.g);
      pool.rounds.push({
        vgradForwardMs: median(v.f),
        vgradGradientMs: median(v.g),
        torchForwardMs: median(t.f),
        torchGradientMs: median(t.g),
        jitGradientMs: median(v.jg),
      });
    }
  }
  return pools;
}

function targetsOf(rows: readonly TorchRow[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const r of rows) {
    out.push({
      what: `${r.label}: vgrad vs torch (gradient)`,
      target: "faster (< 1)",
      measured: `${r.gradientVsTorch.toFixed(3)}`,
      ratio: r.gradientVsTorch,
      met: r.gradientVsTorch < 1,
    });
    if (r.jit !== undefined) {
      out.push({
        what: `${r.label}: jit vs torch (gradient)`,
        target: "faster (< 1)",
        measured: `${r.jit.gradientVsTorch.toFixed(3)}`,
        ratio: r.jit.gradientVsTorch,
        met: r.jit.gradientVsTorch < 1,
      });
    }
  }
  return out;
}

function commandLine(argv: readonly string[]): string {
  const rest = argv.join(" ");
  return `npx tsx bench/torch.ts${rest === "" ? "" : ` ${rest}`}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { settings, rounds, ids, write } = parseArgs(argv);
  const found = findPython();
  if (found.python === undefined) {
    process.stderr.write(
      `torch suite skipped: no Python with torch (tried ${found.tried.join("; ")}). ` +
        "Install it (Debian: apt-get install python3-torch) or set VGRAD_PYTHON to a python that has it.\n",
    );
    return;
  }
  const started = Date.now();
  const machine = machineInfo(
    commandLine(argv),
    { minSamples: settings.minSamples, maxTime: settings.maxTime, quick: settings.quick, rounds },
    new Date(),
  );
  delete machine.versions["@tensorflow/tfjs"]; // loaded only to build the workloads, never timed here
  const tf = await loadTf();
  const workloads = makeWorkloads(tf, (id) => ids.includes(id));
  const peer = TorchPeer.start(found.python);
  try {
    const info = await peer.request<{ torch: string; python: string; threads: number }>({
      cmd: "load",
      workloads: Object.fromEntries(workloads.map((w) => [w.id, w.inputs])),
    });
    Object.assign(machine.versions, { torch: info.torch, python: info.python, torchThreads: String(info.threads) });
    process.stderr.write(
      `torch suite: PyTorch ${info.torch} on Python ${info.python} (${found.python}), ${info.threads} thread\n`,
    );

    const checks = new Map<string, TorchRow["check"]>();
    for (const w of workloads) checks.set(w.id, await checkSame(peer, w));
    const jits = new Map(workloads.map((w) => [w.id, jitWorkload(w)]));
    const pools = await runRounds(peer, workloads, jits, settings, rounds);

    const rows: TorchRow[] = workloads.map((w) => {
      const p = pools.get(w.id)!;
      const vf = statsOf("vgrad forward", p.vgradForward),
        vg = statsOf("vgrad valueAndGradient", p.vgradGradient);
      const tfw = statsOf("torch forward", p.torchForward),
        tg = statsOf("torch value and gradient", p.torchGradient);
      const jfw = statsOf("jit forward", p.jitForward),
        jg = statsOf("jit valueAndGradient", p.jitGradient);
      return {
        id: w.id,
        label: w.label,
        vgradForward: vf,
        vgradGradient: vg,
        torchForward: tfw,
        torchGradient: tg,
        gradientOverForward: vg.medianMs / vf.medianMs,
        torchGradientOverForward: tg.medianMs / tfw.medianMs,
        forwardVsTorch: vf.medianMs / tfw.medianMs,
        gradientVsTorch: vg.medianMs / tg.medianMs,
        rounds: p.rounds,
        check: checks.get(w.id)!,
        jit: {
          forward: jfw,
          gradient: jg,
          gradientOverForward: jg.medianMs / jfw.medianMs,
          forwardVsTorch: jfw.medianMs / tfw.medianMs,
          gradientVsTorch: jg.medianMs / tg.medianMs,
        },
      };
    });
    machine.loadEnd = os.loadavg();
    const result: SuiteResult<TorchRow> = { suite: "torch", machine, rows, targets: targetsOf(rows) };
    process.stdout.write(`\n## torch\n\n${renderSuite(result)}\n`);
    for (const r of rows) {
      const perRound = r.rounds
        .map(
          (x) => `${fmtTime(x.vgradGradientMs)} / ${fmtTime(x.jitGradientMs ?? NaN)} / ${fmtTime(x.torchGradientMs)}`,
        )
        .join(", ");
      process.stderr.write(`  ${r.label}: value+gradient vgrad / jit / torch by round: ${perRound}\n`);
    }
    if (write && ids.length < CORE_IDS.length) {
      process.stderr.write(
        "partial torch suite: bench/results/torch.json left as it was (run the whole suite to record)\n",
      );
    } else if (write) {
      const dir = fileURLToPath(new URL("./results/", import.meta.url));
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(`${dir}torch.json`, `${JSON.stringify(result, null, 2)}\n`);
      process.stderr.write(`wrote ${dir}torch.json\n`);
    }
    await peer.stop();
  } catch (e) {
    peer.kill();
    throw e;
  } finally {
    for (const w of workloads) tf.dispose(w.tensors);
  }
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
