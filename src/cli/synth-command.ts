import type { Command } from "commander";
export function addSynthCommand(_program: Command): void {}
