/**
 * Progress for long runs: a cli-progress bar on a terminal, plain log lines to stderr
 * otherwise (so that `--json` output on stdout stays one clean document).
 */
import cliProgress from "cli-progress";
import { phaseSteps, type SynthState } from "../synth/index.js";

export interface Progress {
  update(value: number, status: string): void;
  stop(): void;
}

/** A progress display for `total` units of work, or a silent one when `enabled` is false. */
export function makeProgress(enabled: boolean, label: string, total: number, logEvery = 50): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {status} | {duration_formatted} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: "" });
    return { update: (v, status) => bar.update(v, { status }), stop: () => bar.stop() };
  }
  const t0 = Date.now();
  return {
    update: (v, status) => {
      if (v === total || v % logEvery === 0) {
        const s = (Date.now() - t0) / 1000;
        process.stderr.write(
          `${label} ${v}/${total} ${status} (${clock(s)} elapsed, ${clock((s / v) * (total - v))} left)\n`,
        );
      }
    },
    stop() {},
  };
}

/**
 * Seconds as h:mm:ss (or m:ss under an hour).
 *
 * @example
 * clock(5000); // "1:23:20"
 */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  const two = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/** How far a synthesis is and how long it will still take, as far as that can be told. */
export interface Estimate {
  /** Seconds until the current phase ends (undefined before the first step). */
  phaseLeft: number | undefined;
  /**
   * Seconds until the whole run ends, and the fraction done: known once pruning has
   * shown its pace (after the first accepted stage) and during polishing.
   */
  totalLeft: number | undefined;
  fraction: number | undefined;
}

/**
 * Estimates a run's remaining time from its checkpointed state: seconds per step so
 * far, and for pruning (whose number of stages is not known in advance) the pace at
 * which the weight count fell towards the target, on a log scale.
 *
 * @example
 * const state = startSynthesis(defaultConfig({ seed: 1 }));
 * estimate(state).totalLeft; // undefined (no step taken yet: no pace to go by)
 */
export function estimate(state: SynthState): Estimate {
  const c = state.config;
  const none: Estimate = { phaseLeft: undefined, totalLeft: undefined, fraction: undefined };
  if (state.phase === "done") return { phaseLeft: 0, totalLeft: 0, fraction: 1 };
  if (state.totalSteps === 0 || state.elapsedSeconds <= 0) return none;
  const perStep = state.elapsedSeconds / state.totalSteps;
  const phaseLeft = Math.max(0, phaseSteps(state) - state.stepInPhase) * perStep;
  let totalLeft: number | undefined;
  if (state.phase === "final") totalLeft = phaseLeft;
  else if (state.phase === "stage") {
    const start = state.stages[0]?.weightsBefore ?? state.accepted.weights;
    const now = state.accepted.weights;
    const span = Math.log(start / c.targetWeights);
    const done = span > 0 ? Math.log(start / now) / span : 1;
    if (done > 0) {
      const pruning = state.elapsedSeconds - state.baseSeconds;
      totalLeft = Math.max(phaseLeft, (pruning * (1 - Math.min(1, done))) / done) + c.finalSteps * perStep;
    }
  }
  const fraction = totalLeft === undefined ? undefined : state.elapsedSeconds / (state.elapsedSeconds + totalLeft);
  return { phaseLeft, totalLeft, fraction };
}

function phaseName(s: SynthState): string {
  return s.phase === "base"
    ? "base"
    : s.phase === "stage"
      ? `stage ${s.stage}`
      : s.phase === "final"
        ? "polish"
        : "done";
}

function timeText(s: SynthState): string {
  const e = estimate(s);
  const elapsed = `${clock(s.elapsedSeconds)} elapsed`;
  if (e.totalLeft !== undefined)
    return `${elapsed}, about ${clock(e.totalLeft)} left (${Math.floor(100 * e.fraction!)} % done)`;
  if (e.phaseLeft !== undefined && e.phaseLeft >= 1)
    return `${elapsed}, ${phaseName(s)} ends in about ${clock(e.phaseLeft)}`;
  return elapsed;
}

/** The progress of `vgrad synth`: a bar on a terminal, a line per stage and every 100 steps otherwise. */
export function synthProgress(quiet: boolean): {
  step(s: SynthState, prereg: number, weights: number): void;
  stage(s: SynthState, line: string): void;
  stop(): void;
} {
  if (quiet) return { step() {}, stage() {}, stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  const empty = { phase: "", prereg: "", weights: "", target: "", time: "" };
  if (process.stderr.isTTY === true) {
    bar = new cliProgress.SingleBar(
      {
        format: "{phase} [{bar}] {value}/{total} | prereg {prereg} | {weights} weights (target {target}) | {time}",
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, empty);
  }
  return {
    step(s, prereg, weights) {
      const total = phaseSteps(s);
      const payload = {
        phase: phaseName(s),
        prereg: prereg.toPrecision(4),
        weights,
        target: s.config.targetWeights,
        time: timeText(s),
      };
      if (bar) {
        bar.setTotal(total);
        bar.update(s.stepInPhase, payload);
      } else if (s.stepInPhase % 100 === 0) {
        process.stderr.write(
          `${payload.phase} step ${s.stepInPhase}/${total} prereg ${payload.prereg} weights ${weights} (${payload.time})\n`,
        );
      }
    },
    stage(s, line) {
      if (bar) bar.stop();
      process.stderr.write(`${line} (${timeText(s)})\n`);
      if (bar) bar.start(1, 0, empty);
    },
    stop() {
      bar?.stop();
    },
  };
}
