#!/usr/bin/env node
/**
 * The `vgrad` command. Bad input gives one line on stderr and exit code 2, never a
 * stack trace; internal failures give exit code 1.
 */
import { Command, CommanderError } from "commander";
import { addDmmCommands } from "./dmm-commands.js";
import { addSynthCommand } from "./synth-command.js";
import { UsageError } from "./errors.js";
import { MatrixError } from "../dmm/matrix-io.js";

/**
 * Runs the `vgrad` command with `argv` (without node and script) and returns the exit
 * code: 0 done, 2 bad input (one line on stderr), 130 interrupted, 1 internal error.
 *
 * @example
 * process.exitCode = await main(["dmm", "run", "--network", "handcrafted", "--text", "ab", "--cycles", "3"]);
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  // Commander's own messages are collected and printed by us: one line for an error,
  // the usage text when a command is missing.
  let usage = "";
  const output = { writeErr: (s: string) => void (usage += s), outputError: () => {} };
  program
    .name("vgrad")
    .description("differentiable tree programming: dataflow matrix machines and their synthesis")
    .exitOverride()
    .configureOutput(output);
  addDmmCommands(program);
  addSynthCommand(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride().configureOutput(output);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return 0;
      if (e.code === "commander.help") {
        // a command group without its subcommand (`vgrad`, `vgrad dmm`): show its usage
        process.stderr.write(usage.endsWith("\n") ? usage : `${usage}\n`);
        return 2;
      }
      process.stderr.write(`vgrad: ${e.message.replace(/^error: /, "")}\n`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof MatrixError) {
      process.stderr.write(`vgrad: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`vgrad: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
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
