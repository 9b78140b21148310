/**
 * Result comments: a top-level statement of an example followed by a comment that
 * states its result is checked when the example runs.
 *
 *   expr; // LITERAL           the value must equal LITERAL (a JS literal: numbers,
 *                              strings, true/false/null, arrays, objects of these,
 *                              Infinity, NaN); objects must have exactly the same keys
 *                              (in any order), numbers agree to 1e-9 relative
 *   expr; // LITERAL (remark)  the same; a remark after the literal starts with "(",
 *                              ", " or " —" (e.g. `// [3], not [6]`)
 *   expr; // ≈ LITERAL         the same, each number of the value rounding to the
 *                              number as written (≈ 0.00161: within 0.000005)
 *   expr; // TypeError: text   the statement throws an error of that name (TypeError,
 *                              RangeError, MatrixError, ...) whose message starts
 *                              with the text (up to a trailing "..." or "…")
 *   console.log(x); // LITERAL checks x
 * The comment may also stand alone on the line right below the statement. A comment
 * containing "…" (an elided value) or that is prose is not checked.
 */
import { inspect } from "node:util";
import ts from "typescript";

export type Expectation =
  { kind: "value"; text: string; value: unknown } | { kind: "throws"; text: string; name: string; message: string };

/** A number written with limited precision: it stands for any x within `tolerance`. */
export class Approx {
  constructor(
    readonly value: number,
    readonly tolerance: number,
  ) {}
}

/** Half a unit in the last digit of a number's decimal text ("0.00161" -> 0.000005). */
function halfUnit(text: string): number {
  const [mantissa, exponent = "0"] = text.toLowerCase().split("e");
  const decimals = (mantissa!.split(".")[1] ?? "").length;
  return 0.5 * 10 ** (Number(exponent) - decimals);
}

/**
 * A literal's value, or undefined when `text` is not exactly one literal. With
 * `approx`, its numbers are {@link Approx} to the precision they are written with.
 */
export function parseLiteral(text: string, approx = false): { value: unknown } | undefined {
  if (text.trim() === "") return undefined;
  const sf = ts.createSourceFile("literal.ts", `(${text}\n)`, ts.ScriptTarget.ES2022, true);
  const parseErrors = (sf as unknown as { parseDiagnostics: readonly ts.Diagnostic[] }).parseDiagnostics;
  const stmt = sf.statements[0];
  if (parseErrors.length > 0 || sf.statements.length !== 1 || !stmt || !ts.isExpressionStatement(stmt))
    return undefined;
  const NOT = Symbol("not a literal");
  const value = (n: ts.Expression): unknown => {
    if (ts.isParenthesizedExpression(n)) return value(n.expression);
    if (ts.isNumericLiteral(n)) return approx ? new Approx(Number(n.text), halfUnit(n.getText())) : Number(n.text);
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
    if (n.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (n.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (n.kind === ts.SyntaxKind.NullKeyword) return null;
    if (ts.isIdentifier(n)) {
      if (n.text === "Infinity") return Infinity;
      if (n.text === "NaN") return NaN;
      if (n.text === "undefined") return undefined;
      return NOT;
    }
    if (
      ts.isPrefixUnaryExpression(n) &&
      (n.operator === ts.SyntaxKind.MinusToken || n.operator === ts.SyntaxKind.PlusToken)
    ) {
      const v = value(n.operand);
      const sign = n.operator === ts.SyntaxKind.MinusToken ? -1 : 1;
      if (v instanceof Approx) return new Approx(sign * v.value, v.tolerance);
      return typeof v === "number" ? sign * v : NOT;
    }
    if (ts.isArrayLiteralExpression(n)) {
      const out: unknown[] = [];
      for (const e of n.elements) {
        if (ts.isSpreadElement(e) || ts.isOmittedExpression(e)) return NOT;
        const v = value(e);
        if (v === NOT) return NOT;
        out.push(v);
      }
      return out;
    }
    if (ts.isObjectLiteralExpression(n)) {
      const out: Record<string, unknown> = Object.create(null);
      for (const p of n.properties) {
        if (!ts.isPropertyAssignment(p)) return NOT;
        const k = p.name;
        if (!(ts.isIdentifier(k) || ts.isStringLiteral(k) || ts.isNumericLiteral(k))) return NOT;
        const v = value(p.initializer);
        if (v === NOT) return NOT;
        out[k.text] = v;
      }
      return out;
    }
    return NOT;
  };
  const v = value(stmt.expression);
  return v === NOT ? undefined : { value: v };
}

/** What a result comment's text promises, or undefined for prose. */
export function parseExpectation(comment: string): Expectation | undefined {
  const text = comment.trim();
  const err = /^([A-Z]\w*Error)(?::\s*(.*))?$/.exec(text);
  if (err) return { kind: "throws", text, name: err[1]!, message: (err[2] ?? "").split(/\.\.\.|…/)[0]!.trim() };
  if (text.includes("…")) return undefined;
  const approx = text.startsWith("≈");
  const body = approx ? text.slice(1) : text;
  const whole = parseLiteral(body, approx);
  if (whole) return { kind: "value", text, value: whole.value };
  // a literal followed by a remark: the longest such prefix
  const cuts = [...body.matchAll(/\s*\(|,\s+(?=[a-zA-Z])|\s+—/g)].map((m) => m.index).reverse();
  for (const cut of cuts) {
    const lit = parseLiteral(body.slice(0, cut), approx);
    if (lit) return { kind: "value", text: (approx ? "≈" : "") + body.slice(0, cut), value: lit.value };
  }
  return undefined;
}

const REL = 1e-9;

/** Where `actual` differs from `expected` and how (undefined when it does not). */
export function difference(actual: unknown, expected: unknown, path = ""): string | undefined {
  const at = path === "" ? "" : ` at ${path}`;
  if (expected instanceof Approx) {
    if (typeof actual !== "number") return `not a number${at}`;
    return Math.abs(actual - expected.value) <= expected.tolerance * (1 + 1e-12)
      ? undefined
      : `${actual} does not round to ${expected.value}${at}`;
  }
  if (typeof expected === "number") {
    if (typeof actual !== "number") return `not a number${at}`;
    if (Object.is(actual, expected) || actual === expected) return undefined;
    const close = Math.abs(actual - expected) <= REL * Math.max(Math.abs(actual), Math.abs(expected));
    return Number.isFinite(actual) && Number.isFinite(expected) && close
      ? undefined
      : `${actual} is not ${expected}${at}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `not an array${at}`;
    if (actual.length !== expected.length) return `${actual.length} elements, not ${expected.length}${at}`;
    for (let i = 0; i < expected.length; i++) {
      const d = difference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return `not an object${at}`;
    const want = Object.keys(expected).sort();
    const got = Object.keys(actual).sort();
    if (want.join("\u0000") !== got.join("\u0000")) return `keys ${show(got)}, not ${show(want)}${at}`;
    for (const k of want) {
      const d = difference(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${show(actual)} is not ${show(expected)}${at}`;
}

export function show(v: unknown): string {
  return inspect(v, { depth: 8, breakLength: Infinity });
}

/** Why `actual` breaks the promise (undefined when it keeps it). */
export function checkValue(actual: unknown, e: Expectation): string | undefined {
  if (e.kind === "throws") return `expected ${e.name}, got the value ${show(actual)}`;
  const d = difference(actual, e.value);
  return d === undefined ? undefined : `expected ${e.text}, got ${show(actual)} (${d})`;
}

/** Why a thrown `error` breaks the promise (undefined when it keeps it). */
export function checkThrow(error: unknown, e: Expectation): string | undefined {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  if (e.kind !== "throws") return `threw ${name}: ${message}`;
  if (name !== e.name || !message.startsWith(e.message)) return `expected ${e.text}, got ${name}: ${message}`;
  return undefined;
}

/** A replacement of the text between `start` and `end`; none spans a new line. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * The edits that turn each checked statement of `sf` into a call of the runtime
 * (`__doctest.value(expr, id)`, `await __doctest.throws(async () => { expr; }, id)`),
 * and the expectations by id (ids start at `firstId`). Lines do not move.
 */
export function resultChecks(
  sf: ts.SourceFile,
  firstId: number,
): { edits: Edit[]; expectations: Expectation[]; lines: number[] } {
  const text = sf.text;
  const edits: Edit[] = [];
  const expectations: Expectation[] = [];
  const lines: number[] = [];
  const lineStarts = sf.getLineStarts();
  for (const stmt of sf.statements) {
    if (!ts.isExpressionStatement(stmt)) continue;
    const comment = resultComment(text, stmt.end, lineStarts, sf);
    if (comment === undefined) continue;
    const e = parseExpectation(comment);
    if (e === undefined) continue;
    const id = firstId + expectations.length;
    expectations.push(e);
    lines.push(sf.getLineAndCharacterOfPosition(stmt.getStart(sf)).line + 1);
    const expr = stmt.expression;
    const start = expr.getStart(sf);
    const semi = text[stmt.end - 1] === ";";
    if (e.kind === "throws") {
      edits.push({ start, end: start, text: "await __doctest.throws(async () => { " });
      edits.push({ start: stmt.end, end: stmt.end, text: `${semi ? "" : ";"} }, ${id});` });
      continue;
    }
    // console.log(x): check x
    const target =
      ts.isCallExpression(expr) && expr.arguments.length === 1 && expr.expression.getText(sf) === "console.log"
        ? expr.arguments[0]!
        : expr;
    edits.push({ start: target.getStart(sf), end: target.getStart(sf), text: "__doctest.value((" });
    edits.push({ start: target.end, end: target.end, text: `), ${id})` });
  }
  return { edits, expectations, lines };
}

/** The comment after a statement ending at `end`: on its line, or alone on the next. */
function resultComment(
  text: string,
  end: number,
  lineStarts: readonly number[],
  sf: ts.SourceFile,
): string | undefined {
  const trailing = ts.getTrailingCommentRanges(text, end)?.[0];
  if (trailing)
    return trailing.kind === ts.SyntaxKind.SingleLineCommentTrivia
      ? text.slice(trailing.pos + 2, trailing.end)
      : undefined;
  const line = sf.getLineAndCharacterOfPosition(end).line;
  if (text.slice(end, lineStarts[line + 1] ?? text.length).trim() !== "") return undefined;
  const next = lineText(text, lineStarts, line + 1);
  const after = lineText(text, lineStarts, line + 2);
  // one comment line, not the start of a comment paragraph
  if (next === undefined || !next.trim().startsWith("//") || after?.trim().startsWith("//")) return undefined;
  return next.trim().slice(2);
}

function lineText(text: string, lineStarts: readonly number[], line: number): string | undefined {
  const s = lineStarts[line];
  return s === undefined ? undefined : text.slice(s, lineStarts[line + 1] ?? text.length).replace(/\r?\n$/, "");
}

export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
