/**
 * Doctest: every ```ts block of README.md and docs/*.md and every TSDoc `@example` in
 * src type-checks under the project's strict tsconfig (all in one program) and runs.
 *
 * Writing an example:
 * - no imports needed: public names of "vgrad", "vgrad/dmm", "vgrad/synth",
 *   "vgrad/testing" (and `fc`, Node's `join`, `tmpdir`, `readFileSync`, ..., and a src
 *   file's own exports in its TSDoc) are imported automatically; an example with an
 *   import of its own must import everything it uses;
 * - files go under `tmpdir()`, which is a folder removed after the run;
 * - `expr; // [{ a: 2 }]`: a result comment that is a JS literal is checked (same keys,
 *   numbers to 1e-9 relative); `// ≈ 0.00161` checks the rounding; `// TypeError: msg`
 *   expects that error; a literal may be followed by a remark in parentheses or after
 *   ", "; prose or "…" is not checked (details in results.ts);
 * - a markdown block followed by "Output…:" and a plain fence must print that text
 *   (up to white space, numbers to 1e-9 relative);
 * - opting out (rarely, with a reason): `<!-- doctest: skip REASON -->` before a
 *   markdown fence or `// doctest: skip REASON` as a TSDoc example's first line
 *   (`no-run` instead of `skip` still type-checks).
 * A failure reads "<file>:<line> <message>".
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { projectExamples } from "./examples.js";
import { prepareExamples, type Prepared } from "./pipeline.js";
import { runModule } from "./run.js";

const root = resolve(__dirname, "../..");

const examples = projectExamples(root);
const dir = mkdtempSync(join(tmpdir(), "vgrad-doctest-"));
let prepared: Prepared;

beforeAll(() => {
  prepared = prepareExamples(
    root,
    examples.filter((ex) => ex.mode !== "skip"),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("doctest", () => {
  examples.forEach((ex, i) => {
    const name = `${ex.file}:${ex.line}`;
    if (ex.mode === "skip") return it.skip(`${name} (doctest: skip ${ex.reason})`);
    it(`${name}${ex.mode === "no-run" ? " (type-checked only)" : ""}`, async () => {
      const failures = [...(prepared.typeErrors.get(ex) ?? [])];
      if (failures.length === 0 && ex.mode === "run")
        failures.push(...(await runModule(prepared.modules.get(ex)!, dir, `example${i}`)));
      if (failures.length > 0) throw new Error(failures.join("\n"));
    });
  });
});
