/**
 * `vgrad synth --seeds N` as a user runs it (a child process, as test/cli/synth.test.ts
 * does): every seed's run is the plain run of that seed, whatever the number of worker
 * threads; the best is chosen by (size, validation error) and the report shows every
 * seed; an interrupted run continues with --resume and ends as an uninterrupted one.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { layeredNetwork } from "../../src/dmm/index.js";
import {
  decodeCheckpoint,
  defaultConfig,
  encodeCheckpoint,
  encodeSeedsManifest,
  readSeedsManifest,
  setError,
  startSynthesis,
  synthesize,
  VALIDATION_SET,
  type SynthConfig,
  type SynthState,
} from "../../src/synth/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "vgrad-cli-seeds-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vgrad(args: string[], timeout = 120_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Exit `code`, exactly one line on stderr starting "vgrad: ", no stack trace. */
function expectOneLine(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.split("\n"), r.stderr).toHaveLength(2);
  expect(r.stderr).toMatch(/^vgrad: /);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+|internal error/);
  expect(r.stderr).toMatch(pattern);
}

const TYPES = ["accum", "norm", "dot", "compare"];
/** 1 layer × 1 of each type (34 soft weights) on a 12-cycle text: a run takes about a second. */
const SMALL = [
  ...["--layers", "1", "--per-type", "1", "--text", "ab.", "--cycles", "12"],
  ...["--base-steps", "30", "--stage-steps", "4", "--final-steps", "3", "--target-weights", "6"],
];
const small = (o: Partial<SynthConfig> = {}): SynthConfig =>
  defaultConfig({
    network: { layers: 1, perType: 1, types: TYPES },
    samples: [{ text: "ab.", cycles: 12 }],
    baseSteps: 30,
    stageSteps: 4,
    finalSteps: 3,
    targetWeights: 6,
    ...o,
  });

const read = (...path: string[]) => readFileSync(join(...path), "utf8");
const checkpointOf = (dir: string) => decodeCheckpoint(read(dir, "checkpoint.json"));

/** A checkpoint without its wall times (the only part of a run that is not deterministic). */
function untimed(state: SynthState): string {
  const s = decodeCheckpoint(encodeCheckpoint(state));
  s.phaseSeconds = s.baseSeconds = s.finalSeconds = s.elapsedSeconds = 0;
  for (const r of s.stages) r.seconds = 0;
  return encodeCheckpoint(s);
}

describe("vgrad synth --seeds: deterministic, whatever the threads", { timeout: 240_000 }, () => {
  it("each seed ends as its plain run does, with 1 or 2 worker threads; the best is the smallest, then the lowest validation error", async () => {
    const one = join(work, "w1"),
      two = join(work, "w2");
    const [r1, r2] = await Promise.all([
      vgrad(["synth", "--out", one, ...SMALL, "--seed", "4", "--seeds", "3", "--workers", "1", "--quiet"]),
      vgrad(["synth", "--out", two, ...SMALL, "--seed", "4", "--seeds", "3", "--workers", "2", "--quiet"]),
    ]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    for (const seed of [4, 5, 6]) {
      const a = checkpointOf(join(one, `seed-${seed}`)),
        b = checkpointOf(join(two, `seed-${seed}`));
      expect(a.phase).toBe("done");
      expect(a.config.seed).toBe(seed);
      expect(untimed(a), `seed ${seed}`).toBe(untimed(b));
      expect(read(one, `seed-${seed}`, "network.json")).toBe(read(two, `seed-${seed}`, "network.json"));
    }
    // a seed's run is the run of that seed alone (here, in this process)
    const alone = await synthesize(startSynthesis(small({ seed: 5 })));
    expect(untimed(checkpointOf(join(one, "seed-5")))).toBe(untimed(alone));

    // the best, chosen here from the seeds' own checkpoints
    const net = layeredNetwork(small().network).network;
    const scored = [4, 5, 6].map((seed) => {
      const s = checkpointOf(join(one, `seed-${seed}`));
      return { seed, weights: s.accepted.weights, validation: setError(s.accepted.soft, VALIDATION_SET, net).mean };
    });
    scored.sort((x, y) => x.weights - y.weights || x.validation - y.validation);
    const best = scored[0]!.seed;
    expect(read(one, "network.json")).toBe(read(one, `seed-${best}`, "network.json"));
    expect(read(two, "network.json")).toBe(read(one, "network.json"));

    // the report shows all three, the best marked
    const report = read(one, "report.md");
    expect(report).toMatch(/^## Seeds$/m);
    for (const { seed, weights } of scored)
      expect(report).toMatch(
        new RegExp(`^\\| (\\*\\*${seed}\\*\\* \\(best\\)|${seed}) \\| done \\| ${weights} \\|`, "m"),
      );
    expect(report).toContain(`| **${best}** (best) | done |`);
    expect(report.match(/\(best\)/g)).toHaveLength(1);
    expect(readSeedsManifest(read(one, "checkpoint.json")).phase).toBe("done");
    for (const f of ["network.svg", "training.svg"]) expect(existsSync(join(one, f))).toBe(true);
  });
});

describe("vgrad synth --seeds: nothing lost when interrupted", { timeout: 240_000 }, () => {
  it("a run resumed from seeds at different points ends as the uninterrupted run", async () => {
    const ref = join(work, "ref");
    const r = await vgrad(["synth", "--out", ref, ...SMALL, "--seeds", "3", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);

    // seed 1 not started, seed 2 in its base training, seed 3 in its stages
    const dir = join(work, "partial");
    const manifest = readSeedsManifest(read(ref, "checkpoint.json"));
    manifest.phase = "running";
    const partial = async (seed: number, steps: number) => {
      let n = 0;
      const s = await synthesize(startSynthesis({ ...manifest.config, seed }), {
        onStep: () => void n++,
        shouldStop: () => n >= steps,
      });
      mkdirSync(join(dir, `seed-${seed}`), { recursive: true });
      writeFileSync(join(dir, `seed-${seed}`, "checkpoint.json"), encodeCheckpoint(s));
    };
    await Promise.all([partial(1, 0), partial(2, 11), partial(3, 40)]);
    writeFileSync(join(dir, "checkpoint.json"), encodeSeedsManifest(manifest));

    // a fresh run there would overwrite it: refused
    expectOneLine(
      await vgrad(["synth", "--out", dir, ...SMALL, "--seeds", "3"]),
      2,
      /holds an unfinished run of 3 seeds; continue it with: .*--resume/,
    );
    // resumed on another number of threads (allowed: results do not depend on it)
    const res = await vgrad(["synth", "--out", dir, "--resume", "--workers", "1", "--quiet"]);
    expect(res.code, res.stderr).toBe(0);
    for (const seed of [1, 2, 3]) {
      expect(untimed(checkpointOf(join(dir, `seed-${seed}`))), `seed ${seed}`).toBe(
        untimed(checkpointOf(join(ref, `seed-${seed}`))),
      );
    }
    expect(read(dir, "network.json")).toBe(read(ref, "network.json"));
  });

  it("Ctrl-C stops every seed after a checkpoint, prints the resume command, and --resume finishes the run", async () => {
    const dir = join(work, "ctrl-c");
    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "src/cli/main.ts", "synth", "--out", dir, ...SMALL],
        ...["--base-steps", "3000", "--seeds", "2", "--workers", "2", "--quiet"],
      ],
      { cwd: ROOT },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    // interrupt once both seeds have checkpointed some steps of their base training
    await new Promise<void>((ok) => {
      const poll = setInterval(() => {
        const steps = [1, 2].map((s) => {
          try {
            return (JSON.parse(read(dir, `seed-${s}`, "checkpoint.json")) as { totalSteps: number }).totalSteps;
          } catch {
            return 0;
          }
        });
        if (steps.every((n) => n > 0)) {
          clearInterval(poll);
          child.kill("SIGINT");
          ok();
        }
      }, 20);
    });
    const code = await new Promise<number | null>((ok) => child.on("exit", ok));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/^vgrad: interrupted \(seeds 1 at step \d+, 2 at step \d+\); continue with: .*--resume$/m);
    const stopped = [1, 2].map((s) => checkpointOf(join(dir, `seed-${s}`)));
    for (const s of stopped) {
      expect(s.phase).toBe("base");
      expect(s.totalSteps).toBeGreaterThan(0);
    }
    const res = await vgrad(["synth", "--out", dir, "--resume", "--quiet"]);
    expect(res.code, res.stderr).toBe(0);
    for (const seed of [1, 2]) {
      const end = checkpointOf(join(dir, `seed-${seed}`));
      expect(end.phase).toBe("done");
      // the steps before the interruption are kept, not redone
      expect(end.history.slice(0, stopped[seed - 1]!.totalSteps)).toEqual(stopped[seed - 1]!.history);
    }
    expect(readSeedsManifest(read(dir, "checkpoint.json")).phase).toBe("done");
  });
});

describe.concurrent("vgrad synth --seeds: bad input, one line", { timeout: 120_000 }, () => {
  it.each([
    [["--seeds", "0"], /option '--seeds <n>' argument '0' is invalid\. expected a whole number from 1 to 1000/],
    [["--seeds", "2", "--workers", "0"], /--workers must be at least 1 with --seeds/],
  ])("%j is refused", async (args, message) => {
    const out = join(work, `never-${Math.random().toString(36).slice(2)}`);
    expectOneLine(await vgrad(["synth", "--out", out, ...SMALL, ...args]), 2, message);
    expect(existsSync(out)).toBe(false);
  });

  it("--resume refuses settings, and a seed's damaged checkpoint is named", async () => {
    const dir = join(work, "damaged");
    const r = await vgrad(["synth", "--out", dir, ...SMALL, "--seeds", "2", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expectOneLine(
      await vgrad(["synth", "--out", dir, "--resume", "--seed", "3"]),
      2,
      /--resume continues with the checkpoint's settings; drop --seed$/m,
    );
    const doc = JSON.parse(read(dir, "seed-2", "checkpoint.json"));
    doc.lambda = "0.1";
    writeFileSync(join(dir, "seed-2", "checkpoint.json"), JSON.stringify(doc));
    expectOneLine(
      await vgrad(["synth", "--out", dir, "--resume"]),
      2,
      /cannot resume from \S+seed-2\/checkpoint\.json: checkpoint\.lambda must be a number, got the string "0\.1"$/m,
    );
    // a seed's checkpoint of another configuration
    writeFileSync(
      join(dir, "seed-2", "checkpoint.json"),
      encodeCheckpoint(startSynthesis(small({ seed: 2, baseSteps: 31 }))),
    );
    expectOneLine(
      await vgrad(["synth", "--out", dir, "--resume"]),
      2,
      /seed-2\/checkpoint\.json: it holds a run of another configuration than \S+checkpoint\.json names for seed 2$/m,
    );
  });
});
