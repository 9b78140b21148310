/**
 * Progress for long runs: a cli-progress bar on a terminal, plain log lines to stderr
 * otherwise (so that `--json` output on stdout stays one clean document).
 */
import cliProgress from "cli-progress";

export interface Progress {
  update(value: number, status: string): void;
  stop(): void;
}

/** A progress display for `total` units of work, or a silent one when `enabled` is false. */
export function makeProgress(enabled: boolean, label: string, total: number, logEvery = 50): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} | {status} | {duration_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: "" });
    return { update: (v, status) => bar.update(v, { status }), stop: () => bar.stop() };
  }
  const t0 = Date.now();
  return {
    update: (v, status) => {
      if (v === total || v % logEvery === 0) {
        process.stderr.write(`${label} ${v}/${total} ${status} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      }
    },
    stop() {},
  };
}
