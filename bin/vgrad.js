#!/usr/bin/env node
// The `vgrad` command: runs the built CLI (npm install builds it via "prepare").
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
