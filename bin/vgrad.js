#!/usr/bin/env node
// The `vgrad` command. Runs the built CLI (dist/, made by `npm run build` and shipped
// in the package); in a fresh clone without a build, runs the TypeScript sources
// through tsx (a devDependency) instead.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/cli/main.js", import.meta.url);
let main;
if (existsSync(fileURLToPath(built))) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(new URL("../src/cli/main.ts", import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
