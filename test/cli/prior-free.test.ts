/**
 * `vgrad synth --prior-free` as a user runs it: the fully recurrent network, the four
 * outputs, resumable; settings that do not apply to it are refused with one line.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../src/synth/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "vgrad-cli-prior-free-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function vgrad(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, timeout: 120_000 },
      (e, _o, stderr) => resolve({ code: e === null ? 0 : typeof e.code === "number" ? e.code : null, stderr }),
    );
  });
}

/** One copy of each type (930 soft weights) on a 14-cycle text. */
const SMALL = [
  ...["--per-type", "1", "--text", "ab.", "--cycles", "14"],
  ...["--base-steps", "20", "--stage-steps", "4", "--final-steps", "2", "--target-weights", "12"],
];

describe("vgrad synth --prior-free", { timeout: 180_000 }, () => {
  it("runs the fully recurrent network and writes the four outputs", async () => {
    const dir = join(work, "small");
    const r = await vgrad(["synth", "--prior-free", "--out", dir, ...SMALL, "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ["network.json", "report.md", "network.svg", "training.svg"])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const state = decodeCheckpoint(readFileSync(join(dir, "checkpoint.json"), "utf8"));
    expect(state.config.topology).toBe("fully-recurrent");
    expect(state.phase).toBe("done");
    expect(readFileSync(join(dir, "report.md"), "utf8")).toMatch(
      /^- Network: fully recurrent, 1 of each of accum, norm, compare, dot, every output to every input; 930 soft weights at the start$/m,
    );
  });

  it("--layers does not apply: one line, exit 2", async () => {
    const r = await vgrad(["synth", "--prior-free", "--layers", "2", "--out", join(work, "never")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "vgrad: --layers does not apply to --prior-free (the fully recurrent network has no layers)\n",
    );
    expect(existsSync(join(work, "never"))).toBe(false);
  });
});
