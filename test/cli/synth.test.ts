/**
 * `vgrad synth` as a user runs it (a child process `node --import tsx src/cli/main.ts`):
 * no data loss (an unfinished run is never overwritten, a diverging run keeps its last
 * finite checkpoint), damaged checkpoints and configs refused with one line, resume
 * byte-identical, and progress that tells the truth.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { countLinks } from "../../src/dmm/index.js";
import {
  decodeCheckpoint,
  defaultConfig,
  encodeCheckpoint,
  startSynthesis,
  synthesize,
  type SynthConfig,
  type SynthState,
} from "../../src/synth/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "vgrad-cli-synth-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vgrad ...args`; a run that does not end within `timeout` ms is killed (code null). */
function vgrad(
  args: string[],
  options: { env?: Record<string, string | undefined>; timeout?: number } = {},
): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env, timeout: options.timeout ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Exit `code`, exactly one line on stderr starting "vgrad: ", nothing on stdout, no stack trace. */
function expectOneLine(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n"), r.stderr).toHaveLength(2);
  expect(r.stderr).toMatch(/^vgrad: /);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+|internal error|Error:/);
  expect(r.stderr).toMatch(pattern);
}

const TYPES = ["accum", "norm", "dot", "compare"];
/** 1 layer × 1 of each type (34 soft weights) on a 12-cycle text: a run takes about a second. */
const SMALL = [
  "--layers",
  "1",
  "--per-type",
  "1",
  "--text",
  "ab.",
  "--cycles",
  "12",
  "--base-steps",
  "12",
  "--stage-steps",
  "4",
  "--final-steps",
  "3",
  "--target-weights",
  "6",
];
/** The configuration SMALL gives (seed 1 by default). */
const small = (o: Partial<SynthConfig> = {}): SynthConfig =>
  defaultConfig({
    network: { layers: 1, perType: 1, types: TYPES },
    samples: [{ text: "ab.", cycles: 12 }],
    baseSteps: 12,
    stageSteps: 4,
    finalSteps: 3,
    targetWeights: 6,
    ...o,
  });

async function runFor(config: SynthConfig, steps: number): Promise<SynthState> {
  let n = 0;
  return synthesize(startSynthesis(config), { onStep: () => void n++, shouldStop: () => n >= steps });
}

/** A folder holding the checkpoint of `state`. */
function folderWith(name: string, state: SynthState | string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "checkpoint.json"), typeof state === "string" ? state : encodeCheckpoint(state));
  return dir;
}

const readCheckpoint = (dir: string) => decodeCheckpoint(readFileSync(join(dir, "checkpoint.json"), "utf8"));

/** The checkpoint without wall times. */
function untimed(state: SynthState): string {
  const s = decodeCheckpoint(encodeCheckpoint(state));
  s.phaseSeconds = s.baseSeconds = s.finalSeconds = s.elapsedSeconds = 0;
  for (const r of s.stages) r.seconds = 0;
  return encodeCheckpoint(s);
}

function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout,
  );
}

describe.concurrent("vgrad synth: no data loss", { timeout: 180_000 }, () => {
  it("a fresh run refuses a folder holding an unfinished run, naming --resume and --force; --force starts over", async () => {
    const dir = folderWith("unfinished", await runFor(small(), 5));
    const before = readFileSync(join(dir, "checkpoint.json"), "utf8");
    const stale = `.checkpoint.json.vgrad-${deadPid()}-1.tmp`,
      live = `.network.json.vgrad-${process.pid}-1.tmp`;
    writeFileSync(join(dir, stale), "{ half");
    writeFileSync(join(dir, live), "{ being written");

    const r = await vgrad(["synth", "--out", dir, ...SMALL, "--quiet"]);
    expectOneLine(
      r,
      2,
      /holds an unfinished run \(checkpoint\.json at step 5\); continue it with: npx vgrad synth --out \S+ --resume \(or start over with --force/,
    );
    expect(readFileSync(join(dir, "checkpoint.json"), "utf8")).toBe(before);

    const f = await vgrad(["synth", "--out", dir, ...SMALL, "--quiet", "--force"]);
    expect(f.code, f.stderr).toBe(0);
    expect(readCheckpoint(dir).phase).toBe("done");
    // the temporary file an interrupted write left is removed; one a running process may still write is not
    expect(existsSync(join(dir, stale))).toBe(false);
    expect(existsSync(join(dir, live))).toBe(true);
  });

  it("a diverging run stops with exit 3 and one line, keeping the last finite checkpoint; resuming it says the same", async () => {
    const dir = join(work, "diverge");
    const cfg = join(work, "diverge.json");
    writeFileSync(cfg, '{"baseLr": 1e300, "baseLrEnd": 1e300}');
    const r = await vgrad(["synth", "--out", dir, ...SMALL, "--config", cfg, "--quiet"]);
    expectOneLine(
      r,
      3,
      /training diverged at step 2 \(base training, step 2 of 12\): the loss is .*checkpoint\.json keeps the last finite state \(step 1\).*--force/,
    );
    const kept = readCheckpoint(dir); // decodes: every weight finite
    expect(kept.totalSteps).toBe(1);
    expectOneLine(await vgrad(["synth", "--out", dir, "--resume"]), 3, /training diverged at step 2/);
  });

  it("an initial scale that overflows a weight: exit 3, one line", async () => {
    const cfg = join(work, "init.json");
    writeFileSync(cfg, '{"initScale": 1e308}');
    expectOneLine(
      await vgrad(["synth", "--out", join(work, "init"), ...SMALL, "--config", cfg]),
      3,
      /initScale 1e\+308 is too large/,
    );
  });
});

describe.concurrent(
  "vgrad synth --resume: a damaged checkpoint is refused with one line naming the field",
  { timeout: 120_000 },
  () => {
    let valid: Promise<string> | undefined;
    const validDoc = async () => JSON.parse(await (valid ??= runFor(small(), 14).then(encodeCheckpoint)));
    const firstLink = (soft: any): [any, string] => {
      const t = Object.keys(soft)[0]!,
        f = Object.keys(soft[t])[0]!,
        s = Object.keys(soft[t][f])[0]!;
      return [soft[t][f][s], Object.keys(soft[t][f][s])[0]!];
    };
    const cases: Array<[string, (d: any) => void, RegExp]> = [
      ["no phase", (d) => delete d.phase, /checkpoint is not a vgrad synthesis checkpoint \(it has no phase\)$/],
      ["no config", (d) => delete d.config, /checkpoint\.config is missing$/],
      [
        "an unknown phase",
        (d) => (d.phase = "bogus"),
        /checkpoint\.phase must be one of "base", "stage", "final", "done", got the string "bogus"$/,
      ],
      [
        "a null weight",
        (d) => {
          const [o, k] = firstLink(d.soft);
          o[k] = null;
        },
        /checkpoint\.soft\[.* must be a number, got null$/,
      ],
      [
        "a string weight",
        (d) => {
          const [o, k] = firstLink(d.soft);
          o[k] = "0.5";
        },
        /checkpoint\.soft\[.* must be a number, got the string "0\.5"$/,
      ],
      ["adam: null", (d) => (d.adam = null), /checkpoint\.adam must be an object, got null$/],
      ["history: null", (d) => (d.history = null), /checkpoint\.history must be an array, got null$/],
      [
        "an unknown neuron in soft",
        (d) => (d.soft.ghost = { dict: { input: { char: 1 } } }),
        /checkpoint\.soft\.ghost names an unknown neuron "ghost"$/,
      ],
      [
        "a string where a number belongs",
        (d) => (d.lambda = "0.1"),
        /checkpoint\.lambda must be a number, got the string "0\.1"$/,
      ],
    ];
    it.each(cases)("%s", async (name, mutate, message) => {
      const doc = await validDoc();
      mutate(doc);
      const dir = folderWith(`bad-${name.replace(/\W+/g, "-")}`, JSON.stringify(doc));
      const r = await vgrad(["synth", "--out", dir, "--resume"], { timeout: 60_000 });
      expectOneLine(
        r,
        2,
        new RegExp(
          `^vgrad: cannot resume from ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/checkpoint\\.json: ${message.source}`,
          "m",
        ),
      );
    });
  },
);

describe.concurrent("vgrad synth --config: every field checked before any work", { timeout: 120_000 }, () => {
  it.each([
    [
      '{"network": {"types": ["foo"]}}',
      /network\.types\[0\] must be one of "accum", "norm", "dot", "compare", got the string "foo"$/,
    ],
    ['{"network": {"types": ["toString"]}}', /network\.types\[0\] must be one of .* got the string "toString"$/],
    ['{"network": {"types": ["__proto__"]}}', /network\.types\[0\] must be one of .* got the string "__proto__"$/],
    ['{"network": "big"}', /network must be an object, got the string "big"$/],
    ['{"network": {"layers": 2, "depth": 3}}', /network\.depth is not a known field; known: layers, perType, types$/],
    ['{"es": {"pairs": "3"}}', /es\.pairs must be a number, got the string "3"$/],
  ])("%s", async (text, message) => {
    const cfg = join(work, `cfg-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(cfg, text);
    const out = `${cfg}.out`;
    expectOneLine(
      await vgrad(["synth", "--out", out, "--config", cfg]),
      2,
      new RegExp(`^vgrad: --config \\S+: ${message.source}`, "m"),
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe.concurrent("vgrad synth: sizes and paths fail fast", { timeout: 120_000 }, () => {
  it.each([
    [["--layers", "1000"], /option '--layers <n>' argument '1000' is invalid\. expected a whole number from 1 to 16/],
    [["--per-type", "100"], /--per-type <n>' argument '100' is invalid\. expected a whole number from 1 to 8/],
    [
      ["--cycles", "100000000"],
      /--cycles <n>' argument '100000000' is invalid\. expected a whole number from 1 to 10000/,
    ],
    [["--base-steps", "1000000000"], /--base-steps <n>' argument '1000000000' is invalid/],
  ])("%j is refused", async (args, message) => {
    expectOneLine(await vgrad(["synth", "--out", join(work, "never"), ...args], { timeout: 30_000 }), 2, message);
    expect(existsSync(join(work, "never"))).toBe(false);
  });

  it("a default window beyond the bound names the text", async () => {
    const r = await vgrad(["synth", "--out", join(work, "never"), "--text", "x".repeat(2000)], { timeout: 30_000 });
    expectOneLine(
      r,
      2,
      /^vgrad: a --text of 2000 characters needs 20020 cycles by default \(10 per character \+ 20\); at most 10000 are allowed: give --cycles$/m,
    );
  });

  it.runIf(existsSync("/proc/self"))("--out /proc/x fails at once", async () => {
    expectOneLine(
      await vgrad(["synth", "--out", "/proc/vgrad-x", ...SMALL], { timeout: 20_000 }),
      2,
      /cannot create the folder --out \/proc\/vgrad-x/,
    );
  });

  it("--out where an output is a folder fails before the run", async () => {
    const dir = join(work, "occupied");
    mkdirSync(join(dir, "network.json"), { recursive: true });
    expectOneLine(
      await vgrad(["synth", "--out", dir, ...SMALL, "--base-steps", "1000000"], { timeout: 30_000 }),
      2,
      /network\.json is a folder, not a regular file/,
    );
  });
});

describe("vgrad synth: --base-steps 0 and exact resume", { timeout: 180_000 }, () => {
  it("--base-steps 0 prunes, and a run resumed from any point (BOM included) ends byte-identical", async () => {
    const config = small({ baseSteps: 0 });
    // the settings in a config file saved with a byte order mark
    const cfg = join(work, "base0.json");
    writeFileSync(
      cfg,
      `\uFEFF${JSON.stringify({ baseSteps: 0, network: config.network, samples: config.samples, stageSteps: 4, finalSteps: 3, targetWeights: 6 })}`,
    );
    const ref = join(work, "base0-ref");
    const r = await vgrad(["synth", "--out", ref, "--config", cfg, "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const full = readCheckpoint(ref);
    expect(untimed({ ...full, config })).toBe(untimed(full)); // the file gave exactly this configuration
    expect(full.stages.some((s) => s.accepted)).toBe(true);
    expect(full.accepted.weights).toBeLessThan(countLinks(startSynthesis(config).soft));

    for (const stopAt of [0, 7]) {
      const partial = await runFor(config, stopAt);
      const dir = folderWith(`base0-${stopAt}`, `${stopAt === 0 ? "\uFEFF" : ""}${encodeCheckpoint(partial)}`);
      const res = await vgrad(["synth", "--out", dir, "--resume", "--quiet"]);
      expect(res.code, res.stderr).toBe(0);
      expect(readFileSync(join(dir, "network.json"), "utf8")).toBe(readFileSync(join(ref, "network.json"), "utf8"));
      expect(untimed(readCheckpoint(dir)), `resumed after ${stopAt} steps`).toBe(untimed(full));
    }
  });
});

describe.concurrent("vgrad synth: progress and hints", { timeout: 180_000 }, () => {
  it("Ctrl-C under `npm run synth` prints a resume command that works from there", async () => {
    const dir = join(work, "ctrl-c");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "synth", "--out", dir, ...SMALL, "--base-steps", "400", "--quiet"],
      {
        cwd: ROOT,
        env: { ...process.env, npm_command: "run-script", npm_lifecycle_event: "synth", INIT_CWD: ROOT },
      },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    await new Promise<void>((ok) => {
      const poll = setInterval(() => {
        if (existsSync(join(dir, "checkpoint.json"))) {
          clearInterval(poll);
          child.kill("SIGINT");
          ok();
        }
      }, 20);
    });
    const code = await new Promise<number | null>((ok) => child.on("exit", ok));
    expect(code, stderr).toBe(130);
    const hint = /continue with: (npx vgrad synth --out \S+ --resume)$/m.exec(stderr);
    expect(hint, stderr).not.toBeNull();
    // the command as printed, typed into a shell where the user is (outside npm)
    const env = { ...process.env };
    delete env["npm_command"];
    delete env["npm_lifecycle_event"];
    const r = spawnSync("sh", ["-c", `${hint![1]} --quiet`], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readCheckpoint(dir).phase).toBe("done");
  });

  it("the elapsed time goes on from the checkpoint's after a resume", async () => {
    const partial = await runFor(small(), 5);
    partial.elapsedSeconds = 5000; // 1:23:20
    const dir = folderWith("elapsed", partial);
    const r = await vgrad(["synth", "--out", dir, "--resume"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^base training done: .*\(1:23:2\d elapsed/m);
  });

  it("a progress line never shows more steps than its phase has, and gives the time left", async () => {
    // no retraining (stageLr 0) and no slack: cuts that raise the loss get a second
    // helping of stageSteps (200 of 100), then are undone
    const cfg = join(work, "extended.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        acceptLoss: 0,
        jumpFactor: 1,
        rescueFactor: 1e6,
        patience: 2,
        stageLr: 0,
        targetWeights: 1,
        stageSteps: 100,
        baseSteps: 12,
        finalSteps: 0,
      }),
    );
    const r = await vgrad([
      "synth",
      "--out",
      join(work, "extended"),
      "--layers",
      "1",
      "--per-type",
      "1",
      "--text",
      "ab.",
      "--cycles",
      "12",
      "--seed",
      "5",
      "--config",
      cfg,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const steps = [...r.stderr.matchAll(/step (\d+)\/(\d+) prereg \S+ weights \d+ \((.*)\)$/gm)];
    expect(steps.length).toBeGreaterThan(3);
    for (const [line, a, b] of steps) expect(Number(a), line).toBeLessThanOrEqual(Number(b));
    expect(
      steps.some(([, a, b]) => a === "200" && b === "200"),
      r.stderr,
    ).toBe(true);
    for (const [line, , , time] of steps) expect(time, line).toMatch(/^\d+:\d\d elapsed(, .*(left|ends in about).*)?$/);
    expect(r.stderr).toMatch(/about \d+:\d\d left \(\d+ % done\)/);
  });
});
