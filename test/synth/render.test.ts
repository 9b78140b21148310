/**
 * The two pictures of a synthesis: the network graph (Graphviz/WASM) and the training
 * chart (Vega-Lite → Vega → SVG), on the real 19-weight 2022 network and on hostile
 * names, empty and degenerate histories.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  escapeHtmlLabel,
  formatWeight,
  networkToDot,
  renderNetworkSvg,
  type NetworkMatrix,
} from "../../src/synth/render-network.js";
import { renderTrainingSvg, trainingSpec, type TrainingRecord } from "../../src/synth/render-training.js";

const fixture = (name: string): string => readFileSync(new URL(`../../data/dmm-2022/${name}`, import.meta.url), "utf8");
const sparse20: NetworkMatrix = JSON.parse(fixture("sparse20-after-100-steps-matrix.json"));

/** The standard hard links of the 2022 layout (SPEC-DMM §4). */
function standardHard(): NetworkMatrix {
  const hard: NetworkMatrix = {
    timer: { timer: { timer: { timer: 1 } } },
    input: { timer: { timer: { timer: 1 } } },
  };
  for (let L = 1; L <= 5; L++)
    for (let k = 1; k <= 2; k++) hard[`accum-${L}-${k}`] = { "dict-1": { [`accum-${L}-${k}`]: { dict: 1 } } };
  return hard;
}

interface FlatLink {
  target: string;
  targetField: string;
  source: string;
  sourceField: string;
  weight: number;
}

function flatten(m: NetworkMatrix): FlatLink[] {
  const out: FlatLink[] = [];
  for (const [target, fs] of Object.entries(m))
    for (const [targetField, ss] of Object.entries(fs as NetworkMatrix))
      for (const [source, sfs] of Object.entries(ss as NetworkMatrix))
        for (const [sourceField, weight] of Object.entries(sfs as NetworkMatrix))
          out.push({ target, targetField, source, sourceField, weight: weight as number });
  return out;
}

const decode = (s: string): string =>
  s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** The decoded text content of every `<text>` element of an SVG. */
const svgTexts = (svg: string): string[] =>
  [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));

/** The width and height of an SVG's root element, in pt (Graphviz's unit; 1 pt = 4/3 px). */
function svgSizePt(svg: string): { width: number; height: number } {
  const m = /<svg\b[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"/.exec(svg);
  expect(m, 'an <svg width="...pt" height="...pt">').not.toBeNull();
  return { width: Number(m![1]), height: Number(m![2]) };
}

/** The tick labels of each axis of a Vega SVG, in the order Vega draws the axes. */
const axisLabels = (svg: string): string[][] =>
  [...svg.matchAll(/role-axis-label"[^>]*>((?:<text\b[^>]*>[^<]*<\/text>)*)<\/g>/g)].map((m) => svgTexts(m[1]!));

/**
 * A small well-formedness check (no XML parser among the dependencies): after the
 * prolog, doctype and comments, start and end tags must nest properly under one <svg>
 * root, attribute values must be quoted, and text must hold no raw '<' or stray '&'.
 */
function expectWellFormedSvg(svg: string): void {
  const body = svg
    .replace(/^<\?xml[^>]*\?>\s*/, "")
    .replace(/<!DOCTYPE[^>]*>\s*/, "")
    .replace(/<!--[\s\S]*?-->/g, "");
  expect(body.trimStart().startsWith("<svg")).toBe(true);
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  expect(body.slice(last).trim()).toBe("");
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

/** Node id → { name, ports: port → field } read back from the DOT source. */
function readDotNodes(dot: string): Map<string, { name: string; ports: Map<string, string> }> {
  const nodes = new Map<string, { name: string; ports: Map<string, string> }>();
  for (const m of dot.matchAll(/^ {2}(n\d+) \[label=<(.*)>\];$/gm)) {
    const label = m[2]!;
    const name = /<B>(.*?)<\/B>/.exec(label)![1]!;
    const ports = new Map<string, string>();
    for (const p of label.matchAll(/PORT="([io]\d+)"[^>]*><FONT[^>]*>(.*?)<\/FONT>/g)) ports.set(p[1]!, p[2]!);
    nodes.set(m[1]!, { name, ports });
  }
  return nodes;
}

/** The edges of the DOT source, resolved to names and fields (names here need no unescaping). */
function readDotEdges(dot: string): Array<FlatLink & { label: string; attrs: string }> {
  const nodes = readDotNodes(dot);
  const edges: Array<FlatLink & { label: string; attrs: string }> = [];
  for (const m of dot.matchAll(/^ {2}(n\d+):(o\d+):s -> (n\d+):(i\d+):n \[(.*)\];$/gm)) {
    const [, src, out, tgt, inp, attrs] = m;
    const label = /label="([^"]*)"/.exec(attrs!)![1]!;
    edges.push({
      source: nodes.get(src!)!.name,
      sourceField: nodes.get(src!)!.ports.get(out!)!,
      target: nodes.get(tgt!)!.name,
      targetField: nodes.get(tgt!)!.ports.get(inp!)!,
      weight: Number.NaN,
      label,
      attrs: attrs!,
    });
  }
  return edges;
}

const key = (l: Pick<FlatLink, "target" | "targetField" | "source" | "sourceField">): string =>
  JSON.stringify([l.target, l.targetField, l.source, l.sourceField]);

describe("networkToDot", () => {
  it("formats weights with 3 significant digits", () => {
    expect(formatWeight(0.6799909)).toBe("0.680");
    expect(formatWeight(-1.2568029)).toBe("-1.26");
    expect(formatWeight(1.0863824)).toBe("1.09");
    expect(formatWeight(0)).toBe("0");
    expect(formatWeight(12345)).toBe("1.23e+4");
    expect(formatWeight(0.0000604)).toBe("6.04e-5");
    expect(formatWeight(-0.00123)).toBe("-0.00123");
    expect(formatWeight(Number.NaN)).toBe("NaN");
  });

  it("draws every soft link of the 19-weight network from output port to input port, labelled with its weight", () => {
    const dot = networkToDot(sparse20, { hard: standardHard(), title: "sparse20" });
    const soft = flatten(sparse20);
    expect(soft).toHaveLength(19);
    const edges = readDotEdges(dot);
    const softEdges = edges.filter((e) => !e.attrs.includes("dashed"));
    expect(softEdges).toHaveLength(19);
    const byKey = new Map(softEdges.map((e) => [key(e), e]));
    for (const l of soft) {
      const e = byKey.get(key(l));
      expect(e, key(l)).toBeDefined();
      expect(e!.label).toBe(formatWeight(l.weight));
      expect(e!.attrs).toContain(l.weight >= 0 ? 'color="#2166ac"' : 'color="#b2182b"');
    }
    // Thickness grows with |w|: the largest weight (eos.char → dot-2-2, -1.29) is the thickest.
    const width = (e: { attrs: string }): number => Number(/penwidth=([\d.]+)/.exec(e.attrs)![1]);
    const widest = softEdges.reduce((a, b) => (width(b) > width(a) ? b : a));
    expect(widest.source).toBe("eos");
    expect(width(widest)).toBeGreaterThan(
      width(byKey.get(key({ target: "compare-3-1", targetField: "dict-1", source: "norm-2-1", sourceField: "norm" }))!),
    );
  });

  it("draws hard links dashed grey, and only those that reach the drawn network", () => {
    const dot = networkToDot(sparse20, { hard: standardHard() });
    const hardEdges = readDotEdges(dot).filter((e) => e.attrs.includes("style=dashed"));
    expect(hardEdges.map(key).sort()).toEqual(
      [
        { target: "accum-1-2", targetField: "dict-1", source: "accum-1-2", sourceField: "dict" },
        { target: "input", targetField: "timer", source: "timer", sourceField: "timer" },
        { target: "timer", targetField: "timer", source: "timer", sourceField: "timer" },
      ]
        .map(key)
        .sort(),
    );
    for (const e of hardEdges) {
      expect(e.attrs).toContain('color="#8c8c8c"');
      expect(e.label).toBe("hard");
    }
    const names = [...readDotNodes(dot).values()].map((n) => n.name).sort();
    expect(names).toEqual(
      [
        "accum-1-2",
        "compare-1-2",
        "compare-3-1",
        "compare-4-2",
        "compare-5-1",
        "const_1",
        "dot-2-2",
        "eos",
        "input",
        "norm-2-1",
        "output",
        "timer",
      ].sort(),
    );
    // Accumulators that no soft link touches are not drawn for their lone self-loop.
    expect(dot).not.toContain("accum-3-1");
    // Without hard links there is no timer.
    expect(networkToDot(sparse20)).not.toContain("<B>timer</B>");
    // Only hard links: all of them are drawn.
    expect(readDotEdges(networkToDot({}, { hard: standardHard() }))).toHaveLength(12);
  });

  it("orders rows timer → layer 0 → layers 1..5 → output, top to bottom", () => {
    const dot = networkToDot(sparse20, { hard: standardHard() });
    expect(dot).toContain("rankdir=TB");
    const nodes = readDotNodes(dot);
    const nameOf = (id: string): string => nodes.get(id)!.name;
    const groups = [...dot.matchAll(/\{ rank=(same|max); ([^}]*) \}/g)].map((m) => ({
      rank: m[1],
      names: m[2]!
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(nameOf)
        .sort(),
    }));
    expect(groups.map((g) => g.names)).toEqual([
      ["timer"],
      ["const_1", "eos", "input"],
      ["accum-1-2", "compare-1-2"],
      ["dot-2-2", "norm-2-1"],
      ["compare-3-1"],
      ["compare-4-2"],
      ["compare-5-1"],
      ["output"],
    ]);
    expect(groups.at(-1)!.rank).toBe("max");
    // Consecutive columns are chained by invisible edges.
    expect([...dot.matchAll(/style=invis/g)]).toHaveLength(groups.length - 1);
  });

  it("escapes hostile names: they only ever appear entity-escaped inside HTML-like labels", () => {
    const hostile = [
      'q"uote',
      "<tag>",
      "{rec|ord}",
      "back\\",
      "\\N\\G\\E",
      "amp&amp;",
      "new\nline",
      "",
      " ",
      "]]>",
      "--",
      "port:e",
      "é😀",
      "__proto__",
      "constructor",
      "tab\there",
      "\u0001",
    ];
    // Object.fromEntries makes "__proto__" an own key (as JSON.parse does when a matrix
    // is read from a file) instead of touching Object.prototype.
    const softMatrix: NetworkMatrix = Object.fromEntries(
      hostile.map((name, i) => [
        hostile[(i + 1) % hostile.length]!,
        Object.fromEntries([
          [`in<${name}`, Object.fromEntries([[name, Object.fromEntries([[`${name}>out`, i + 1]])]])],
        ]),
      ]),
    );
    expect(Object.hasOwn(softMatrix, "__proto__")).toBe(true);
    const dot = networkToDot(softMatrix, { title: 'A "title" <b>&\\N', neuronTypes: { "<tag>": 'ty"pe' } });

    // Structure lines hold no user text: every user string sits inside a label=<...>.
    for (const line of dot.split("\n")) {
      const outside = line.replace(/label=<.*>(?=[\];])/, "");
      expect(outside).toMatch(/^[\w\s{}[\]=;:,."#()×<>/-]*$/);
    }
    // Inside the labels: no raw quote, angle bracket or bare ampersand from a name.
    for (const name of hostile) {
      const esc = escapeHtmlLabel(name);
      // eslint-disable-next-line no-control-regex -- a raw control character must not survive
      expect(esc).not.toMatch(/["'<>\n\t\u0001]/);
      expect(esc).not.toMatch(/&(?!(?:amp|lt|gt|quot|#\d+);)/);
      expect(esc).not.toMatch(/(?<!\\)\\(?!\\)/); // every backslash doubled
      expect(dot).toContain(`<B>${esc}</B>`);
    }
    expect(escapeHtmlLabel("\uD800x")).toBe("\uFFFDx");
    expect(readDotEdges(dot)).toHaveLength(hostile.length);
  });
});

describe("renderNetworkSvg", () => {
  it("renders the real 19-weight network to an SVG with the neuron names, fields and weights as text", async () => {
    const svg = await renderNetworkSvg(sparse20, { hard: standardHard(), title: "Synthesized network" });
    expect(svg).toMatch(/^(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg/);
    expectWellFormedSvg(svg);
    const texts = svgTexts(svg);
    for (const name of [
      "timer",
      "input",
      "eos",
      "const_1",
      "accum-1-2",
      "norm-2-1",
      "dot-2-2",
      "compare-1-2",
      "compare-3-1",
      "compare-4-2",
      "compare-5-1",
      "output",
    ]) {
      expect(texts).toContain(name);
      expect(svg).toContain(`>${name}</text>`); // greppable as is, no "&#45;"
    }
    for (const field of ["dict-1", "dict-2", "dict", "norm", "dot", "true", "false", "char", "const_1"])
      expect(texts).toContain(field);
    for (const l of flatten(sparse20)) expect(texts).toContain(formatWeight(l.weight));
    expect(texts).toContain("Synthesized network");
    expect(texts.filter((t) => t === "hard")).toHaveLength(3);
    expect(svg.match(/class="edge"/g)).toHaveLength(19 + 3);
    expect(svg).not.toContain("accum-3-1");
    expect(svg).not.toMatch(/NaN/);
  });

  it("renders hostile names as the literal text, and an empty matrix as an empty picture", async () => {
    const names = ['q"uote', "<tag>", "{rec|ord}", "back\\", "\\N\\G", "amp&amp;", "--", "é😀", "constructor"];
    const soft: NetworkMatrix = {};
    names.forEach((name, i) => {
      const target = names[(i + 1) % names.length]!;
      soft[target] = { [`in|${name}`]: { [name]: { [`out"${name}`]: -(i + 0.5) } } };
    });
    const svg = await renderNetworkSvg(soft, { title: "<script>alert(1)</script>" });
    expectWellFormedSvg(svg);
    const texts = svgTexts(svg);
    for (const name of names) {
      expect(texts).toContain(name);
      expect(texts).toContain(`in|${name}`);
      expect(texts).toContain(`out"${name}`);
    }
    expect(texts).toContain("<script>alert(1)</script>");
    expect(svg).not.toContain("<script");
    expect(svg.match(/class="edge"/g)).toHaveLength(names.length);

    const empty = await renderNetworkSvg({});
    expectWellFormedSvg(empty);
    expect(svgTexts(empty).join(" ")).toContain("0 soft links");
  });

  it("lays real synthesized networks out to read at a page's width: within 2:1 either way, at most 1000 px wide", async () => {
    // The sparse 2022 networks (19 to 27 weights over all 5 layers) and the 27-weight
    // network of the default `npm run synth`.
    const networks: Array<[string, NetworkMatrix]> = [
      ...[
        "sparse18-after-100-steps-matrix.json",
        "sparse19-after-500-steps-matrix.json",
        "sparse20-after-100-steps-matrix.json",
      ].map((f): [string, NetworkMatrix] => [f, JSON.parse(fixture(f))]),
      ["default run", JSON.parse(readFileSync(new URL("./default-run-network.json", import.meta.url), "utf8"))],
    ];
    for (const [name, soft] of networks) {
      const svg = await renderNetworkSvg(soft, { hard: standardHard(), title: `Synthesized network (${name})` });
      const { width, height } = svgSizePt(svg);
      expect(width / height, name).toBeLessThanOrEqual(2);
      expect(height / width, name).toBeLessThanOrEqual(2);
      // Shown 900 px wide, a picture at most 1000 px (750 pt) wide keeps its 10 pt
      // field and weight labels at 12 px or more.
      expect(width, name).toBeLessThanOrEqual(750);
    }
  });
});

describe("renderTrainingSvg", () => {
  const threeStages: TrainingRecord[] = [];
  for (let step = 1; step <= 30; step++) {
    const stage = Math.floor((step - 1) / 10);
    const prereg = 40 / step;
    threeStages.push({ step, stage, prereg, loss: prereg + 0.1 * (100 - 20 * stage), weights: 100 - 20 * stage });
  }

  it("draws loss (log) and size with the stages marked, for a history of 3 stages", async () => {
    const svg = await renderTrainingSvg(threeStages, { title: "Three stages" });
    expect(svg.startsWith("<svg")).toBe(true);
    expectWellFormedSvg(svg);
    const texts = svgTexts(svg);
    // stage 0 is the synthesis's base training
    for (const t of ["Three stages", "loss (log scale)", "training step", "base", "stage 1", "stage 2"])
      expect(texts).toContain(t);
    expect(texts.some((t) => t.startsWith("soft weights"))).toBe(true);
    expect(svg).toContain('aria-roledescription="line mark"');
    // Two stage boundaries, drawn as rules in both panels.
    expect(svg.match(/aria-roledescription="rule mark"/g)?.length).toBe(4);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  /**
   * A history shaped like the default synthesis: 1500 base steps, 55 stages of 150 and
   * 1000 polishing steps (10 750 records), a noisy decaying loss that jumps after each
   * cut, and a count falling from 1486 to 27.
   */
  function synthesisLikeHistory(): TrainingRecord[] {
    let seed = 12345;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const out: TrainingRecord[] = [];
    let weights = 1486;
    let step = 0;
    const phase = (stage: number, steps: number, start: number): void => {
      for (let i = 0; i < steps; i++) {
        step++;
        const prereg = start * Math.exp(-i / 30) + 0.05 * (1 + 0.3 * noise());
        out.push({ step, stage, prereg, loss: prereg + 0.01 * weights, weights });
      }
    };
    phase(0, 1500, 400);
    for (let stage = 1; stage <= 55; stage++) {
      weights = Math.max(27, Math.round(weights * 0.85));
      phase(stage, 150, 2 + 3 * noise());
    }
    phase(-1, 1000, 0.01);
    return out;
  }
  const history = synthesisLikeHistory();

  it("names both loss series in the legend, prereg with what it measures", async () => {
    const svg = await renderTrainingSvg(threeStages);
    const texts = svgTexts(svg);
    expect(texts).toContain("prereg (squared error vs. detector)");
    expect(texts).toContain("total loss (prereg + λ·Σ|w|)");
  });

  it("draws a synthesis-sized history (10 750 steps) in under 150 KB, keeping every spike and dip", async () => {
    expect(history).toHaveLength(10750);
    const svg = await renderTrainingSvg(history, { title: "Long run" });
    expectWellFormedSvg(svg);
    expect(svg.length).toBeLessThan(150_000);

    // What is drawn is a subset of the records, and holds the extremes of each series.
    const spec = trainingSpec(history) as unknown as {
      vconcat: Array<{ layer: Array<{ data?: { values: Array<Record<string, number | string>> } }> }>;
    };
    const drawn = spec.vconcat[0]!.layer.at(-1)!.data!.values as Array<{ step: number; series: string; value: number }>;
    const prereg = drawn.filter((v) => v.series.startsWith("prereg"));
    expect(prereg.length).toBeLessThan(history.length / 4);
    for (const v of prereg) expect(history[v.step - 1]!.prereg).toBe(v.value);
    const values = history.map((h) => h.prereg);
    expect(prereg.map((v) => v.value)).toContain(Math.max(...values));
    expect(prereg.map((v) => v.value)).toContain(Math.min(...values));
    // Every stage's first step (the jump after a cut) is a local maximum that stays.
    for (let i = 1; i < history.length; i++) {
      if (history[i]!.stage !== history[i - 1]!.stage && history[i]!.stage > 0) {
        expect(
          prereg.some((v) => v.step === history[i]!.step),
          `step ${history[i]!.step}`,
        ).toBe(true);
      }
    }
    // The count is a step line: every change of it is drawn at the step where it happens.
    const counts = spec.vconcat[1]!.layer.find(
      (l) => l.data?.values[0]?.weights !== undefined && l.data.values.length > 1,
    )!.data!.values;
    for (let i = 1; i < history.length; i++) {
      if (history[i]!.weights !== history[i - 1]!.weights) {
        expect(counts).toContainEqual({ step: history[i]!.step, weights: history[i]!.weights });
      }
    }
  });

  it("puts the axis ticks at round numbers, with a count tick below 50 when the count ends at 27", async () => {
    const svg = await renderTrainingSvg(history);
    const [lossAxis, stepAxis, countAxis] = axisLabels(svg);
    expect(lossAxis).toEqual(["0.01", "0.1", "1", "10", "100", "1000"]);
    expect(stepAxis).toEqual(["1000", "2000", "3000", "4000", "5000", "6000", "7000", "8000", "9000", "10000"]);
    expect(countAxis).toEqual(["20", "50", "100", "200", "500", "1000", "2000"]);
    // The final count is written at the end of the line.
    expect(svgTexts(svg)).toContain("27");
  });

  it("gives a valid SVG for an empty history", async () => {
    const svg = await renderTrainingSvg([]);
    expect(svg.startsWith("<svg")).toBe(true);
    expectWellFormedSvg(svg);
    expect(svgTexts(svg)).toContain("no training history");
  });

  it("gives a valid SVG for a single point, drawn as points", async () => {
    const svg = await renderTrainingSvg([{ step: 0, stage: 0, prereg: 434.98627, loss: 446.89435, weights: 1486 }]);
    expect(svg.startsWith("<svg")).toBe(true);
    expectWellFormedSvg(svg);
    expect(svg).toContain('aria-roledescription="point"');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("clamps non-positive losses to a floor on the log scale and leaves out non-finite ones, saying so", async () => {
    const history: TrainingRecord[] = [
      { step: 1, stage: 0, prereg: 2, loss: 3, weights: 10 },
      { step: 2, stage: 0, prereg: 0, loss: 0.01, weights: 10 },
      { step: 3, stage: 1, prereg: -1, loss: Number.NaN, weights: 0 },
      { step: 4, stage: 1, prereg: 0.5, loss: Number.POSITIVE_INFINITY, weights: 0 },
    ];
    const spec = trainingSpec(history) as unknown as {
      title: { subtitle: string };
      vconcat: Array<{ layer: Array<{ data: { values: Array<{ series?: string; value?: number }> } }> }>;
    };
    const lossData = spec.vconcat[0]!.layer.at(-1)!.data.values;
    expect(lossData.filter((v) => v.series?.startsWith("prereg")).map((v) => v.value)).toEqual([2, 0.001, 0.001, 0.5]);
    expect(lossData.filter((v) => v.series?.startsWith("total loss")).map((v) => v.value)).toEqual([3, 0.01]);
    expect(spec.title.subtitle).toContain("2 loss values <= 0 drawn at 1e-3");
    expect(spec.title.subtitle).toContain("2 non-finite loss values left out");
    const svg = await renderTrainingSvg(history);
    expectWellFormedSvg(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("loads nothing heavy when the modules are merely imported", () => {
    for (const file of ["render-network.ts", "render-training.ts"]) {
      const src = readFileSync(new URL(`../../src/synth/${file}`, import.meta.url), "utf8");
      const staticImports = [...src.matchAll(/^import\s+(?!type\b)[^;]*from\s+"([^"]+)"/gm)].map((m) => m[1]);
      expect(staticImports.filter((m) => /graphviz|vega/.test(m!))).toEqual([]);
    }
  });
});
