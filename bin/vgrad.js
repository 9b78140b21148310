#!/usr/bin/env node
// The `vgrad` command.
//
// Installed from npm (or from the tarball `npm pack` makes) it runs the built CLI in
// dist/: `prepack` builds it, and src/ is not shipped.
// In a clone (src/ is there, and tsx with the devDependencies) it runs the TypeScript
// sources instead, so the command always matches the code being edited, needs no
// build, and never picks up a stale dist/ by mistake. A clone installed without
// devDependencies runs dist/ after `npm run build`.
import { existsSync } from "node:fs";

const here = (path) => new URL(path, import.meta.url);

async function loadCli() {
  if (existsSync(here("../src/cli/main.ts"))) {
    const tsx = await import("tsx/esm/api").catch((e) => {
      if (e?.code === "ERR_MODULE_NOT_FOUND") return undefined;
      throw e;
    });
    if (tsx !== undefined) {
      tsx.register();
      return import(here("../src/cli/main.ts").href);
    }
  }
  if (existsSync(here("../dist/cli/main.js"))) return import(here("../dist/cli/main.js").href);
  console.error(
    "vgrad: the CLI is not built (no dist/cli/main.js): run `npm run build`, or `npm install` for tsx to run the sources",
  );
  process.exit(2);
}

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
