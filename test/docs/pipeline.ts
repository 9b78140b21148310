/**
 * The doctest pipeline short of running: examples -> modules -> one type-checked
 * program -> each example's type errors as "<file>:<line> <message>".
 */
import { join } from "node:path";
import type { Example } from "./examples.js";
import { exampleModule, type ExampleModule } from "./modules.js";
import { createProgram, diagnostics, ENTRY_POINTS, publicNames } from "./typecheck.js";

export interface Prepared {
  modules: Map<Example, ExampleModule>;
  typeErrors: Map<Example, string[]>;
}

/**
 * Modules and type errors of `examples`. `names` (public name -> entry point) defaults
 * to everything the entry points export.
 */
export function prepareExamples(
  root: string,
  examples: readonly Example[],
  names?: ReadonlyMap<string, string>,
): Prepared {
  const pub = names === undefined ? publicNames(root) : { names, program: undefined };
  const importable = {
    names: pub.names,
    entryFiles: new Map(ENTRY_POINTS.map(([s, f]) => [s, join(root, f)] as const)),
    absolute: (f: string) => join(root, f),
  };
  const modules = new Map<Example, ExampleModule>();
  let id = 0;
  for (const ex of examples) {
    const m = exampleModule(ex, importable, id);
    id += m.expectations.size;
    modules.set(ex, m);
  }
  // virtual files beside the tests, so that module resolution works as for a test file
  const virtual = examples.map((ex, i) => ({
    path: join(root, "test/docs/.examples", `example${i}.ts`),
    text: modules.get(ex)!.text,
  }));
  const program = createProgram(root, virtual, pub.program);
  const byPath = new Map(virtual.map((v, i) => [v.path, examples[i]!] as const));
  const typeErrors = new Map<Example, string[]>();
  for (const d of diagnostics(program, virtual)) {
    const ex = byPath.get(d.path)!;
    typeErrors.set(ex, [...(typeErrors.get(ex) ?? []), `${modules.get(ex)!.where(d.line)} ${d.message}`]);
  }
  return { modules, typeErrors };
}
