/**
 * The shape of bench/results/*.json and its rendering as Markdown tables (used both
 * for the run's stdout and by to-markdown.ts, so the docs table can be regenerated).
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import * as os from "node:os";

/** One benchmark's statistics, in milliseconds per call. */
export interface Measurement {
  name: string;
  meanMs: number;
  medianMs: number;
  /** benchmark.js's relative margin of error of the mean, in percent. */
  rmePct: number;
  samples: number;
}

/** Where and how a result was measured. */
export interface Machine {
  cpu: string;
  cores: number;
  platform: string;
  node: string;
  /** ISO date-time at the start of the run. */
  date: string;
  /** The command line, as it would be typed. */
  command: string;
  /** os.loadavg() (1, 5, 15 min) at the start and at the end of the suite. */
  loadStart: number[];
  loadEnd: number[];
  git: string;
  versions: Record<string, string>;
  settings: {
    minSamples: number;
    maxTime: number;
    quick: boolean;
    /** Interleaved rounds that share minSamples and maxTime (the torch suite); absent: one. */
    rounds?: number;
  };
}

/** A target from DESIGN.md / the brief, checked on the medians. */
export interface TargetCheck {
  what: string;
  target: string;
  measured: string;
  /** measured ÷ limit: ≤ 1 when met; how far off when not. */
  ratio: number;
  met: boolean;
}

/** The largest compiled program of a jitted function (its gradient program). */
export interface JitProgramInfo {
  operations: number;
  /** Float64 memory slots. */
  slots: number;
  /** Operations run through their plain implementation (no flat kernel), by name. */
  hosted: Record<string, number>;
}

/** One workload under jit. Ratios are ratios of medians. */
export interface CoreJit {
  forward: Measurement;
  gradient: Measurement;
  /** valueAndGradient of a new jit(f): trace and compile (benchmark.js samples of new functions). */
  firstCall: Measurement;
  gradientOverForward: number;
  /** jit ÷ eager. */
  forwardOverEager: number;
  gradientOverEager: number;
  /** jit value + gradient ÷ tfjs valueAndGrads. */
  gradientVsTfjs: number;
  /** Value + gradient on flat arrays (`jf.flat(...args).valueAndGradient`): no trees per call. */
  flatGradient?: Measurement;
  /** That ÷ tfjs valueAndGrads (tfjs too keeps its data in flat tensors). */
  flatGradientVsTfjs?: number;
  /** First call ÷ one eager value + gradient. */
  firstCallOverEagerGradient: number;
  program: JitProgramInfo;
}

/** One workload in forward mode (eager). Ratios are ratios of medians. */
export interface CoreForward {
  /** `jvp(f, args, tangents)`: the value and one directional derivative. */
  jvp: Measurement;
  /** `hvp(f, args, tangents)`: a Hessian-vector product, forward-over-reverse. */
  hvp: Measurement;
  /** jvp ÷ the plain forward. */
  jvpOverForward: number;
  /** hvp ÷ the eager value + gradient. */
  hvpOverGradient: number;
}

export interface CoreRow {
  id: string;
  label: string;
  description: string;
  vgradForward: Measurement;
  vgradGradient: Measurement;
  tfjsForward: Measurement;
  tfjsGradient: Measurement;
  /** Ratios of medians. */
  gradientOverForward: number;
  tfjsGradientOverForward: number;
  forwardVsTfjs: number;
  gradientVsTfjs: number;
  /** The loss and gradient norm from both libraries (a same-workload check). */
  check: { vgradValue: number; tfjsValue: number; vgradGradNorm: number; tfjsGradNorm: number; ok: boolean };
  /** Under jit; absent in results recorded before it. */
  jit?: CoreJit;
  /** Forward mode; absent in results recorded before it. */
  forwardMode?: CoreForward;
}

export interface TorchRow {
  id: string;
  label: string;
  /** Samples pooled over all rounds. */
  vgradForward: Measurement;
  vgradGradient: Measurement;
  torchForward: Measurement;
  torchGradient: Measurement;
  /** Ratios of the pooled medians. */
  gradientOverForward: number;
  torchGradientOverForward: number;
  forwardVsTorch: number;
  gradientVsTorch: number;
  /** Each round's medians (ms), in the order measured, to show how steady the ratios are. */
  rounds: Array<{
    vgradForwardMs: number;
    vgradGradientMs: number;
    torchForwardMs: number;
    torchGradientMs: number;
    jitGradientMs?: number;
  }>;
  /** vgrad under jit, pooled likewise; absent in results recorded before it. */
  jit?: {
    forward: Measurement;
    gradient: Measurement;
    gradientOverForward: number;
    forwardVsTorch: number;
    gradientVsTorch: number;
  };
  /** The loss and gradient norm from both libraries (a same-workload check, 1e-9 relative). */
  check: { vgradValue: number; torchValue: number; vgradGradNorm: number; torchGradNorm: number; ok: boolean };
}

export interface DmmRow {
  id: string;
  file: string;
  weights: number;
  liveNeurons: number;
  loss: number;
  forward: Measurement;
  gradient: Measurement;
  step: Measurement;
  gradientOverForward: number;
  stepOverForward: number;
  /** The hand-written flat loss + gradient (bench/flat-dmm.ts); absent in results recorded before it. */
  flat?: Measurement;
  /** vgrad's loss + gradient ÷ the flat limit's (medians). */
  gradientOverFlat?: number;
  /** Under jit; absent in results recorded before it. */
  jit?: DmmJit;
}

/** The DMM loss under jit (valueAndGradient of the jitted loss). Ratios are ratios of medians. */
export interface DmmJit {
  forward: Measurement;
  gradient: Measurement;
  /** valueAndGradient of a new jit of the loss: trace and compile. */
  firstCall: Measurement;
  gradientOverForward: number;
  /** jit loss + gradient ÷ eager (lossAndGradient). */
  gradientOverEager: number;
  /** jit loss + gradient ÷ the hand-written flat limit. */
  gradientOverFlat: number;
  /** Loss + gradient on flat arrays (`jitLoss.flat(soft).valueAndGradient`): no trees per call. */
  flatGradient?: Measurement;
  /** flat loss + gradient ÷ the hand-written flat limit. */
  flatGradientOverFlat?: number;
  /**
   * A full Adam step through the jitted loss, training for real: on flat arrays
   * (`jit(f).flat` and `adam().flat`, as the synthesis trains; results before these
   * existed: Adam on V-values).
   */
  step: Measurement;
  /** jit Adam step ÷ the flat limit's loss + gradient. */
  stepOverFlat: number;
  firstCallOverEagerGradient: number;
  program: JitProgramInfo;
}

export interface SuiteResult<R> {
  suite: string;
  machine: Machine;
  rows: R[];
  targets: TargetCheck[];
}

const require = createRequire(import.meta.url);
function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "?";
  }
}

function gitDescribe(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return dirty === "" ? head : `${head} + uncommitted changes in src/`;
  } catch {
    return "?";
  }
}

/** Taken once, when the benchmark code is loaded (commits made during a run do not count). */
const GIT = gitDescribe();

/** Machine and run information, taken at the start of a suite. */
export function machineInfo(command: string, settings: Machine["settings"], date: Date): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "?",
    cores: cpus.length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: date.toISOString(),
    command,
    loadStart: os.loadavg(),
    loadEnd: [],
    git: GIT,
    versions: {
      benchmark: versionOf("benchmark"),
      "@tensorflow/tfjs": versionOf("@tensorflow/tfjs"),
      v8: process.versions.v8,
    },
    settings,
  };
}

// ---------------------------------------------------------------------------------------
// formatting

/** A duration with a unit that keeps three significant digits readable. */
export function fmtTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1e-3) return `${(ms * 1e6).toPrecision(3)} ns`;
  if (ms < 1) return `${(ms * 1e3).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

export function fmtRatio(r: number): string {
  return `${r >= 10 ? r.toPrecision(3) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

/** vgrad time / peer time, spelled out as "faster"/"slower". */
export function fmtVs(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return String(r);
  return r <= 1 ? `${fmtRatio(r)} (${(1 / r).toPrecision(3)}× faster)` : `${fmtRatio(r)} (${r.toPrecision(3)}× slower)`;
}

const cell = (m: Measurement): string => `${fmtTime(m.medianMs)} ±${m.rmePct.toFixed(0)}%`;

/** A Markdown table with padded columns (readable as plain text too). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

const load = (l: readonly number[]): string => (l.length === 0 ? "?" : l.map((x) => x.toFixed(2)).join(", "));

export function renderMachine(m: Machine): string {
  const mode = m.settings.quick ? "quick mode" : "full mode";
  const v = m.versions;
  const peers = [
    v["@tensorflow/tfjs"] === undefined ? undefined : `@tensorflow/tfjs ${v["@tensorflow/tfjs"]} (CPU backend)`,
    v["torch"] === undefined
      ? undefined
      : `PyTorch ${v["torch"]} (Python ${v["python"] ?? "?"}; eager, float64, ${v["torchThreads"] ?? "?"} thread)`,
  ].filter((x) => x !== undefined);
  const rounds = m.settings.rounds === undefined ? "" : `, in ${m.settings.rounds} interleaved rounds`;
  return [
    `- Machine: ${m.cpu} (${m.cores} logical cores), ${m.platform}; Node ${m.node} (V8 ${v["v8"] ?? "?"}); ` +
      `benchmark.js ${v["benchmark"] ?? "?"}${peers.map((p) => `, ${p}`).join("")}`,
    `- Date: ${m.date}; source: ${m.git}`,
    `- Command: \`${m.command}\` (${mode}: minSamples ${m.settings.minSamples}, maxTime ${m.settings.maxTime} s per benchmark${rounds})`,
    `- Load average (1, 5, 15 min): ${load(m.loadStart)} at the start, ${load(m.loadEnd)} at the end of the suite`,
  ].join("\n");
}

export function renderCore(r: SuiteResult<CoreRow>): string {
  const rows = r.rows.map((w) => [
    w.label,
    cell(w.vgradForward),
    cell(w.vgradGradient),
    fmtRatio(w.gradientOverForward),
    cell(w.tfjsForward),
    cell(w.tfjsGradient),
    fmtRatio(w.tfjsGradientOverForward),
    fmtVs(w.forwardVsTfjs),
    fmtVs(w.gradientVsTfjs),
    w.check.ok ? "ok" : "MISMATCH",
  ]);
  return table(
    [
      "workload",
      "vgrad forward",
      "vgrad value+grad",
      "grad/fwd",
      "tfjs forward",
      "tfjs valueAndGrads",
      "tfjs grad/fwd",
      "vgrad/tfjs forward",
      "vgrad/tfjs gradient",
      "same value",
    ],
    rows,
  );
}

/** The program column: operations, slots, and operations without a flat kernel. */
function programCell(p: JitProgramInfo): string {
  const hosted = Object.entries(p.hosted)
    .map(([name, n]) => `${name}×${n}`)
    .join(", ");
  return `${p.operations} ops, ${p.slots} slots${hosted === "" ? "" : `; hosted: ${hosted}`}`;
}

/** The jit rows of the core suite (none for results recorded before jit). */
export function renderCoreJit(r: SuiteResult<CoreRow>): string | null {
  const rows = r.rows.flatMap((w) =>
    w.jit === undefined
      ? []
      : [
          [
            w.label,
            cell(w.jit.forward),
            cell(w.jit.gradient),
            fmtRatio(w.jit.gradientOverForward),
            fmtVs(w.jit.forwardOverEager),
            fmtVs(w.jit.gradientOverEager),
            fmtVs(w.jit.gradientVsTfjs),
            w.jit.flatGradient === undefined ? "—" : cell(w.jit.flatGradient),
            w.jit.flatGradientVsTfjs === undefined ? "—" : fmtVs(w.jit.flatGradientVsTfjs),
            cell(w.jit.firstCall),
            fmtRatio(w.jit.firstCallOverEagerGradient),
            programCell(w.jit.program),
          ],
        ],
  );
  if (rows.length === 0) return null;
  return table(
    [
      "workload",
      "jit forward",
      "jit value+grad",
      "jit grad/fwd",
      "jit/eager forward",
      "jit/eager gradient",
      "jit/tfjs gradient",
      "jit on flat arrays: value+grad",
      "jit flat/tfjs gradient",
      "first call (trace + compile)",
      "first call ÷ eager value+grad",
      "gradient program",
    ],
    rows,
  );
}

/** The forward-mode rows of the core suite (none for results recorded before forward mode). */
export function renderCoreForward(r: SuiteResult<CoreRow>): string | null {
  const rows = r.rows.flatMap((w) =>
    w.forwardMode === undefined
      ? []
      : [
          [
            w.label,
            cell(w.vgradForward),
            cell(w.forwardMode.jvp),
            fmtRatio(w.forwardMode.jvpOverForward),
            cell(w.vgradGradient),
            cell(w.forwardMode.hvp),
            fmtRatio(w.forwardMode.hvpOverGradient),
          ],
        ],
  );
  if (rows.length === 0) return null;
  return table(["workload", "vgrad forward", "jvp", "jvp/fwd", "vgrad value+grad", "hvp", "hvp/grad"], rows);
}

export function renderTorch(r: SuiteResult<TorchRow>): string {
  const rows = r.rows.map((w) => [
    w.label,
    cell(w.vgradForward),
    cell(w.vgradGradient),
    fmtRatio(w.gradientOverForward),
    cell(w.torchForward),
    cell(w.torchGradient),
    fmtRatio(w.torchGradientOverForward),
    fmtVs(w.forwardVsTorch),
    fmtVs(w.gradientVsTorch),
    w.check.ok ? "ok" : "MISMATCH",
  ]);
  return table(
    [
      "workload",
      "vgrad forward",
      "vgrad value+grad",
      "grad/fwd",
      "torch forward",
      "torch value+grad",
      "torch grad/fwd",
      "vgrad/torch forward",
      "vgrad/torch gradient",
      "same value",
    ],
    rows,
  );
}

/** The jit rows of the torch suite (none for results recorded before jit). */
export function renderTorchJit(r: SuiteResult<TorchRow>): string | null {
  const rows = r.rows.flatMap((w) =>
    w.jit === undefined
      ? []
      : [
          [
            w.label,
            cell(w.jit.forward),
            cell(w.jit.gradient),
            fmtRatio(w.jit.gradientOverForward),
            fmtVs(w.jit.forwardVsTorch),
            fmtVs(w.jit.gradientVsTorch),
          ],
        ],
  );
  if (rows.length === 0) return null;
  return table(
    ["workload", "jit forward", "jit value+grad", "jit grad/fwd", "jit/torch forward", "jit/torch gradient"],
    rows,
  );
}

export function renderDmm(r: SuiteResult<DmmRow>): string {
  const both = (m: Measurement): string => `${fmtTime(m.medianMs)} / ${fmtTime(m.meanMs)} ±${m.rmePct.toFixed(0)}%`;
  const rows = r.rows.map((w) => [
    `${w.file} (${w.weights} weights, ${w.liveNeurons} live neurons)`,
    both(w.forward),
    both(w.gradient),
    fmtRatio(w.gradientOverForward),
    both(w.step),
    fmtRatio(w.stepOverForward),
    w.flat === undefined ? "—" : both(w.flat),
    w.gradientOverFlat === undefined ? "—" : fmtRatio(w.gradientOverFlat),
  ]);
  return table(
    [
      "network",
      "forward (loss), median / mean",
      "loss + gradient, median / mean",
      "grad/fwd",
      "Adam step, median / mean",
      "step/fwd",
      "flat limit: loss + gradient, median / mean",
      "vgrad/flat",
    ],
    rows,
  );
}

/** The jit rows of the DMM suite (none for results recorded before jit). */
export function renderDmmJit(r: SuiteResult<DmmRow>): string | null {
  const both = (m: Measurement): string => `${fmtTime(m.medianMs)} / ${fmtTime(m.meanMs)} ±${m.rmePct.toFixed(0)}%`;
  const rows = r.rows.flatMap((w) =>
    w.jit === undefined
      ? []
      : [
          [
            `${w.file} (${w.weights} weights)`,
            both(w.jit.forward),
            both(w.jit.gradient),
            fmtRatio(w.jit.gradientOverForward),
            fmtVs(w.jit.gradientOverEager),
            fmtRatio(w.jit.gradientOverFlat),
            w.jit.flatGradient === undefined ? "—" : both(w.jit.flatGradient),
            w.jit.flatGradientOverFlat === undefined ? "—" : fmtRatio(w.jit.flatGradientOverFlat),
            both(w.jit.step),
            fmtRatio(w.jit.stepOverFlat),
            both(w.jit.firstCall),
            fmtRatio(w.jit.firstCallOverEagerGradient),
            programCell(w.jit.program),
          ],
        ],
  );
  if (rows.length === 0) return null;
  return table(
    [
      "network",
      "jit forward, median / mean",
      "jit loss + gradient, median / mean",
      "jit grad/fwd",
      "jit/eager gradient",
      "jit/flat",
      "jit on flat arrays: loss + gradient, median / mean",
      "jit flat/flat limit",
      "jit Adam step, median / mean",
      "jit step/flat",
      "first call (trace + compile), median / mean",
      "first call ÷ eager loss+grad",
      "gradient program",
    ],
    rows,
  );
}

export function renderTargets(targets: readonly TargetCheck[]): string {
  return table(
    ["target", "wanted", "measured (medians)", "measured ÷ limit", "met?"],
    targets.map((t) => [
      t.what,
      t.target,
      t.measured,
      typeof t.ratio === "number" ? fmtRatio(t.ratio) : "?",
      t.met ? "yes" : "**no**",
    ]),
  );
}

/** Times are medians over benchmark.js samples, ± its relative margin of error of the mean. */
export const LEGEND =
  "Times are medians of benchmark.js samples (± is benchmark.js's relative margin of error of the mean); ratios are ratios of medians measured in the same process. vgrad/tfjs < 1 means vgrad is faster.";

/** How the jit rows are made. */
export const JIT_LEGEND =
  "Under jit (`jit(f)`, the same function; its value and gradient checked equal to eager mode's before timing): jit/eager < 1 means jit is faster. The first call is valueAndGradient of a new jit(f) — trace and compile — sampled over new functions in the same process.";

/** How the torch suite's jit rows are made. */
export const JIT_TORCH_LEGEND =
  "Under jit (`jit(f)`, the same function; its value and gradient checked equal to eager mode's before timing), timed with vgrad's eager cases in the same rounds; jit/torch < 1 means jit is faster.";

/** How the torch suite's numbers are made. */
export const TORCH_LEGEND =
  "vgrad (benchmark.js) and PyTorch (bench/peers/torch_core.py, the same sampling in Python) are timed in turn on each workload, alternating which goes first, over several rounds; times are medians of all rounds' samples, ratios are ratios of those medians. vgrad/torch < 1 means vgrad is faster.";

/** How the core suite's forward-mode rows are made. */
export const FORWARD_LEGEND =
  "Forward mode (eager): `jvp(f, args, tangents)` with a dense random tangent per argument, and `hvp(f, args, tangents)` (a jvp of the gradient: forward-over-reverse), each checked before timing against reverse mode (⟨∇f, t⟩ and reverse-over-reverse to 1e-9 relative).";

/** A whole suite result as Markdown: the eager table, the jit table (when recorded), the forward-mode table (core), the targets. */
export function renderSuite(r: SuiteResult<CoreRow> | SuiteResult<DmmRow> | SuiteResult<TorchRow>): string {
  let head: string[], body: string, jitBody: string | null;
  let forwardBody: string | null = null;
  if (r.suite === "torch") {
    head = [renderMachine(r.machine), "", TORCH_LEGEND];
    body = renderTorch(r as SuiteResult<TorchRow>);
    jitBody = renderTorchJit(r as SuiteResult<TorchRow>);
  } else if (r.suite === "core") {
    head = [renderMachine(r.machine)];
    body = renderCore(r as SuiteResult<CoreRow>);
    jitBody = renderCoreJit(r as SuiteResult<CoreRow>);
    forwardBody = renderCoreForward(r as SuiteResult<CoreRow>);
  } else {
    head = [renderMachine(r.machine)];
    body = renderDmm(r as SuiteResult<DmmRow>);
    jitBody = renderDmmJit(r as SuiteResult<DmmRow>);
  }
  const jitPart = jitBody === null ? [] : ["", r.suite === "torch" ? JIT_TORCH_LEGEND : JIT_LEGEND, "", jitBody];
  const forwardPart = forwardBody === null ? [] : ["", FORWARD_LEGEND, "", forwardBody];
  return [...head, "", body, ...jitPart, ...forwardPart, "", renderTargets(r.targets)].join("\n");
}
