/**
 * The `vgrad dmm` commands (SPEC-DMM §8), run as a user runs them: a child process
 * `node --import tsx src/cli/main.ts ...` in the repository root. Bad input gives one
 * line on stderr, nothing on stdout, exit code 2, no stack trace, no partial file.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { countLinks, detectorLoss, layeredNetwork, parseMatrix } from "../../src/dmm/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const INITIAL = "data/dmm-2022/initial-matrix.json";
const SPARSE20 = "data/dmm-2022/sparse20-after-100-steps-matrix.json";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vgrad(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A usage error: exit 2, exactly one line on stderr starting "vgrad: ", no stdout, no stack. */
function expectUsageError(r: Result, pattern?: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.endsWith("\n")).toBe(true);
  expect(r.stderr.split("\n")).toHaveLength(2); // one line and the final newline
  expect(r.stderr).toMatch(/^vgrad: /);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+|internal error|Error:/);
  if (pattern) expect(r.stderr).toMatch(pattern);
}

/** Parses stdout as exactly one JSON document (one line). */
function json(r: Result): any {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  expect(r.stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(r.stdout);
}

/** SPEC §3's table as ranges [from, to, y1, y2], expanded. */
function specAnswers(): Array<[number, number]> {
  const rows: Array<[number, number, number, number]> = [
    [1, 34, 0, 0], [35, 64, 1, 0], [65, 113, 2, 0], [114, 123, 2, 1],
    [124, 133, 2, 2], [134, 143, 2, 3], [144, 144, 2, 4], [145, 150, 3, 4],
  ];
  const out: Array<[number, number]> = [];
  for (const [from, to, a, b] of rows) for (let c = from; c <= to; c++) out.push([a, b]);
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "vgrad-cli-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe.concurrent("vgrad dmm (good input)", { timeout: 180_000 }, () => {
  it("loss --json on initial-matrix.json: one JSON document, prereg ≈ 434.9863", async () => {
    const doc = json(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "test string.", "--cycles", "140", "--json"));
    expect(Object.keys(doc).sort()).toEqual(["loss", "prereg", "regL1", "weights"]);
    expect(doc.prereg).toBeCloseTo(434.9863, 3);
    expect(Math.abs(doc.prereg - 434.98627) / 434.98627).toBeLessThan(1e-5);
    expect(Math.abs(doc.regL1 - 11.908083) / 11.908083).toBeLessThan(1e-5);
    expect(doc.loss).toBeCloseTo(doc.prereg + 0.001 * doc.regL1, 10);
    expect(doc.weights).toBe(1486);
  });

  it("loss --lambda changes only the total", async () => {
    const doc = json(await vgrad("dmm", "loss", "--matrix", SPARSE20, "--text", "test string.", "--cycles", "140", "--lambda", "0.1", "--json"));
    expect(Math.abs(doc.prereg - 0.0016100588) / 0.0016100588).toBeLessThan(1e-3);
    expect(doc.weights).toBe(19);
    expect(doc.loss).toBeCloseTo(doc.prereg + 0.1 * doc.regL1, 12);
  });

  it("loss without --json prints readable lines", async () => {
    const r = await vgrad("dmm", "loss", "--matrix", SPARSE20, "--text", "test string.", "--cycles", "140");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^prereg 0\.00161/m);
    expect(r.stdout).toMatch(/^weights 19$/m);
  });

  it("run --network handcrafted --json: 150 pairs matching SPEC §3", async () => {
    const doc = json(await vgrad("dmm", "run", "--network", "handcrafted", "--text", "test string.", "--cycles", "150", "--json"));
    expect(Object.keys(doc)).toEqual(["outputs"]);
    expect(doc.outputs).toEqual(specAnswers());
  });

  it("run --matrix (sparse20): its answers score the prereg that loss reports", async () => {
    const doc = json(await vgrad("dmm", "run", "--matrix", SPARSE20, "--text", "test string.", "--cycles", "140", "--json"));
    expect(doc.outputs).toHaveLength(140);
    const z = specAnswers();
    const prereg = (doc.outputs as Array<[number, number]>).reduce((s, [a, b], i) => s + (a - z[i]![0]) ** 2 + (b - z[i]![1]) ** 2, 0);
    expect(Math.abs(prereg - 0.0016100588) / 0.0016100588).toBeLessThan(1e-3);
  });

  it("run without --json prints a table, one row per cycle", async () => {
    const r = await vgrad("dmm", "run", "--network", "handcrafted", "--text", "test string.", "--cycles", "150");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(151);
    expect(lines[0]).toBe("cycle\ty1\ty2");
    expect(lines[35]).toBe("35\t1\t0");
    expect(lines[150]).toBe("150\t3\t4");
  });

  it("train --compat-2022 --steps 3 --json --save: the 2022 trajectory, and a valid matrix file", async () => {
    const save = join(tmp, "trained.json");
    const doc = json(await vgrad("dmm", "train", "--matrix", INITIAL, "--steps", "3", "--compat-2022", "--json", "--save", save));
    expect(Object.keys(doc).sort()).toEqual(["final", "prereg"]);
    expect(doc.prereg).toHaveLength(3);
    const want = [434.98627, 417.8722, 401.88974];
    (doc.prereg as number[]).forEach((p, i) => expect(Math.abs(p - want[i]!) / want[i]!, `step ${i + 1}`).toBeLessThan(1e-4));
    expect(String(doc.prereg[0])).toMatch(/^434\.986/);
    expect(String(doc.prereg[1])).toMatch(/^417\.872/);
    expect(String(doc.prereg[2])).toMatch(/^401\.889/);
    // the file is a valid soft matrix of the layered layout, and `final` is its prereg
    const net = layeredNetwork().network;
    const soft = parseMatrix(readFileSync(save, "utf8"), net);
    expect(countLinks(soft)).toBe(1486);
    const prereg = detectorLoss(net, soft, { samples: [{ text: "test string.", cycles: 140 }] }).prereg as number;
    expect(prereg).toBeCloseTo(doc.final, 10);
    expect(doc.final).toBeLessThan(doc.prereg[2]);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("--help exits 0", async () => {
    const r = await vgrad("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dmm/);
  });
});

describe.concurrent("vgrad dmm (bad input): one line on stderr, exit 2", { timeout: 180_000 }, () => {
  it("a missing matrix file", async () => {
    const r = await vgrad("dmm", "loss", "--matrix", "/nonexistent.json", "--text", "x", "--cycles", "3");
    expectUsageError(r, /\/nonexistent\.json/);
  });

  it("a directory as the matrix file", async () => {
    expectUsageError(await vgrad("dmm", "loss", "--matrix", tmp, "--text", "x", "--cycles", "3"), /directory/);
  });

  it("malformed JSON", async () => {
    const f = write("malformed.json", '{"norm-1-1": {"dict": ');
    expectUsageError(await vgrad("dmm", "loss", "--matrix", f, "--text", "x", "--cycles", "3"), /malformed JSON/);
  });

  it("a matrix naming an unknown neuron", async () => {
    const f = write("unknown-neuron.json", '{"norm-1-1": {"dict": {"ghost": {"char": 1}}}}');
    expectUsageError(await vgrad("dmm", "loss", "--matrix", f, "--text", "x", "--cycles", "3"), /ghost/);
  });

  it("a matrix naming an unknown field", async () => {
    const f = write("unknown-field.json", '{"norm-1-1": {"dict": {"input": {"chr": 1}}}}');
    expectUsageError(await vgrad("dmm", "run", "--matrix", f, "--text", "x", "--cycles", "3"), /chr/);
  });

  it("a non-finite weight", async () => {
    const f = write("infinite.json", '{"norm-1-1": {"dict": {"input": {"char": 1e999}}}}');
    expectUsageError(await vgrad("dmm", "loss", "--matrix", f, "--text", "x", "--cycles", "3"), /Infinity/);
  });

  it("an empty text", async () => {
    expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "", "--cycles", "3"), /empty/);
    expectUsageError(await vgrad("dmm", "run", "--network", "handcrafted", "--text", "", "--cycles", "3"), /empty/);
  });

  it("an unknown option", async () => {
    expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x", "--cycles", "3", "--frobnicate"), /--frobnicate/);
  });

  it("a non-numeric, fractional or zero --cycles; a negative --lambda", async () => {
    for (const bad of ["abc", "2.5", "0", ""]) {
      expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x", "--cycles", bad), /cycles/);
    }
    expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x", "--cycles", "3", "--lambda", "-1"), /lambda/);
  });

  it("a missing required option, an unknown command, an unknown network, both or neither network source", async () => {
    expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x"), /--cycles/);
    expectUsageError(await vgrad("dmm", "frobnicate"), /frobnicate/);
    expectUsageError(await vgrad("dmm", "run", "--network", "nope", "--text", "x", "--cycles", "3"), /nope/);
    expectUsageError(await vgrad("dmm", "run", "--text", "x", "--cycles", "3"));
    expectUsageError(await vgrad("dmm", "run", "--network", "handcrafted", "--matrix", INITIAL, "--text", "x", "--cycles", "3"));
  });

  it("train --save into a directory that does not exist: exit 2, no file", async () => {
    const target = join(tmp, "no-such-dir", "out.json");
    expectUsageError(await vgrad("dmm", "train", "--matrix", SPARSE20, "--steps", "1", "--json", "--save", target), /no-such-dir/);
    expect(existsSync(join(tmp, "no-such-dir"))).toBe(false);
  });

  it("train --save onto an existing directory: exit 2, nothing left behind", async () => {
    const dir = join(tmp, "save-here");
    mkdirSync(join(dir, "out.json"), { recursive: true });
    expectUsageError(await vgrad("dmm", "train", "--matrix", SPARSE20, "--steps", "1", "--json", "--save", join(dir, "out.json")));
    expect(readdirSync(dir)).toEqual(["out.json"]); // no temporary or partial file
    expect(readdirSync(join(dir, "out.json"))).toEqual([]);
  });
});
