/**
 * Loading ES-module-only dependencies (vega, vega-lite, @hpcc-js/wasm-graphviz) from
 * both builds.
 *
 * tsup makes the CommonJS build from the ES one (code splitting needs that) with a
 * pass that rewrites every `import(x)` into `Promise.resolve().then(() => require(x))`,
 * and has no setting to keep `import()`. That `require` fails for vega-lite: it cannot
 * load an ES module graph with top-level await (ERR_REQUIRE_ASYNC_MODULE), nor, before
 * Node 20.19, any ES module. So the CommonJS build imports through a `Function` whose
 * body the bundler sees only as a string: a real `import()`, which Node resolves from
 * this file like a written one. The ES build and the sources (vitest, tsx) keep a
 * plain `import()`: a test runner that evaluates modules in a `vm` context serves the
 * plain one but has no loader for the `Function`'s.
 */

/** Defined by tsup.config.ts: true in the CommonJS build, false in the ES build; absent in the sources. */
declare const VGRAD_COMMONJS_BUILD: boolean | undefined;

let functionImport: ((specifier: string) => Promise<unknown>) | undefined;

/**
 * `import(specifier)`, also from the CommonJS build.
 *
 * @example
 * const { compile } = await importEsm<typeof import("vega-lite")>("vega-lite");
 */
export function importEsm<T>(specifier: string): Promise<T> {
  if (typeof VGRAD_COMMONJS_BUILD === "boolean" && VGRAD_COMMONJS_BUILD) {
    functionImport ??= new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;
    return functionImport(specifier) as Promise<T>;
  }
  return import(specifier) as Promise<T>;
}
