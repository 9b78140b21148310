/**
 * The layer order of src/ is a lint rule (eslint.config.js, import-x/no-restricted-paths):
 * these tests lint small probe files placed in each layer and check that exactly the
 * imports that point rightward in the order are reported, in every import form.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const RULE = "import-x/no-restricted-paths";

// The architecture, stated here independently of the config: dependency order, and the
// layers a packed install loads without fast-check (so they may not import src/testing).
const order = ["vvalue", "ad", "ops", "jit", "optim", "extend", "testing", "dmm", "synth", "cli"];
const core = ["vvalue", "ad", "ops", "jit", "optim"];
const withoutFastCheck = ["dmm", "synth", "cli"];

function allowed(from: string, to: string): boolean {
  if (to === "testing" && withoutFastCheck.includes(from)) return false;
  return order.indexOf(to) <= order.indexOf(from);
}

/** A real module of each layer, so that the import resolves. */
function moduleOf(layer: string): string {
  const file = readdirSync(join(root, "src", layer)).find((f) => f.endsWith(".ts"));
  if (file === undefined) throw new Error(`src/${layer} holds no .ts file`);
  return file.replace(/\.ts$/, ".js");
}

const eslint = new ESLint({ cwd: root });

/** The layer-rule messages for `code` linted as if it were the file `path` (from the repo root). */
async function layerMessages(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  if (result === undefined) throw new Error("no lint result");
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`${path}: ${fatal.map((m) => m.message).join("; ")}`);
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe("the layer order is a lint rule", () => {
  for (const from of order) {
    it(`src/${from} imports exactly the layers allowed to it`, async () => {
      const reported: string[] = [];
      for (const to of order) {
        const messages = await layerMessages(`src/${from}/layer-probe.ts`, `import "../${to}/${moduleOf(to)}";\n`);
        if (messages.length > 0) reported.push(to);
      }
      expect(reported).toEqual(order.filter((to) => !allowed(from, to)));
    });
  }

  it("reports every import form: named, type-only, re-export, dynamic", async () => {
    const target = `../dmm/${moduleOf("dmm")}`;
    const forms = [
      `import { x } from "${target}";\nexport const y = x;\n`,
      `import type { X } from "${target}";\nexport type Y = X;\n`,
      `export * from "${target}";\n`,
      `export const load = () => import("${target}");\n`,
    ];
    for (const code of forms) expect(await layerMessages("src/ops/layer-probe.ts", code), code).toHaveLength(1);
  });

  it("names the allowed layers and the order in its message", async () => {
    const [message] = await layerMessages("src/ad/layer-probe.ts", `import "../ops/${moduleOf("ops")}";\n`);
    expect(message).toContain("src/ad may import only from src/vvalue");
    expect(message).toContain(order.join(" → "));
  });

  it("src/index.ts is the core: the core may not import it, the layers right of the core may", async () => {
    for (const from of order) {
      const messages = await layerMessages(`src/${from}/layer-probe.ts`, `import "../index.js";\n`);
      expect(messages.length > 0, from).toBe(core.includes(from));
    }
  });

  it("src/index.ts re-exports only the core", async () => {
    for (const to of order) {
      const messages = await layerMessages("src/index.ts", `export * from "./${to}/${moduleOf(to)}";\n`);
      expect(messages.length > 0, to).toBe(!core.includes(to));
    }
  });

  it("leaves imports outside src/ alone", async () => {
    expect(await layerMessages("test/layer-probe.ts", `import "../src/cli/${moduleOf("cli")}";\n`)).toEqual([]);
  });
});
