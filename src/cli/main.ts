#!/usr/bin/env node
/**
 * The `vgrad` command. Bad input gives one line on stderr and exit code 2, never a
 * stack trace; internal failures give exit code 1 (see {@link EXIT} for all codes).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { addDmmCommands } from "./dmm-commands.js";
import { addSynthCommand } from "./synth-command.js";
import { EXIT, UsageError } from "./errors.js";
import { MatrixError } from "../dmm/matrix-io.js";
import { NonFiniteError, NotAFileError, SchemaError } from "../synth/index.js";

const USAGE = `Usage: vgrad <command> [options]

  vgrad synth [--out DIR] [--seed N] [--resume | --force]  synthesize a compact duplicate detector
  vgrad dmm run --network handcrafted --text S --cycles N  run a network, print its answers
  vgrad dmm loss --matrix FILE --text S --cycles N         score a soft matrix
  vgrad dmm train --matrix FILE --steps K [--save FILE]    train a soft matrix with Adam

Example: npx vgrad dmm run --network handcrafted --text "test string." --cycles 150
All options: vgrad <command> --help; the version: vgrad --version
`;

const DMM_USAGE = `Usage: vgrad dmm <run | loss | train> [options]

  vgrad dmm run --network handcrafted --text S --cycles N  run a network, print its answers
  vgrad dmm run --matrix FILE --text S --cycles N          ... the layered network with these soft links
  vgrad dmm loss --matrix FILE --text S --cycles N         score a soft matrix
  vgrad dmm train --matrix FILE --steps K [--save FILE]    train a soft matrix with Adam

Example: npx vgrad dmm loss --matrix data/dmm-2022/initial-matrix.json --text "test string." --cycles 140
All options: vgrad dmm <run | loss | train> --help
`;

const EXIT_CODES = `
Exit codes:
  ${EXIT.done}    done
  ${EXIT.usage}    bad input (one line on stderr says what is wrong)
  ${EXIT.nonFinite}    a loss or weight became NaN or infinite: training diverged (synth keeps the last finite checkpoint)
  ${EXIT.interrupted}  interrupted (synth saved a checkpoint: continue with --resume)
  ${EXIT.internal}    internal error
`;

/**
 * The version in vgrad's package.json (found from this file, in src/ or dist/).
 *
 * @example
 * packageVersion(); // "0.1.0"
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "vgrad" && typeof pkg.version === "string") return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}

/**
 * Runs the `vgrad` command with `argv` (without node and script) and returns the exit
 * code: 0 done, 2 bad input (one line on stderr), 3 non-finite numbers (diverged),
 * 130 interrupted, 1 internal error.
 *
 * @example
 * process.exitCode = await main(["dmm", "run", "--network", "handcrafted", "--text", "ab", "--cycles", "3"]);
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  // Commander's own messages are collected and printed by us: one line for an error,
  // a short usage when a command is missing.
  let usage = "";
  const output = { writeErr: (s: string) => void (usage += s), outputError: () => {} };
  program
    .name("vgrad")
    .description("differentiable tree programming: dataflow matrix machines and their synthesis")
    .version(packageVersion(), "-V, --version", "print the version")
    .addHelpText("after", EXIT_CODES)
    .exitOverride()
    .configureOutput(output);
  addDmmCommands(program);
  addSynthCommand(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride().configureOutput(output);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.done;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return EXIT.done;
      if (e.code === "commander.help") {
        // a command group without its subcommand (`vgrad`, `vgrad dmm`)
        process.stderr.write(/^Usage: vgrad dmm\b/.test(usage) ? DMM_USAGE : USAGE);
        return EXIT.usage;
      }
      process.stderr.write(`vgrad: ${e.message.replace(/^error: /, "")}\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof MatrixError || e instanceof SchemaError || e instanceof NotAFileError) {
      process.stderr.write(`vgrad: ${oneLine((e as Error).message)}\n`);
      return EXIT.usage;
    }
    if (e instanceof NonFiniteError) {
      process.stderr.write(`vgrad: ${oneLine(e.message)}\n`);
      return EXIT.nonFinite;
    }
    process.stderr.write(`vgrad: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

const isMain = (() => {
  try {
    const argv1 = process.argv[1] ?? "";
    return /(^|[\\/])cli[\\/]main\.(ts|js|cjs|mjs)$/.test(argv1);
  } catch {
    return false;
  }
})();

if (isMain) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
