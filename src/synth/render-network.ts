/**
 * The network picture of a synthesis: a network matrix drawn as a graph.
 *
 * Neurons are boxes (Graphviz HTML-like tables): input fields on top, the neuron name
 * in the middle, output fields below. The layers run top to bottom, so the picture
 * grows in height with the number of layers and in width only with the neurons of one
 * layer: a synthesized network reads at a docs page's width (~900 px). A soft link is
 * an edge from the source's output-field port to the target's input-field port, labelled with its
 * weight (3 significant digits), blue when positive, red when negative, thicker when
 * larger in magnitude. Hard links are dashed grey edges labelled "hard".
 *
 * Layout is done by Graphviz `dot` compiled to WebAssembly (`@hpcc-js/wasm-graphviz`),
 * which is loaded lazily: importing this module costs nothing.
 *
 * Safety of names: neuron and field names may be arbitrary strings. They never appear
 * in DOT syntax positions: node ids and port names are generated (`n0`, `i1`, `o0`),
 * and names only appear as text inside HTML-like labels, entity-escaped.
 */

import { importEsm } from "./import-esm.js";

/** A rank-4 matrix `W[target][targetField][source][sourceField] = weight`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NetworkMatrix = Record<string, any>;

export interface NetworkPictureOptions {
  /** Hard (fixed) links, same rank-4 layout as the soft ones; drawn dashed grey. */
  hard?: NetworkMatrix;
  /** A heading drawn above the graph. */
  title?: string;
  /**
   * Neuron name → type name. Without an entry the type is inferred from the name:
   * `{type}-{layer}-{k}` (e.g. `accum-1-2`), otherwise the name itself (`input`,
   * `eos`, `const_1`, `timer`, `output`, ...).
   */
  neuronTypes?: Record<string, string>;
}

interface Link {
  target: string;
  targetField: string;
  source: string;
  sourceField: string;
  weight: number;
  hard: boolean;
}

interface NeuronInfo {
  name: string;
  type: string;
  /** Row (top to bottom): 0 for timer/input/eos/const_1 (timer before them), L for `{type}-L-k`, output last; undefined when unknown. */
  layer: number | undefined;
  inputs: string[];
  outputs: string[];
}

const SOURCE_TYPES = new Set(["input", "eos", "const_1"]);
const TYPE_ORDER = ["timer", "input", "eos", "const_1", "accum", "norm", "dot", "compare", "output"];

const FILL: Record<string, string> = {
  timer: "#eeeeee",
  input: "#eeeeee",
  eos: "#eeeeee",
  const_1: "#eeeeee",
  accum: "#fff2cc",
  norm: "#d9ead3",
  dot: "#cfe2f3",
  compare: "#ead1dc",
  output: "#fce5cd",
};

const POSITIVE = "#2166ac";
const NEGATIVE = "#b2182b";
const HARD = "#8c8c8c";
/**
 * Graphviz sizes boxes from built-in font metrics: it knows Verdana (and DejaVu Sans,
 * Arial, Times, ...), and silently uses Times metrics for a font list it does not
 * recognise ("Helvetica,Arial,sans-serif"), which makes boxes too narrow for any sans
 * font. Verdana is the widest common sans, so boxes sized for it also fit DejaVu Sans,
 * Arial and Helvetica; {@link renderNetworkSvg} then widens the SVG font-family to a
 * fallback list so viewers without Verdana still get a sans font.
 */
const FONT = "Verdana";
const SVG_FONT_FAMILY = "Verdana,DejaVu Sans,Bitstream Vera Sans,Arial,Helvetica,sans-serif";

/** A weight with 3 significant digits (`0.680`, `-1.26`, `6.04e-5`, `1.23e+4`). */
export function formatWeight(w: number): string {
  if (!Number.isFinite(w)) return String(w);
  if (w === 0) return "0";
  const a = Math.abs(w);
  return a < 1e-3 || a >= 1e4 ? w.toExponential(2) : w.toPrecision(3);
}

/** Reads the numeric leaves of a rank-4 matrix (non-numeric leaves are skipped). */
function linksOf(matrix: NetworkMatrix | undefined, hard: boolean): Link[] {
  const links: Link[] = [];
  if (!isObject(matrix)) return links;
  for (const [target, fields] of Object.entries(matrix)) {
    if (!isObject(fields)) continue;
    for (const [targetField, sources] of Object.entries(fields)) {
      if (!isObject(sources)) continue;
      for (const [source, sourceFields] of Object.entries(sources)) {
        if (!isObject(sourceFields)) continue;
        for (const [sourceField, weight] of Object.entries(sourceFields)) {
          if (typeof weight !== "number") continue;
          links.push({ target, targetField, source, sourceField, weight, hard });
        }
      }
    }
  }
  return links;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const CONTROL_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text for an HTML-like label: XML entities for the markup characters, visible
 * escapes (`\n`, `\x01`) for control characters (which XML forbids), U+FFFD for
 * lone surrogates, and a doubled backslash (Graphviz would otherwise expand `\N`,
 * `\G`, ... to the node or graph id).
 */
export function escapeHtmlLabel(s: string): string {
  return (
    s
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
      .replace(CONTROL_CHARACTERS, (c) => CONTROL_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
      // Graphviz expands \N, \G, \E, ... even inside HTML-like labels; "\\" stands for "\".
      .replace(/\\/g, "\\\\")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;")
  );
}

function typeAndLayer(
  name: string,
  neuronTypes: Record<string, string> | undefined,
): { type: string; layer: number | undefined } {
  const m = /^(.+)-(\d+)-(\d+)$/.exec(name);
  const given = neuronTypes !== undefined && Object.hasOwn(neuronTypes, name) ? neuronTypes[name] : undefined;
  const type = given ?? (m ? m[1]! : name);
  if (m) return { type, layer: Number(m[2]) };
  if (type === "timer" || SOURCE_TYPES.has(type)) return { type, layer: 0 };
  if (type === "output") return { type, layer: Number.POSITIVE_INFINITY };
  return { type, layer: undefined };
}

/**
 * The neurons to draw: every endpoint of a soft link, plus (transitively) every neuron
 * that feeds a drawn neuron through a hard link (so `timer` appears because it drives
 * `input`). Hard links whose ends are not drawn — e.g. the self-loop of an accumulator
 * that no soft link touches — are left out: the picture shows the synthesized network,
 * not the unused remains of the template. With no soft links at all, every hard link
 * is drawn.
 */
function drawnNeurons(soft: Link[], hard: Link[]): Set<string> {
  const drawn = new Set<string>();
  if (soft.length === 0) {
    for (const l of hard) drawn.add(l.source).add(l.target);
    return drawn;
  }
  for (const l of soft) drawn.add(l.source).add(l.target);
  for (let changed = true; changed;) {
    changed = false;
    for (const l of hard) {
      if (drawn.has(l.target) && !drawn.has(l.source)) {
        drawn.add(l.source);
        changed = true;
      }
    }
  }
  return drawn;
}

function compareNeurons(a: NeuronInfo, b: NeuronInfo): number {
  const la = a.layer ?? Number.MAX_VALUE;
  const lb = b.layer ?? Number.MAX_VALUE;
  if (la !== lb) return la < lb ? -1 : 1;
  const ta = TYPE_ORDER.indexOf(a.type);
  const tb = TYPE_ORDER.indexOf(b.type);
  const oa = ta < 0 ? TYPE_ORDER.length : ta;
  const ob = tb < 0 ? TYPE_ORDER.length : tb;
  if (oa !== ob) return oa - ob;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function nodeLabel(n: NeuronInfo): string {
  const fill = Object.hasOwn(FILL, n.type) ? FILL[n.type]! : "#ffffff";
  const cols = Math.max(n.inputs.length, n.outputs.length, 1);
  const showType = n.type !== n.name && !n.name.startsWith(`${n.type}-`);
  const nameRow =
    `<TR><TD COLSPAN="${cols}" BGCOLOR="${fill}" CELLPADDING="5"><B>${escapeHtmlLabel(n.name)}</B>` +
    (showType ? ` <FONT POINT-SIZE="9"><I>${escapeHtmlLabel(n.type)}</I></FONT>` : "") +
    `</TD></TR>`;
  // A row of field cells; the last cell of a shorter row stretches over the remaining columns.
  const fieldRow = (prefix: string, fields: string[]): string =>
    fields.length === 0
      ? ""
      : `<TR>${fields
          .map((field, k) => {
            const span = k === fields.length - 1 ? cols - k : 1;
            return `<TD PORT="${prefix}${k}"${span > 1 ? ` COLSPAN="${span}"` : ""} BGCOLOR="#ffffff"><FONT POINT-SIZE="10" COLOR="#444444">${escapeHtmlLabel(field)}</FONT></TD>`;
          })
          .join("")}</TR>`;
  return `<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">${fieldRow("i", n.inputs)}${nameRow}${fieldRow("o", n.outputs)}</TABLE>>`;
}

/**
 * The DOT source of the network picture (pure and synchronous; see
 * {@link renderNetworkSvg} for the SVG). Soft links are solid, coloured by sign
 * (blue +, red −) with width growing with |weight| and a 3-significant-digit label;
 * hard links are dashed grey, labelled "hard" (or "hard ×w" when w ≠ 1).
 */
export function networkToDot(soft: NetworkMatrix, options: NetworkPictureOptions = {}): string {
  const softLinks = linksOf(soft, false);
  const hardAll = linksOf(options.hard, true);
  const drawn = drawnNeurons(softLinks, hardAll);
  const hardLinks = hardAll.filter((l) => drawn.has(l.source) && drawn.has(l.target));
  const links = [...softLinks, ...hardLinks];

  const fieldsIn = new Map<string, Set<string>>();
  const fieldsOut = new Map<string, Set<string>>();
  for (const name of drawn) {
    fieldsIn.set(name, new Set());
    fieldsOut.set(name, new Set());
  }
  for (const l of links) {
    fieldsIn.get(l.target)!.add(l.targetField);
    fieldsOut.get(l.source)!.add(l.sourceField);
  }
  const neurons: NeuronInfo[] = [...drawn].map((name) => ({
    name,
    ...typeAndLayer(name, options.neuronTypes),
    inputs: [...fieldsIn.get(name)!].sort(byString),
    outputs: [...fieldsOut.get(name)!].sort(byString),
  }));
  neurons.sort(compareNeurons);
  const id = new Map<string, string>(neurons.map((n, i) => [n.name, `n${i}`]));

  const lines: string[] = [];
  lines.push("digraph dmm {");
  lines.push(
    `  graph [rankdir=TB, nodesep=0.2, ranksep=0.45, fontname="${FONT}", bgcolor="white", pad=0.3, labelloc=t, labeljust=l];`,
  );
  lines.push(`  node [shape=plain, fontname="${FONT}", fontsize=12];`);
  lines.push(`  edge [fontname="${FONT}", fontsize=10, arrowsize=0.7];`);

  // Graph label: the title, then a one-line legend, both left-aligned.
  const plural = (k: number, what: string): string => `${k} ${what}${k === 1 ? "" : "s"}`;
  const heading = options.title !== undefined ? `<B>${escapeHtmlLabel(options.title)}</B><BR ALIGN="LEFT"/>` : "";
  const hardNote = hardLinks.length > 0 ? `, ${plural(hardLinks.length, "hard link")}` : "";
  lines.push(
    `  label=<${heading}<FONT POINT-SIZE="10">${plural(softLinks.length, "soft link")}${hardNote}. ` +
      `<FONT COLOR="${POSITIVE}">blue: positive</FONT>, <FONT COLOR="${NEGATIVE}">red: negative</FONT>, ` +
      `width grows with |weight|; <FONT COLOR="${HARD}">dashed grey: hard link (fixed)</FONT></FONT><BR ALIGN="LEFT"/>>;`,
  );

  for (const n of neurons) lines.push(`  ${id.get(n.name)} [label=${nodeLabel(n)}];`);

  // Rows, top to bottom: timer, then layer 0 (input, eos, const_1), then layers 1, 2, ...,
  // output. Each present row is a rank=same group; invisible weight-0 edges chain the
  // groups so the row order holds even where no link goes from one row to the next.
  const rowsOf = new Map<number, NeuronInfo[]>();
  for (const n of neurons) {
    if (n.layer === undefined) continue;
    const row = n.type === "timer" ? -1 : n.layer;
    const list = rowsOf.get(row) ?? [];
    list.push(n);
    rowsOf.set(row, list);
  }
  const order = [...rowsOf.keys()].sort((a, b) => a - b);
  for (const row of order) {
    const members = rowsOf.get(row)!.map((n) => id.get(n.name)!);
    const rank = row === Number.POSITIVE_INFINITY ? "max" : "same";
    lines.push(`  { rank=${rank}; ${members.join("; ")}; }`);
  }
  for (let i = 0; i + 1 < order.length; i++) {
    const a = id.get(rowsOf.get(order[i]!)![0]!.name)!;
    const b = id.get(rowsOf.get(order[i + 1]!)![0]!.name)!;
    lines.push(`  ${a} -> ${b} [style=invis, weight=0];`);
  }

  const maxAbs = softLinks.reduce((m, l) => (Number.isFinite(l.weight) ? Math.max(m, Math.abs(l.weight)) : m), 0);
  const port = (name: string, fields: string[], field: string, prefix: string): string =>
    `${id.get(name)}:${prefix}${fields.indexOf(field)}`;
  const info = new Map(neurons.map((n) => [n.name, n]));
  for (const l of links) {
    const src = info.get(l.source)!;
    const tgt = info.get(l.target)!;
    const tail = `${port(l.source, src.outputs, l.sourceField, "o")}:s`;
    const head = `${port(l.target, tgt.inputs, l.targetField, "i")}:n`;
    let attrs: string;
    if (l.hard) {
      const label = l.weight === 1 ? "hard" : `hard ×${formatWeight(l.weight)}`;
      attrs = `style=dashed, color="${HARD}", fontcolor="${HARD}", penwidth=1.2, label="${label}"`;
    } else {
      const w = l.weight;
      const colour = Number.isNaN(w) ? "#000000" : w >= 0 ? POSITIVE : NEGATIVE;
      const rel = maxAbs > 0 && Number.isFinite(w) ? Math.abs(w) / maxAbs : 1;
      const penwidth = (0.8 + 3.2 * rel).toFixed(2);
      attrs = `color="${colour}", fontcolor="${colour}", penwidth=${penwidth}, label="${formatWeight(w)}"`;
    }
    lines.push(`  ${tail} -> ${head} [${attrs}];`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

type GraphvizInstance = Awaited<ReturnType<(typeof import("@hpcc-js/wasm-graphviz"))["Graphviz"]["load"]>>;
let graphviz: Promise<GraphvizInstance> | undefined;

/** Loads the Graphviz WebAssembly module once, on first use. */
function loadGraphviz(): Promise<GraphvizInstance> {
  if (graphviz === undefined) {
    const loading = importEsm<typeof import("@hpcc-js/wasm-graphviz")>("@hpcc-js/wasm-graphviz").then((m) =>
      m.Graphviz.load(),
    );
    loading.catch(() => {
      if (graphviz === loading) graphviz = undefined; // let a later call retry
    });
    graphviz = loading;
  }
  return graphviz;
}

/**
 * The network drawn as an SVG document (a string starting with an XML prolog, then
 * `<svg`). Only neurons that take part in a link are drawn; see {@link networkToDot}.
 */
export async function renderNetworkSvg(soft: NetworkMatrix, options: NetworkPictureOptions = {}): Promise<string> {
  const dot = networkToDot(soft, options);
  const gv = await loadGraphviz();
  return (
    gv
      .dot(dot, "svg")
      .replaceAll(`font-family="${FONT}"`, `font-family="${SVG_FONT_FAMILY}"`)
      // Graphviz writes "-" as "&#45;" so that no "--" can end up inside an XML comment.
      // Our comments only hold generated ids (n0, n1:o0:e->...), never names, so the
      // plain character is safe, and names and weights stay greppable in the SVG.
      .replaceAll("&#45;", "-")
  );
}
