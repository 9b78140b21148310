import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { countLinks, layeredNetwork, linksOf, matrixFromLinks } from "../../src/dmm/index.js";
import {
  decodeCheckpoint,
  defaultConfig,
  encodeCheckpoint,
  pruneLeastSalient,
  pruneSmallest,
  startSynthesis,
  synthesize,
  type SynthConfig,
} from "../../src/synth/index.js";

const root = resolve(__dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "vgrad-synth-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A small configuration that runs in seconds: 1 layer × 1 of each type (40 soft weights). */
const SMALL = [
  "--layers",
  "1",
  "--per-type",
  "1",
  "--base-steps",
  "40",
  "--stage-steps",
  "8",
  "--final-steps",
  "6",
  "--target-weights",
  "6",
  "--quiet",
];
const smallConfig = (o: Partial<SynthConfig> = {}): SynthConfig =>
  defaultConfig({
    network: { layers: 1, perType: 1, types: ["accum", "norm", "dot", "compare"] },
    baseSteps: 40,
    stageSteps: 8,
    finalSteps: 6,
    targetWeights: 6,
    ...o,
  });

function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, encoding: "utf8" });
}

describe("synthesis state machine", () => {
  it("cuts to the target size and keeps every cut it accepts", async () => {
    const s = await synthesize(startSynthesis(smallConfig()));
    expect(s.phase).toBe("done");
    expect(s.accepted.weights).toBe(countLinks(s.accepted.soft));
    expect(s.accepted.weights).toBeLessThanOrEqual(6);
    expect(s.stages.length).toBeGreaterThan(0);
    for (const r of s.stages) {
      expect(r.weightsAfter).toBe(r.weightsBefore - r.cut);
      if (r.accepted)
        expect(r.preregAfter).toBeLessThanOrEqual(Math.max(s.config.acceptLoss, s.config.jumpFactor * r.preregBefore));
    }
    // the history counts every step once, numbered from 1
    expect(s.history.map((h) => h.step)).toEqual(Array.from({ length: s.totalSteps }, (_, i) => i + 1));
  });

  it("resumed from a JSON checkpoint after any step, ends exactly where an uninterrupted run ends", async () => {
    const full = await synthesize(startSynthesis(smallConfig({ seed: 3 })));
    for (const stopAt of [17, 45, 60]) {
      let steps = 0;
      const partial = await synthesize(startSynthesis(smallConfig({ seed: 3 })), {
        onStep: () => void steps++,
        shouldStop: () => steps >= stopAt,
      });
      expect(partial.phase).not.toBe("done");
      const restored = decodeCheckpoint(encodeCheckpoint(partial));
      const resumed = await synthesize(restored);
      expect(JSON.stringify(resumed.accepted.soft)).toBe(JSON.stringify(full.accepted.soft));
      expect(resumed.history).toEqual(full.history);
    }
  });

  it("backs off when a cut makes the loss jump, and stops when even one weight cannot go", async () => {
    // acceptLoss 0 and jumpFactor 1: only cuts that do not raise the loss are kept
    const s = await synthesize(
      startSynthesis(smallConfig({ seed: 5, acceptLoss: 0, jumpFactor: 1, targetWeights: 1 })),
    );
    expect(s.phase).toBe("done");
    expect(s.stages.some((r) => !r.accepted)).toBe(true);
    const last = s.stages[s.stages.length - 1]!;
    expect(last.accepted === false && last.cut === 1).toBe(true);
  });

  it("pruneSmallest drops the smallest |w| and breaks ties by link order", () => {
    const m = { o: { i: { a: { x: 0.5 }, b: { x: -0.01 }, c: { x: 0.01 }, d: { x: -2 } } } };
    expect(pruneSmallest(m, 1)).toEqual({ o: { i: { a: { x: 0.5 }, c: { x: 0.01 }, d: { x: -2 } } } });
    expect(countLinks(pruneSmallest(m, 3))).toBe(1);
  });

  it("pruneLeastSalient keeps a small weight on a large signal over a larger weight on a small one", () => {
    // output.dict-1 reads accum.dict (counts grow to 3 on "aaa") with weight 0.1, and
    // const_1 (always 1) with weight 0.2: |w| says cut the first, saliency the second
    const { network } = layeredNetwork({ layers: 1, perType: 1 });
    const soft = matrixFromLinks([
      ["accum-1-1", "dict-2", "input", "char", 1],
      ["output", "dict-1", "accum-1-1", "dict", 0.1],
      ["output", "dict-1", "const_1", "const_1", 0.2],
    ]);
    const samples = [{ text: "aaa", cycles: 40 }];
    const kept = linksOf(pruneLeastSalient(network, soft, samples, 1)).map((l) => l[2]);
    expect(kept).toEqual(["input", "accum-1-1"]);
    expect(linksOf(pruneSmallest(soft, 1)).map((l) => l[2])).toEqual(["input", "const_1"]);
  });
});

describe("vgrad synth (CLI)", () => {
  it("twice with --seed 7 gives byte-identical network.json, and writes the four files", () => {
    const a = join(work, "a"),
      b = join(work, "b");
    for (const out of [a, b]) {
      const r = cli(["synth", "--out", out, "--seed", "7", ...SMALL]);
      expect(r.status, r.stderr).toBe(0);
    }
    for (const f of ["network.json", "report.md", "network.svg", "training.svg"])
      expect(existsSync(join(a, f))).toBe(true);
    expect(readFileSync(join(a, "network.json"), "utf8")).toBe(readFileSync(join(b, "network.json"), "utf8"));
    expect(readFileSync(join(a, "network.svg"), "utf8")).toMatch(/<svg/);
    expect(readFileSync(join(a, "report.md"), "utf8")).toMatch(/## Generalization[\s\S]*tets\. str\.ingtb str\.ingtb/);
  });

  it("interrupted with SIGINT and resumed with --resume gives the same network.json", async () => {
    const ref = join(work, "ref"),
      cut = join(work, "cut");
    const args = ["--seed", "11", ...SMALL, "--base-steps", "120"];
    expect(cli(["synth", "--out", ref, ...args]).status).toBe(0);
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "synth", "--out", cut, ...args], {
      cwd: root,
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    // interrupt once the first checkpoint exists
    await new Promise<void>((ok) => {
      const poll = setInterval(() => {
        if (existsSync(join(cut, "checkpoint.json"))) {
          clearInterval(poll);
          child.kill("SIGINT");
          ok();
        }
      }, 20);
    });
    const code = await new Promise<number | null>((ok) => child.on("exit", ok));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/--resume/);
    expect(existsSync(join(cut, "network.json"))).toBe(false);
    const r = cli(["synth", "--out", cut, "--resume", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(cut, "network.json"), "utf8")).toBe(readFileSync(join(ref, "network.json"), "utf8"));
  });

  it("--method es works on a small configuration, the same with 0 or 2 worker threads", () => {
    const outs = ["es0", "es2"].map((d) => join(work, d));
    const es = ["--method", "es", "--pairs", "6", "--base-steps", "10", "--stage-steps", "4", "--final-steps", "2"];
    expect(cli(["synth", "--out", outs[0]!, ...SMALL, ...es, "--workers", "0"]).status).toBe(0);
    const r = cli(["synth", "--out", outs[1]!, ...SMALL, ...es, "--workers", "2"]);
    expect(r.status, r.stderr).toBe(0);
    const [n0, n2] = outs.map((o) => readFileSync(join(o, "network.json"), "utf8"));
    expect(n2).toBe(n0);
    expect(readFileSync(join(outs[1]!, "report.md"), "utf8")).toMatch(/OpenAI-ES/);
  });

  it.each([
    [["synth", "--bogus"], /unknown option/],
    [["synth", "--text", ""], /text must not be empty/],
    [["synth", "--out", "/dev/null/x"], /--out \/dev\/null\/x: \/dev\/null is not a folder/],
    [["synth", "--seed", "abc"], /whole number/],
    [["synth", "--method", "magic"], /magic/],
    [["synth", "--out", "/nonexistent-dir-vgrad", "--resume"], /nothing to resume/],
  ])("bad input %j gives one line and exit 2", (args, message) => {
    const r = cli(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it("--resume refuses settings that would change the run", () => {
    const out = join(work, "a");
    const r = cli(["synth", "--out", out, "--resume", "--seed", "3"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/drop --seed/);
  });

  it("a corrupt checkpoint gives a clear error", () => {
    const out = join(work, "corrupt");
    cli(["synth", "--out", out, "--seed", "1", ...SMALL]);
    writeFileSync(join(out, "checkpoint.json"), "{ not json");
    const r = cli(["synth", "--out", out, "--resume"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot resume/);
  });
});
