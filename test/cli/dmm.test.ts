/**
 * The `vgrad dmm` commands (SPEC-DMM §8), run as a user runs them: a child process
 * `node --import tsx src/cli/main.ts ...` in the repository root. Bad input gives one
 * line on stderr, nothing on stdout, exit code 2, no stack trace, no partial file.
 */
import { execFile, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
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
    [1, 34, 0, 0],
    [35, 64, 1, 0],
    [65, 113, 2, 0],
    [114, 123, 2, 1],
    [124, 133, 2, 2],
    [134, 143, 2, 3],
    [144, 144, 2, 4],
    [145, 150, 3, 4],
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
    const doc = json(
      await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "test string.", "--cycles", "140", "--json"),
    );
    expect(Object.keys(doc).sort()).toEqual(["loss", "prereg", "regL1", "weights"]);
    expect(doc.prereg).toBeCloseTo(434.9863, 3);
    expect(Math.abs(doc.prereg - 434.98627) / 434.98627).toBeLessThan(1e-5);
    expect(Math.abs(doc.regL1 - 11.908083) / 11.908083).toBeLessThan(1e-5);
    expect(doc.loss).toBeCloseTo(doc.prereg + 0.001 * doc.regL1, 10);
    expect(doc.weights).toBe(1486);
  });

  it("loss --lambda changes only the total", async () => {
    const doc = json(
      await vgrad(
        "dmm",
        "loss",
        "--matrix",
        SPARSE20,
        "--text",
        "test string.",
        "--cycles",
        "140",
        "--lambda",
        "0.1",
        "--json",
      ),
    );
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
    const doc = json(
      await vgrad("dmm", "run", "--network", "handcrafted", "--text", "test string.", "--cycles", "150", "--json"),
    );
    expect(Object.keys(doc)).toEqual(["outputs"]);
    expect(doc.outputs).toEqual(specAnswers());
  });

  it("run --matrix (sparse20): its answers score the prereg that loss reports", async () => {
    const doc = json(
      await vgrad("dmm", "run", "--matrix", SPARSE20, "--text", "test string.", "--cycles", "140", "--json"),
    );
    expect(doc.outputs).toHaveLength(140);
    const z = specAnswers();
    const prereg = (doc.outputs as Array<[number, number]>).reduce(
      (s, [a, b], i) => s + (a - z[i]![0]) ** 2 + (b - z[i]![1]) ** 2,
      0,
    );
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
    const doc = json(
      await vgrad("dmm", "train", "--matrix", INITIAL, "--steps", "3", "--compat-2022", "--json", "--save", save),
    );
    expect(Object.keys(doc).sort()).toEqual(["final", "prereg"]);
    expect(doc.prereg).toHaveLength(3);
    const want = [434.98627, 417.8722, 401.88974];
    (doc.prereg as number[]).forEach((p, i) =>
      expect(Math.abs(p - want[i]!) / want[i]!, `step ${i + 1}`).toBeLessThan(1e-4),
    );
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
    expectUsageError(
      await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x", "--cycles", "3", "--frobnicate"),
      /--frobnicate/,
    );
  });

  it("a non-numeric, fractional or zero --cycles; a negative --lambda", async () => {
    for (const bad of ["abc", "2.5", "0", ""]) {
      expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x", "--cycles", bad), /cycles/);
    }
    expectUsageError(
      await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x", "--cycles", "3", "--lambda", "-1"),
      /lambda/,
    );
  });

  it("a missing required option, an unknown command, an unknown network, both or neither network source", async () => {
    expectUsageError(await vgrad("dmm", "loss", "--matrix", INITIAL, "--text", "x"), /--cycles/);
    expectUsageError(await vgrad("dmm", "frobnicate"), /frobnicate/);
    expectUsageError(await vgrad("dmm", "run", "--network", "nope", "--text", "x", "--cycles", "3"), /nope/);
    expectUsageError(await vgrad("dmm", "run", "--text", "x", "--cycles", "3"));
    expectUsageError(
      await vgrad("dmm", "run", "--network", "handcrafted", "--matrix", INITIAL, "--text", "x", "--cycles", "3"),
    );
  });

  it("train --save into a directory that does not exist: exit 2, no file", async () => {
    const target = join(tmp, "no-such-dir", "out.json");
    expectUsageError(
      await vgrad("dmm", "train", "--matrix", SPARSE20, "--steps", "1", "--json", "--save", target),
      /no-such-dir/,
    );
    expect(existsSync(join(tmp, "no-such-dir"))).toBe(false);
  });

  it("train --save onto an existing directory: exit 2, nothing left behind", async () => {
    const dir = join(tmp, "save-here");
    mkdirSync(join(dir, "out.json"), { recursive: true });
    expectUsageError(
      await vgrad("dmm", "train", "--matrix", SPARSE20, "--steps", "1", "--json", "--save", join(dir, "out.json")),
    );
    expect(readdirSync(dir)).toEqual(["out.json"]); // no temporary or partial file
    expect(readdirSync(join(dir, "out.json"))).toEqual([]);
  });
});

/** Exit 3 (a non-finite number), one line on stderr, nothing on stdout (never a `null` result). */
function expectNonFinite(r: Result, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(3);
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n"), r.stderr).toHaveLength(2);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+|internal error|Error:/);
  expect(r.stderr).toMatch(pattern);
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout,
  );
}

/** vgrad with a timeout: a command that does not stop in time is killed and has code null. */
function vgradWithin(ms: number, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, timeout: ms },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
      },
    );
  });
}

describe.concurrent("vgrad and vgrad dmm without a subcommand; --version; --help", { timeout: 120_000 }, () => {
  it("vgrad alone prints a short usage with every command and a runnable example", async () => {
    const r = await vgrad();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(12);
    for (const c of ["vgrad synth", "vgrad dmm run", "vgrad dmm loss", "vgrad dmm train", "--help", "--version"])
      expect(r.stderr).toContain(c);
    const example = /^Example: (npx vgrad .*)$/m.exec(r.stderr);
    expect(example).not.toBeNull();
    // the example runs, typed into a shell in a clone
    const run = spawnSync("sh", ["-c", example![1]!], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe("cycle\ty1\ty2");
  });

  it("vgrad dmm alone prints the dmm commands", async () => {
    const r = await vgrad("dmm");
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n").length).toBeLessThanOrEqual(12);
    for (const c of ["vgrad dmm run", "vgrad dmm loss", "vgrad dmm train", "Example: npx vgrad dmm"])
      expect(r.stderr).toContain(c);
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await vgrad("--version");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it("--help lists the exit codes", async () => {
    const r = await vgrad("--help");
    expect(r.stdout).toMatch(/^Exit codes:$/m);
    expect(r.stdout).toMatch(/^ {2}3 +a loss or weight became NaN or infinite/m);
  });
});

describe.concurrent("vgrad dmm train --save: a bad path is found before any training", { timeout: 120_000 }, () => {
  // 10^6 steps would take hours: a check that came only after training would time out
  const LONG = ["dmm", "train", "--matrix", SPARSE20, "--steps", "1000000", "--json", "--save"];
  it.each([
    ["", /cannot write --save "": the file name is empty/],
    ["vgrad-test-newdir/", /cannot write --save "vgrad-test-newdir\/": it names a folder, not a file/],
    ["vgrad-test-t.json/", /it names a folder, not a file/],
    ...(existsSync("/proc/self")
      ? [["/proc/t.json", /cannot write --save "\/proc\/t\.json": cannot create a file in \/proc/] as [string, RegExp]]
      : []),
  ])("--save %j", async (path, message) => {
    expectUsageError(await vgradWithin(30_000, ...LONG, path), message);
    expect(existsSync(join(ROOT, "vgrad-test-newdir"))).toBe(false);
    expect(existsSync(join(ROOT, "vgrad-test-t.json"))).toBe(false);
  });

  it("a named pipe or a symbolic link at the target is refused and left alone", async () => {
    const dir = join(tmp, "special");
    mkdirSync(dir);
    writeFileSync(join(dir, "real.json"), "{}");
    symlinkSync(join(dir, "real.json"), join(dir, "link.json"));
    expectUsageError(
      await vgradWithin(30_000, ...LONG, join(dir, "link.json")),
      /link\.json is a symbolic link, not a regular file; refusing to replace it/,
    );
    expect(lstatSync(join(dir, "link.json")).isSymbolicLink()).toBe(true);
    if (spawnSync("mkfifo", [join(dir, "pipe")]).status === 0) {
      expectUsageError(
        await vgradWithin(30_000, ...LONG, join(dir, "pipe")),
        /pipe is a named pipe, not a regular file/,
      );
      expect(lstatSync(join(dir, "pipe")).isFIFO()).toBe(true);
    }
  });

  it("a temporary file an interrupted save left is removed by the next save", async () => {
    const dir = join(tmp, "stale");
    mkdirSync(dir);
    const stale = `.trained.json.vgrad-${deadPid()}-1.tmp`;
    writeFileSync(join(dir, stale), "{ half");
    const r = await vgrad(
      "dmm",
      "train",
      "--matrix",
      SPARSE20,
      "--steps",
      "1",
      "--cycles",
      "20",
      "--json",
      "--save",
      join(dir, "trained.json"),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(["trained.json"]);
  });
});

describe.concurrent("vgrad dmm: sizes are bounded, a BOM is accepted", { timeout: 120_000 }, () => {
  it("--cycles and --steps beyond their bounds are refused at once", async () => {
    expectUsageError(
      await vgradWithin(30_000, "dmm", "run", "--network", "handcrafted", "--text", "ab", "--cycles", "100000000"),
      /--cycles <n>' argument '100000000' is invalid\. expected a whole number from 1 to 10000/,
    );
    expectUsageError(
      await vgradWithin(30_000, "dmm", "train", "--matrix", SPARSE20, "--steps", "100000000"),
      /--steps <k>' argument '100000000' is invalid/,
    );
  });

  it("a matrix file starting with a UTF-8 byte order mark is read", async () => {
    const f = write("bom.json", `\uFEFF${readFileSync(join(ROOT, SPARSE20), "utf8")}`);
    const plain = json(
      await vgrad("dmm", "loss", "--matrix", SPARSE20, "--text", "test string.", "--cycles", "140", "--json"),
    );
    expect(
      json(await vgrad("dmm", "loss", "--matrix", f, "--text", "test string.", "--cycles", "140", "--json")),
    ).toEqual(plain);
  });
});

describe.concurrent("vgrad dmm: non-finite results give exit 3, never `null`", { timeout: 120_000 }, () => {
  // sparse20's weights × 1e200: finite, but the network's products overflow
  const huge = () =>
    write(
      "huge.json",
      JSON.stringify(
        JSON.parse(readFileSync(join(ROOT, SPARSE20), "utf8"), (_k, v) => (typeof v === "number" ? v * 1e200 : v)),
      ),
    );

  it("loss", async () => {
    expectNonFinite(
      await vgrad("dmm", "loss", "--matrix", huge(), "--text", "test string.", "--cycles", "140", "--json"),
      /^vgrad: the prereg loss is (NaN|-?Infinity): the weights are too large/,
    );
  });

  it("run", async () => {
    expectNonFinite(
      await vgrad("dmm", "run", "--matrix", huge(), "--text", "test string.", "--cycles", "140", "--json"),
      /^vgrad: the answer at cycle \d+ is \[.*(NaN|Infinity).*\]: the weights are too large/,
    );
  });

  it("train with a huge learning rate: stops at the first non-finite loss and saves nothing", async () => {
    const save = join(tmp, "diverged.json");
    const r = await vgrad(
      "dmm",
      "train",
      "--matrix",
      SPARSE20,
      "--steps",
      "5",
      "--cycles",
      "40",
      "--lr",
      "1e300",
      "--json",
      "--save",
      save,
    );
    expectNonFinite(r, /^vgrad: training diverged at step 2: the loss is/);
    expect(existsSync(save)).toBe(false);
  });
});

describe("dmm train: jit (the default) and --no-jit print the same losses", () => {
  it("200 steps of the 1486-weight network agree to 1e-9 relative", async () => {
    const args = ["dmm", "train", "--matrix", INITIAL, "--steps", "200", "--json"];
    const [jitted, eager] = await Promise.all([
      vgradWithin(600_000, ...args),
      vgradWithin(600_000, ...args, "--no-jit"),
    ]);
    expect(jitted.code, jitted.stderr).toBe(0);
    expect(eager.code, eager.stderr).toBe(0);
    const a = JSON.parse(jitted.stdout) as { prereg: number[]; final: number };
    const b = JSON.parse(eager.stdout) as { prereg: number[]; final: number };
    expect(a.prereg).toHaveLength(200);
    a.prereg.forEach((p, i) => expect(Math.abs(p - b.prereg[i]!)).toBeLessThanOrEqual(1e-9 * Math.abs(b.prereg[i]!)));
    expect(Math.abs(a.final - b.final)).toBeLessThanOrEqual(1e-9 * Math.abs(b.final));
  }, 600_000);
});
