// ESLint flat config: typescript-eslint's recommended rules, import rules (one of them
// encodes the layer order of src/), and eslint-config-prettier last so that layout is
// prettier's alone.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

/**
 * The layers of src/ in dependency order: a file may import from its own layer and from
 * layers to its left, never from one to its right.
 */
const layers = ["vvalue", "ad", "ops", "jit", "optim", "extend", "testing", "dmm", "synth", "cli"];

/** The core that src/index.ts re-exports; importing src/index.ts is importing all of it. */
const core = ["vvalue", "ad", "ops", "jit", "optim"];

/**
 * Layers that run in a packed install, where fast-check (an optional peer that src/testing
 * needs) may be missing: they must not import src/testing although it stands to their left.
 */
const withoutTesting = ["dmm", "synth", "cli"];

const order = layers.join(" → ");

/** One no-restricted-paths zone per layer (and one for src/index.ts). */
function layerZones() {
  const zones = layers.map((layer, i) => {
    const right = layers.slice(i + 1);
    const from = right.map((l) => `src/${l}`);
    if (core.includes(layer)) from.push("src/index.ts");
    const allowed = layers.slice(0, i);
    return {
      target: `src/${layer}`,
      from: from.length > 0 ? from : ["src/__nothing__"],
      message: `src/${layer} may import only from ${allowed.length > 0 ? allowed.map((l) => `src/${l}`).join(", ") : "itself"} (layer order ${order}).`,
    };
  });
  zones.push({
    target: "src/index.ts",
    from: layers.filter((l) => !core.includes(l)).map((l) => `src/${l}`),
    message: `src/index.ts re-exports the core only (${core.join(", ")}).`,
  });
  zones.push({
    target: withoutTesting.map((l) => `src/${l}`),
    from: ["src/testing"],
    message: `src/testing needs fast-check, an optional peer: ${withoutTesting.join(", ")} run without it and must not import it.`,
  });
  return zones.filter((z) => !z.from.includes("src/__nothing__"));
}

export default tseslint.config(
  {
    ignores: ["dist/", "bench/results/", "docs/", "data/", "coverage/", "synth-out/", ".vitest-tmp/"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { "import-x": importX },
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: { ...globals.node },
    },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // A leading underscore marks a binding that is there on purpose but unread
      // (a positional parameter, a `for (const _ in t)` counter).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
        },
      ],
      // `(...args: any[]) => R` is how TypeScript spells "a function of any arguments".
      "@typescript-eslint/no-explicit-any": ["error", { ignoreRestArgs: true }],
      "import-x/no-restricted-paths": ["error", { basePath: root, zones: layerZones() }],
      "import-x/no-duplicates": "error",
      "import-x/no-self-import": "error",
      "import-x/no-useless-path-segments": "error",
      // src/ ships: it may use dependencies and peers, never a devDependency.
      "import-x/no-extraneous-dependencies": [
        "error",
        { devDependencies: false, peerDependencies: true, optionalDependencies: false },
      ],
    },
  },
  {
    files: ["test/**", "bench/**", "examples/**", "scripts/**", "*.config.{js,ts}"],
    rules: {
      "import-x/no-extraneous-dependencies": ["error", { devDependencies: true, peerDependencies: true }],
    },
  },
  {
    // Tests hand vgrad what its types forbid (misuse, hostile input): `any` is the point there.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // In a clone bin/vgrad.js runs src/ through tsx (a devDependency) when it is installed,
    // and falls back to dist/ when it is not, as in a packed install.
    files: ["bin/vgrad.js"],
    rules: { "import-x/no-extraneous-dependencies": ["error", { devDependencies: true }] },
  },
  prettier,
);
