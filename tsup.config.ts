import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
    "extend/index": "src/extend/index.ts",
    "dmm/index": "src/dmm/index.ts",
    "synth/index": "src/synth/index.ts",
    "cli/main": "src/cli/main.ts",
    // the ES worker is loaded by file name from the chunk that starts the pool
    "es-worker": "src/synth/es-worker.ts",
    // likewise the worker that runs one seed of `vgrad synth --seeds N`
    "seed-worker": "src/synth/seed-worker.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  splitting: true,
  // import.meta.url in the CommonJS build (used to find the ES worker)
  shims: true,
  // Which build this is, for src/synth/import-esm.ts (the CommonJS one must not turn
  // import() of an ES-module-only dependency into require()).
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, VGRAD_COMMONJS_BUILD: String(format === "cjs") };
  },
});
