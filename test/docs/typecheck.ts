/**
 * Type-checks example modules in ONE TypeScript program under the project's strict
 * tsconfig, with the package's entry points ("vgrad", "vgrad/dmm", ...) mapped to src.
 * The modules are virtual files: nothing is written to disk.
 */
import { join } from "node:path";
import ts from "typescript";

/** The package's entry points and their source files, in order of preference. */
export const ENTRY_POINTS: ReadonlyArray<readonly [specifier: string, file: string]> = [
  ["vgrad", "src/index.ts"],
  ["vgrad/dmm", "src/dmm/index.ts"],
  ["vgrad/synth", "src/synth/index.ts"],
  ["vgrad/testing", "src/testing/index.ts"],
  ["vgrad/extend", "src/extend/index.ts"],
];

export interface VirtualModule {
  /** Absolute path the module pretends to have (it need not exist). */
  path: string;
  text: string;
}

export interface Diagnostic {
  path: string;
  /** 1-based line in the virtual module, or undefined for a global diagnostic. */
  line: number | undefined;
  message: string;
}

function compilerOptions(root: string): ts.CompilerOptions {
  const file = join(root, "tsconfig.json");
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, file);
  const paths: ts.MapLike<string[]> = {};
  for (const [spec, src] of ENTRY_POINTS) paths[spec] = [join(root, src)];
  return { ...parsed.options, paths, noEmit: true };
}

/**
 * A program over the virtual modules (the src files they import come along). Reuse
 * `old` to keep already parsed files.
 */
export function createProgram(root: string, modules: readonly VirtualModule[], old?: ts.Program): ts.Program {
  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options, true);
  const virtual = new Map(modules.map((m) => [m.path, m.text]));
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError, create) => {
    const text = virtual.get(f);
    return text !== undefined
      ? ts.createSourceFile(f, text, language, true)
      : getSourceFile.call(host, f, language, onError, create);
  };
  const roots = modules.length > 0 ? modules.map((m) => m.path) : ENTRY_POINTS.map(([, f]) => join(root, f));
  return ts.createProgram({ rootNames: roots, options, host, ...(old ? { oldProgram: old } : {}) });
}

/**
 * Every name (values and types) the entry points export, each with the first entry
 * point that exports it, and the program that found them (to reuse).
 */
export function publicNames(root: string): { names: Map<string, string>; program: ts.Program } {
  const program = createProgram(root, []);
  const checker = program.getTypeChecker();
  const names = new Map<string, string>();
  for (const [spec, file] of ENTRY_POINTS) {
    const sf = program.getSourceFile(join(root, file));
    const sym = sf && checker.getSymbolAtLocation(sf);
    if (!sym) throw new Error(`doctest: cannot read the exports of ${file}`);
    for (const e of checker.getExportsOfModule(sym)) if (!names.has(e.name)) names.set(e.name, spec);
  }
  return { names, program };
}

/** The errors of the virtual modules (syntax and types). */
export function diagnostics(program: ts.Program, modules: readonly VirtualModule[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const m of modules) {
    const sf = program.getSourceFile(m.path);
    if (!sf) throw new Error(`doctest: ${m.path} is not in the program`);
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? undefined : sf.getLineAndCharacterOfPosition(d.start).line + 1;
      out.push({ path: m.path, line, message: ts.flattenDiagnosticMessageText(d.messageText, " ") });
    }
  }
  return out;
}
