/**
 * Progress of `vgrad synth --seeds N`: on a terminal a bar per running seed under a
 * bar counting finished seeds; otherwise log lines on stderr (each stage of each seed,
 * a step line per seed at most every 30 s, and each seed's end).
 */
import cliProgress from "cli-progress";
import type { SeedEvent, SeedResult, StageRecord } from "../synth/index.js";
import { clock } from "./progress.js";

/**
 * What a progress line says about an ended stage (or, for null, about base training).
 *
 * @example
 * stageLine(null, 1500, 0.0531, 1486); // "base training done: prereg 0.05310, 1486 weights"
 */
export function stageLine(record: StageRecord | null, baseSteps: number, prereg: number, weights: number): string {
  if (record === null)
    return `${baseSteps > 0 ? "base training done" : "starting network (no base training)"}: prereg ${prereg.toPrecision(4)}, ${weights} weights`;
  return `stage ${record.stage}: ${record.weightsBefore} → ${record.weightsAfter} weights, prereg ${record.preregAfter.toPrecision(4)}, ${record.accepted ? "accepted" : "backed off"}`;
}

/**
 * How a seed's run ended, in a line.
 *
 * @example
 * seedEndLine({ seed: 2, status: "done", weights: 19, prereg: 0.0012, validation: 0.004, steps: 900, seconds: 75 });
 * // "seed 2 done: 19 weights, prereg 0.001200, validation error 0.004000 (1:15)"
 */
export function seedEndLine(r: SeedResult): string {
  const time = `(${clock(r.seconds)})`;
  if (r.status === "done")
    return `seed ${r.seed} done: ${r.weights} weights, prereg ${r.prereg.toPrecision(4)}, validation error ${r.validation.toPrecision(4)} ${time}`;
  if (r.status === "diverged") return `seed ${r.seed} diverged at step ${r.steps + 1}: ${r.message ?? ""}`;
  return `seed ${r.seed} stopped at step ${r.steps} ${time}`;
}

function phaseName(e: Extract<SeedEvent, { kind: "step" }>): string {
  return e.phase === "base"
    ? "base"
    : e.phase === "stage"
      ? `stage ${e.stage}`
      : e.phase === "final"
        ? "polish"
        : "done";
}

/** The display of a run of `total` seeds, `done` of which had ended before it started. */
export function seedsProgress(
  quiet: boolean,
  total: number,
  done: number,
): { event(e: SeedEvent): void; result(r: SeedResult): void; stop(): void } {
  if (quiet) return { event() {}, result() {}, stop() {} };
  let finished = done;
  const t0 = Date.now();
  const elapsed = () => `${clock((Date.now() - t0) / 1000)} elapsed`;
  if (process.stderr.isTTY !== true) {
    const lastLine = new Map<number, number>();
    return {
      event(e) {
        if (e.kind === "stage") {
          process.stderr.write(
            `seed ${e.seed}: ${stageLine(e.record, e.baseSteps, e.prereg, e.weights)} (${elapsed()})\n`,
          );
          return;
        }
        const now = Date.now();
        if (now - (lastLine.get(e.seed) ?? t0) < 30_000) return;
        lastLine.set(e.seed, now);
        process.stderr.write(
          `seed ${e.seed}: ${phaseName(e)} step ${e.stepInPhase}/${e.phaseSteps} prereg ${e.prereg.toPrecision(4)} weights ${e.weights} (${elapsed()})\n`,
        );
      },
      result(r) {
        if (r.status !== "stopped") finished += 1;
        process.stderr.write(`${seedEndLine(r)}; ${finished}/${total} seeds ended (${elapsed()})\n`);
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: "{label} [{bar}] {value}/{total} | {status}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = multi.create(total, finished, { label: "seeds ended", status: elapsed() });
  const bars = new Map<number, cliProgress.SingleBar>();
  return {
    event(e) {
      if (e.kind === "stage") {
        multi.log(`seed ${e.seed}: ${stageLine(e.record, e.baseSteps, e.prereg, e.weights)} (${elapsed()})\n`);
        return;
      }
      let bar = bars.get(e.seed);
      if (bar === undefined) bars.set(e.seed, (bar = multi.create(e.phaseSteps, 0, {})));
      bar.setTotal(e.phaseSteps);
      bar.update(e.stepInPhase, {
        label: `seed ${e.seed} ${phaseName(e)}`,
        status: `prereg ${e.prereg.toPrecision(4)} | ${e.weights} weights (target ${e.targetWeights})`,
      });
      overall.update(finished, { label: "seeds ended", status: elapsed() });
    },
    result(r) {
      if (r.status !== "stopped") finished += 1;
      const bar = bars.get(r.seed);
      if (bar !== undefined) {
        multi.remove(bar);
        bars.delete(r.seed);
      }
      multi.log(`${seedEndLine(r)}\n`);
      overall.update(finished, { label: "seeds ended", status: elapsed() });
    },
    stop() {
      multi.stop();
    },
  };
}
