#!/usr/bin/env node
/**
 * The packed package works where a user installs it.
 *
 * 1. Packs a copy of the working tree's sources (tracked and untracked-but-not-ignored
 *    files, no dist/), so the tarball's dist/ can only come from `prepack`.
 * 2. Installs the tarball into an empty folder, with TypeScript and @types/node but not
 *    fast-check (an optional peer dependency).
 * 3. Lints the installed package with publint (no message of any level allowed).
 * 4. Checks that `vgrad`, `vgrad/dmm` and `vgrad/synth` load under both module systems
 *    without fast-check, and that `vgrad/testing` fails with a message that says to
 *    install it.
 * 5. Runs the installed `vgrad` command through npx.
 * 6. Installs fast-check, type-checks an ES module consumer and a CommonJS consumer
 *    (strict, `skipLibCheck: false`, module/moduleResolution nodenext), then runs them:
 *    each imports every export path and calls something from it with a known answer.
 *
 * Usage: `node scripts/check-pack.mjs` (or `npm run check:pack`); part of `.ci/run`.
 * Needs git, npm and the registry (or a warm npm cache). Exits 1 on the first failure,
 * keeping the temporary folder for inspection.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "vgrad-pack-"));
const started = Date.now();

/** Runs a command; returns its result, or ends the check with its output when it fails. */
function run(step, cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...options });
  if (r.status !== 0 && !options.allowFailure) {
    fail(
      step,
      `${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}\n${r.stdout ?? ""}${r.stderr ?? ""}${r.error ?? ""}`,
    );
  }
  return r;
}

function fail(step, detail) {
  console.error(detail.trimEnd());
  console.error(`pack check FAILED at "${step}" (files kept in ${work})`);
  process.exit(1);
}

function ok(step) {
  console.log(`pack: ${step} ok (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

const installedVersion = (name) =>
  JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
const npmQuiet = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

// 1. Pack a fresh copy of the sources.
if (!existsSync(join(root, "node_modules")))
  fail("setup", "no node_modules/: run `npm ci` first (packing builds with tsup)");
const sources = join(work, "sources");
const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
  cwd: root,
  encoding: "utf8",
});
for (const file of new Set(listed.split("\0").filter(Boolean))) {
  if (!existsSync(join(root, file))) continue; // deleted in the working tree, not yet committed
  mkdirSync(dirname(join(sources, file)), { recursive: true });
  copyFileSync(join(root, file), join(sources, file));
}
if (existsSync(join(sources, "dist"))) fail("copy", "dist/ was copied: it must be ignored by git");
symlinkSync(join(root, "node_modules"), join(sources, "node_modules"), "dir");
run("npm pack", "npm", ["pack", "--pack-destination", work, "--loglevel=error"], { cwd: sources });
const tarballs = readdirSync(work).filter((f) => f.endsWith(".tgz"));
if (tarballs.length !== 1) fail("npm pack", `expected one tarball in ${work}, found ${tarballs.join(", ") || "none"}`);
const tarball = join(work, tarballs[0]);
const packed = run("tarball contents", "tar", ["-tzf", tarball]).stdout.split("\n").filter(Boolean);
for (const expected of [
  "package/dist/index.js",
  "package/dist/index.cjs",
  "package/dist/cli/main.js",
  "package/dist/synth/index.d.cts",
  "package/bin/vgrad.js",
]) {
  if (!packed.includes(expected)) fail("tarball contents", `${expected} is not in the tarball`);
}
const strays = packed.filter((f) => /^package\/(src|test|scripts)\//.test(f));
if (strays.length > 0)
  fail("tarball contents", `the tarball ships development files: ${strays.slice(0, 5).join(", ")}`);
ok(`npm pack (${tarballs[0]}, ${packed.length} files, dist/ built by prepack)`);

// 2. Install into an empty folder, without fast-check.
const consumer = join(work, "consumer");
mkdirSync(consumer);
// No "type": a CommonJS project, as most are; the ES consumer is a .mts file.
writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }, null, 2) + "\n");
run(
  "npm install",
  "npm",
  [
    "install",
    ...npmQuiet,
    tarball,
    `typescript@${installedVersion("typescript")}`,
    `@types/node@${installedVersion("@types/node")}`,
  ],
  { cwd: consumer },
);
if (existsSync(join(consumer, "node_modules", "fast-check")))
  fail("npm install", "fast-check was installed with vgrad: it must stay an optional peer");
ok("npm install of the tarball");

// 3. publint on the installed package (what the tarball holds, as npm unpacked it).
const { publint } = await import("publint");
const { formatMessage } = await import("publint/utils");
const lint = await publint({
  pkgDir: join(consumer, "node_modules", "vgrad"),
  pack: false,
  level: "suggestion",
  strict: true,
});
if (lint.messages.length > 0) {
  fail(
    "publint",
    lint.messages.map((m) => `publint ${m.type}: ${formatMessage(m, lint.pkg, { color: false })}`).join("\n"),
  );
}
ok("publint");

// 4. Every export path without fast-check, both module systems.
const node = (step, args, options = {}) => run(step, process.execPath, args, { cwd: consumer, ...options });
const loadAll =
  "for (const p of ['vgrad', 'vgrad/dmm', 'vgrad/synth', 'vgrad/extend']) { const m = LOAD(p); if (Object.keys(m).length < 5) throw new Error(p + ': too few exports'); }";
node("import without fast-check", ["--input-type=module", "-e", loadAll.replace("LOAD(p)", "await import(p)")]);
node("require without fast-check", ["-e", loadAll.replace("LOAD(p)", "require(p)")]);
for (const [system, args] of [
  ["import", ["--input-type=module", "-e", "await import('vgrad/testing')"]],
  ["require", ["-e", "require('vgrad/testing')"]],
]) {
  const r = node(`${system} vgrad/testing without fast-check`, args, { allowFailure: true });
  const message = "vgrad/testing needs fast-check, an optional peer dependency: npm install --save-dev fast-check";
  if (r.status === 0 || !r.stderr.includes(message)) {
    fail(
      `${system} vgrad/testing without fast-check`,
      `expected a failure saying "${message}", got exit ${r.status}:\n${r.stderr}`,
    );
  }
}
ok("vgrad, vgrad/dmm, vgrad/synth load without fast-check; vgrad/testing says to install it (import and require)");

// 5. The installed command (dist/, no tsx in this folder).
if (existsSync(join(consumer, "node_modules", "tsx")))
  fail("npx vgrad", "tsx is installed: the command would not prove it runs from dist/");
const help = run("npx vgrad --help", "npx", ["--yes=false", "vgrad", "--help"], { cwd: consumer });
if (!/^Usage: vgrad/m.test(help.stdout) || !help.stdout.includes("synth")) fail("npx vgrad --help", help.stdout);
const matrix = join(consumer, "node_modules", "vgrad", "data", "dmm-2022", "initial-matrix.json");
const loss = run(
  "npx vgrad dmm loss",
  "npx",
  ["--yes=false", "vgrad", "dmm", "loss", "--matrix", matrix, "--text", "test string.", "--cycles", "140", "--json"],
  { cwd: consumer },
);
let doc;
try {
  doc = JSON.parse(loss.stdout);
} catch {
  fail("npx vgrad dmm loss", `not one JSON document on stdout: ${loss.stdout}`);
}
// The 2022 Julia run's numbers for this matrix (SPEC-DMM §5), to 1e-5 relative.
if (
  doc.weights !== 1486 ||
  !(Math.abs(doc.prereg - 434.98627) / 434.98627 < 1e-5) ||
  !(Math.abs(doc.regL1 - 11.908083) / 11.908083 < 1e-5)
) {
  fail("npx vgrad dmm loss", `unexpected result: ${loss.stdout}`);
}
ok("npx vgrad --help, npx vgrad dmm loss (prereg 434.98627 as in 2022)");

// 6. Typed consumers, both module systems.
run("npm install fast-check", "npm", ["install", ...npmQuiet, `fast-check@${installedVersion("fast-check")}`], {
  cwd: consumer,
});
const imports = `import assert from "node:assert/strict";
import * as fc from "fast-check";
import { dot, equals, gradient, type VValue } from "vgrad";
import { checkGradient, vtreeArb } from "vgrad/testing";
import { detectorAnswers, handcraftedDetector } from "vgrad/dmm";
import { renderNetworkSvg, renderTrainingSvg, type NetworkMatrix, type TrainingRecord } from "vgrad/synth";
`;
const checks = `
  // d/dt (t·t) = 2t
  const [g] = gradient((t: VValue) => dot(t, t), { a: 1, b: { c: 2 } });
  assert.ok(g !== undefined && equals(g, { a: 2, b: { c: 4 } }), "gradient: " + JSON.stringify(g));

  assert.equal(checkGradient((t: VValue) => dot(t, t), [{ a: 1, b: { c: 2 } }]).ok, true, "checkGradient");
  // vgrad's arbitraries inside this program's own fast-check
  fc.assert(fc.property(vtreeArb({ maxDepth: 2 }), (t) => typeof t === "object"), { numRuns: 20 });

  // SPEC-DMM §3: on "test string." the answers are [0, 0] up to cycle 34, [1, 0] at 35, [3, 4] at 150
  const answers = detectorAnswers(handcraftedDetector(), "test string.", 150);
  assert.deepEqual([answers[33], answers[34], answers[149]], [[0, 0], [1, 0], [3, 4]]);

  const history: TrainingRecord[] = [0, 1, 2, 3].map((step) => ({ step, stage: step < 2 ? 0 : 1, prereg: 1 / (step + 1), loss: 1 / (step + 1) + 0.01, weights: 10 - step }));
  const training = await renderTrainingSvg(history, { title: "consumer chart" });
  assert.match(training, /^<svg/);
  assert.ok(training.includes("consumer chart"), "training picture title");
  const soft: NetworkMatrix = { output: { "dict-1": { "neuron-a": { out: 0.5 } } } };
  const network = await renderNetworkSvg(soft);
  assert.match(network, /<svg/);
  for (const text of ["output", "neuron-a", "dict-1"]) assert.ok(network.includes(text), "network picture: " + text);
`;
writeFileSync(join(consumer, "esm.mts"), `${imports}${checks}\nconsole.log("ES module consumer: ok");\n`);
writeFileSync(
  join(consumer, "cjs.cts"),
  `${imports}\nasync function main(): Promise<void> {${checks}}\n\nmain().then(\n  () => console.log("CommonJS consumer: ok"),\n  (e: unknown) => {\n    console.error(e);\n    process.exitCode = 1;\n  },\n);\n`,
);
const tsconfig = {
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    // a Node program: no DOM library (vega's types need it; the public types must not)
    lib: ["es2022"],
    types: ["node"],
    outDir: "build",
  },
  files: ["esm.mts", "cjs.cts"],
};
writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(tsconfig, null, 2) + "\n");
run("tsc", "npx", ["--yes=false", "tsc", "-p", "."], { cwd: consumer });
const cjsOut = readFileSync(join(consumer, "build", "cjs.cjs"), "utf8");
const esmOut = readFileSync(join(consumer, "build", "esm.mjs"), "utf8");
if (!cjsOut.includes('require("vgrad/synth")') || !esmOut.includes('from "vgrad/synth"')) {
  fail("tsc", "the consumers were not compiled to require() and import as intended");
}
ok("tsc (strict, skipLibCheck false) on an ES module and a CommonJS consumer");
const esm = node("ES module consumer", ["build/esm.mjs"]);
const cjs = node("CommonJS consumer", ["build/cjs.cjs"]);
process.stdout.write(esm.stdout + cjs.stdout);
ok("ES module and CommonJS consumers run");

rmSync(work, { recursive: true, force: true });
console.log(`pack check: ok (${((Date.now() - started) / 1000).toFixed(0)} s)`);
