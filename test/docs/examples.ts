/**
 * Finds the code examples of the project: ```ts / ```typescript blocks in README.md and
 * docs/*.md, and `@example` blocks of TSDoc comments in src/**\/*.ts.
 *
 * Opting out, always with a reason after the marker:
 * - markdown: `<!-- doctest: skip REASON -->` (or `no-run`) on the line before the fence;
 * - TSDoc: `// doctest: skip REASON` (or `no-run`) as the first line of the example.
 * `skip` leaves the example out entirely; `no-run` type-checks it without running it.
 *
 * A markdown example followed by a line starting "Output" and ending in ":" and then a
 * fence with no language is expected to print that block's text (see run.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** One line of an example and where it is in its file (1-based). */
export interface ExampleLine {
  text: string;
  line: number;
}

export interface Example {
  /** Path relative to the project root, e.g. "docs/guide.md". */
  file: string;
  /** Line of the example's first code line. */
  line: number;
  lines: ExampleLine[];
  mode: "run" | "no-run" | "skip";
  /** Why the example is not run (markers must give one). */
  reason?: string;
  /** The text the example prints, from a following "Output:" block. */
  output?: string;
}

const MARKER = /^(?:<!--\s*)?(?:\/\/\s*)?doctest:\s*(skip|no-run)\b\s*(.*?)\s*(?:-->)?\s*$/;

function marker(text: string, where: string): { mode: "no-run" | "skip"; reason: string } | undefined {
  const m = MARKER.exec(text.trim());
  if (!m) return undefined;
  const reason = m[2]!.replace(/^[—:-]\s*/, "");
  if (reason === "") throw new Error(`${where}: a doctest marker must say why ("doctest: ${m[1]} REASON")`);
  return { mode: m[1] as "no-run" | "skip", reason };
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;

/** The ts/typescript fenced blocks of a markdown text. */
export function markdownExamples(file: string, text: string): Example[] {
  const src = text.split("\n");
  const out: Example[] = [];
  let i = 0;
  while (i < src.length) {
    const open = FENCE.exec(src[i]!);
    if (!open) {
      i++;
      continue;
    }
    const fence = open[1]!;
    const lang = open[2]!.toLowerCase();
    const start = i;
    const body: ExampleLine[] = [];
    i++;
    while (i < src.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(src[i]!)) {
      body.push({ text: src[i]!, line: i + 1 });
      i++;
    }
    i++; // the closing fence
    if (lang !== "ts" && lang !== "typescript") continue;
    let prev = start - 1;
    while (prev >= 0 && src[prev]!.trim() === "") prev--;
    const mark = prev >= 0 ? marker(src[prev]!, `${file}:${prev + 1}`) : undefined;
    const ex: Example = { file, line: start + 2, lines: body, mode: mark?.mode ?? "run" };
    if (mark) ex.reason = mark.reason;
    const output = followingOutput(src, i);
    if (output !== undefined) ex.output = output;
    out.push(ex);
  }
  return out;
}

/** The text of an "Output…:" paragraph's fence that follows line `i`, if there is one. */
function followingOutput(src: string[], i: number): string | undefined {
  while (i < src.length && src[i]!.trim() === "") i++;
  if (i >= src.length || !/^Output\b.*:\s*$/.test(src[i]!)) return undefined;
  i++;
  while (i < src.length && src[i]!.trim() === "") i++;
  const open = FENCE.exec(src[i] ?? "");
  if (!open || (open[2] !== "" && open[2] !== "text")) return undefined;
  const body: string[] = [];
  for (i++; i < src.length && !/^\s*(`{3,}|~{3,})\s*$/.test(src[i]!); i++) body.push(src[i]!);
  return body.join("\n");
}

/** The `@example` blocks of the TSDoc comments of a TypeScript source text. */
export function tsdocExamples(file: string, text: string): Example[] {
  const out: Example[] = [];
  const comment = /\/\*\*[\s\S]*?\*\//g;
  for (let m = comment.exec(text); m !== null; m = comment.exec(text)) {
    const first = text.slice(0, m.index).split("\n").length;
    // the comment's lines without the "/**", " * " and "*/" decoration
    const lines: ExampleLine[] = m[0].split("\n").map((raw, k) => ({
      text: raw
        .replace(/^\s*\/\*\*\s?/, "")
        .replace(/\s*\*\/\s*$/, "")
        .replace(/^\s*\*(?: |$)/, ""),
      line: first + k,
    }));
    for (let k = 0; k < lines.length; k++) {
      const at = lines[k]!.text.indexOf("@example");
      if (at < 0) continue;
      const body: ExampleLine[] = [];
      const rest = lines[k]!.text.slice(at + "@example".length).trim();
      if (rest !== "") body.push({ text: rest, line: lines[k]!.line });
      let j = k + 1;
      for (; j < lines.length && !/^\s*@\w/.test(lines[j]!.text); j++) body.push(lines[j]!);
      k = j - 1;
      out.push(fromTsdoc(file, unfence(trimBlank(body))));
    }
  }
  return out;
}

function fromTsdoc(file: string, body: ExampleLine[]): Example {
  const first = body[0];
  if (first === undefined) throw new Error(`${file}: an empty @example`);
  const mark = marker(first.text, `${file}:${first.line}`);
  const lines = mark ? body.slice(1) : body;
  const ex: Example = { file, line: first.line, lines, mode: mark?.mode ?? "run" };
  if (mark) ex.reason = mark.reason;
  return ex;
}

function trimBlank(lines: ExampleLine[]): ExampleLine[] {
  let a = 0,
    b = lines.length;
  while (a < b && lines[a]!.text.trim() === "") a++;
  while (b > a && lines[b - 1]!.text.trim() === "") b--;
  return lines.slice(a, b);
}

/** An example written as a fenced block inside the comment: its content. */
function unfence(lines: ExampleLine[]): ExampleLine[] {
  if (lines.length >= 2 && FENCE.test(lines[0]!.text) && /^\s*(`{3,}|~{3,})\s*$/.test(lines.at(-1)!.text)) {
    return lines.slice(1, -1);
  }
  return lines;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

/** Every example of the project at `root`, in a stable order. */
export function projectExamples(root: string): Example[] {
  const md = [
    "README.md",
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  const src = tsFiles(join(root, "src"))
    .map((f) => relative(root, f))
    .sort();
  return [
    ...md.flatMap((f) => markdownExamples(f, readFileSync(join(root, f), "utf8"))),
    ...src.flatMap((f) => tsdocExamples(f, readFileSync(join(root, f), "utf8"))),
  ];
}
