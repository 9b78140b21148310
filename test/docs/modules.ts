/**
 * Turns an example into a module. An example without imports gets them: every public
 * name it uses from the entry points ("vgrad", "vgrad/dmm", "vgrad/synth",
 * "vgrad/testing"), the names exported by its own source file (for a TSDoc example),
 * `fc` from fast-check and a few Node helpers (NODE_NAMES). An example with imports of
 * its own is complete as written.
 * The added imports go on line 1, so line k + 1 of the module is line k of the example.
 */
import { readFileSync } from "node:fs";
import ts from "typescript";
import type { Example } from "./examples.js";
import { applyEdits, resultChecks, type Edit, type Expectation } from "./results.js";

export interface ExampleModule {
  example: Example;
  /** The module to type-check: the example with its imports. */
  text: string;
  /** The module to run: the same lines, entry points mapped to src, results checked. */
  runText: string;
  /** Expectations of the result comments, by id (ids are global over all modules). */
  expectations: Map<number, Expectation>;
  /** The module line of each result comment's statement, by id. */
  checkLines: Map<number, number>;
  /** The example's file and line for a line of the module. */
  where(line: number | undefined): string;
}

/** Names an example may use without importing them, and where they come from. */
export interface Importable {
  /** public name -> entry point specifier */
  names: ReadonlyMap<string, string>;
  /** entry point specifier -> absolute path of its source file */
  entryFiles: ReadonlyMap<string, string>;
  /** absolute path of an example's source file */
  absolute(file: string): string;
}

/** Node's helpers an example may use without importing them: name -> module. */
const NODE_NAMES: ReadonlyMap<string, string> = new Map([
  ...["existsSync", "mkdtempSync", "readFileSync", "rmSync", "writeFileSync"].map((n) => [n, "node:fs"] as const),
  ["tmpdir", "node:os"],
  ["join", "node:path"],
]);

/** The modules of an example; its result checks get ids from `firstId` on. */
export function exampleModule(example: Example, importable: Importable, firstId: number): ExampleModule {
  const body = example.lines.map((l) => l.text).join("\n");
  const parsed = ts.createSourceFile("example.ts", body, ts.ScriptTarget.ES2022, true);
  const hasImports = parsed.statements.some(ts.isImportDeclaration);
  const header = hasImports ? "" : autoImports(parsed, example, importable);
  const text = `${header}\n${body}\nexport {};\n`;

  const sf = ts.createSourceFile("module.ts", text, ts.ScriptTarget.ES2022, true);
  const edits: Edit[] = [];
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue;
    const file = importable.entryFiles.get(s.moduleSpecifier.text);
    if (file !== undefined)
      edits.push({ start: s.moduleSpecifier.getStart(sf), end: s.moduleSpecifier.end, text: JSON.stringify(file) });
  }
  const checks = resultChecks(sf, firstId);
  const runText = applyEdits(text, [...edits, ...checks.edits]);
  const expectations = new Map(checks.expectations.map((e, i) => [firstId + i, e] as const));
  const checkLines = new Map(checks.lines.map((l, i) => [firstId + i, l] as const));
  const where = (line: number | undefined) => {
    const l = line === undefined ? undefined : example.lines[line - 2];
    return `${example.file}:${l?.line ?? example.line}`;
  };
  return { example, text, runText, expectations, checkLines, where };
}

function autoImports(parsed: ts.SourceFile, example: Example, importable: Importable): string {
  const declared = new Set<string>();
  for (const s of parsed.statements) {
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) bindingNames(d.name, declared);
    else if (
      (ts.isFunctionDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s) ||
        ts.isEnumDeclaration(s)) &&
      s.name
    ) {
      declared.add(s.name.text);
    }
  }
  const used = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) used.add(n.text);
    n.forEachChild(visit);
  };
  visit(parsed);

  const own = example.file.startsWith("src/") ? exportedNames(importable.absolute(example.file)) : new Set<string>();
  const bySpecifier = new Map<string, string[]>();
  const lines: string[] = [];
  for (const name of [...used].sort()) {
    if (declared.has(name)) continue;
    const spec =
      importable.names.get(name) ??
      (own.has(name) ? importable.absolute(example.file).replace(/\.ts$/, ".js") : undefined) ??
      NODE_NAMES.get(name);
    if (spec !== undefined) bySpecifier.set(spec, [...(bySpecifier.get(spec) ?? []), name]);
    else if (name === "fc") lines.push(`import fc from "fast-check";`);
  }
  for (const [spec, names] of bySpecifier) lines.push(`import { ${names.join(", ")} } from ${JSON.stringify(spec)};`);
  return lines.join(" ");
}

function bindingNames(name: ts.BindingName, out: Set<string>): void {
  if (ts.isIdentifier(name)) out.add(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) bindingNames(e.name, out);
}

/** The names a source file exports itself (declarations and export lists). */
function exportedNames(path: string): Set<string> {
  const sf = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2022, true);
  const out = new Set<string>();
  for (const s of sf.statements) {
    const exported = ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const e of s.exportClause.elements) out.add(e.name.text);
    } else if (exported && ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) bindingNames(d.name, out);
    } else if (exported && "name" in s && s.name && ts.isIdentifier(s.name as ts.Node)) {
      out.add((s.name as ts.Identifier).text);
    }
  }
  return out;
}
