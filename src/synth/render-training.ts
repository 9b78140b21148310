/**
 * The training picture of a synthesis: loss and network size over the training steps.
 *
 * Two panels sharing the step axis: on top the loss on a log scale (total loss and
 * pre-regularization loss as two lines), below the number of soft weights. Stages are
 * shaded in alternation, separated by dashed rules and labelled when there is room.
 *
 * Built with Vega-Lite (compiled to Vega) and rendered headless to an SVG string with
 * `renderer: "none"`. No canvas package is needed: without one, Vega estimates text
 * widths (generously, ~0.8 em per character), which only affects layout spacing.
 * Both libraries are loaded lazily: importing this module costs nothing.
 */
import type { TopLevelSpec } from "vega-lite";
import { importEsm } from "./import-esm.js";

/**
 * A Vega-Lite specification as a plain JSON object. Its precise type is vega-lite's
 * `TopLevelSpec`; the public types do not name it, so that using them needs neither
 * vega's types nor the DOM library they depend on.
 */
export type VegaLiteSpec = { readonly $schema?: string; readonly [key: string]: unknown };

export interface TrainingRecord {
  /** Global step number (increasing over the whole synthesis, not restarting per stage). */
  step: number;
  /** Stage index (0 = base training, then one per pruning stage). */
  stage: number;
  /** Loss before regularization. */
  prereg: number;
  /** Total loss (prereg + λ·Σ|w|). */
  loss: number;
  /** Number of soft weights. */
  weights: number;
}

export interface TrainingPictureOptions {
  /** A heading drawn above the chart (default "Training"). */
  title?: string;
}

const WIDTH = 640;
const LOSS_HEIGHT = 250;
const WEIGHTS_HEIGHT = 130;
const FONT = "Verdana, DejaVu Sans, Arial, Helvetica, sans-serif";
/** The two loss series, as named in the legend. */
const LOSS_SERIES = {
  total: "total loss (prereg + λ·Σ|w|)",
  prereg: "prereg (squared error vs. detector)",
} as const;
const LOSS_COLOURS = { [LOSS_SERIES.total]: "#2166ac", [LOSS_SERIES.prereg]: "#e08214" };
/**
 * Drawn points per loss series: the lowest and the highest value in each of this many
 * equal slices of the step range (one per pixel column). A synthesis records ~10⁴ steps;
 * drawing every one gives a 0.7 MB file that looks the same as this.
 */
const SLICES = WIDTH;

interface StageBand {
  stage: number;
  start: number;
  end: number;
  mid: number;
  shaded: boolean;
  label: string;
}

/** 1, 2, 5, 10, 20, 50, ...: the round numbers of the axes. */
const roundNumbers = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(from)) - 1; 10 ** e <= to * 10; e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(1));
      if (v >= from && v <= to) out.push(v);
    }
  }
  return out;
};

/** The largest of 1, 2, 5, 10, 20, ... at most x (x > 0). */
const roundDown = (x: number): number => {
  const e = 10 ** Math.floor(Math.log10(x));
  const m = [5, 2, 1].find((k) => k * e <= x * (1 + 1e-12))!;
  return Number((m * e).toPrecision(1));
};

/** The smallest of 1, 2, 5, 10, 20, ... at least x (x > 0). */
const roundUp = (x: number): number => {
  const e = 10 ** Math.floor(Math.log10(x));
  const m = [1, 2, 5, 10].find((k) => k * e >= x * (1 - 1e-12))!;
  return Number((m * e).toPrecision(1));
};

/**
 * The points of one series that a line of {@link SLICES} pixel columns needs: in each
 * equal slice of [lo, hi], the point with the lowest and the one with the highest
 * value, in step order (plus the very first and last point). Spikes, dips and stage
 * jumps stay exactly where they are; only points that fall on the same pixel column
 * between a column's extremes are left out.
 */
function thinSeries<P extends { step: number }>(
  points: readonly P[],
  value: (p: P) => number,
  lo: number,
  hi: number,
  slices = SLICES,
): P[] {
  if (points.length <= 2 * slices) return [...points];
  const keep = new Set<number>([0, points.length - 1]);
  const width = (hi - lo) / slices;
  let slice = Number.NaN;
  let iMin = -1;
  let iMax = -1;
  const flush = (): void => {
    if (iMin >= 0) keep.add(iMin).add(iMax);
  };
  points.forEach((p, i) => {
    const s = Math.min(slices - 1, Math.floor((p.step - lo) / width));
    if (s !== slice) {
      flush();
      slice = s;
      iMin = i;
      iMax = i;
    } else {
      if (value(p) < value(points[iMin]!)) iMin = i;
      if (value(p) > value(points[iMax]!)) iMax = i;
    }
  });
  flush();
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}

// Loops rather than Math.min(...xs): a long history would overflow the argument stack.
const minOf = (xs: readonly number[]): number => xs.reduce((m, x) => (x < m ? x : m), Number.POSITIVE_INFINITY);
const maxOf = (xs: readonly number[]): number => xs.reduce((m, x) => (x > m ? x : m), Number.NEGATIVE_INFINITY);

/** Formats a floor like 1.6e-4 for the footnote. */
const short = (x: number): string => Number(x.toPrecision(2)).toExponential();

/**
 * The Vega-Lite specification of the training picture (pure and synchronous; see
 * {@link renderTrainingSvg} for the SVG).
 */
export function trainingSpec(history: readonly TrainingRecord[], options: TrainingPictureOptions = {}): VegaLiteSpec {
  return trainingTopLevelSpec(history, options) as unknown as VegaLiteSpec; // a JSON object either way
}

function trainingTopLevelSpec(history: readonly TrainingRecord[], options: TrainingPictureOptions): TopLevelSpec {
  const title = options.title ?? "Training";
  const config = {
    font: FONT,
    background: "white",
    view: { stroke: "#bbbbbb" },
    axis: { labelFontSize: 10, titleFontSize: 11, gridColor: "#e6e6e6" },
    legend: { labelFontSize: 11, titleFontSize: 11 },
    title: { fontSize: 14, subtitleFontSize: 10, subtitleColor: "#555555", anchor: "start" as const },
  };

  const rows = history.filter((h) => Number.isFinite(h.step));
  if (rows.length === 0) {
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: { text: title, subtitle: "no training steps recorded" },
      width: WIDTH,
      height: 120,
      data: { values: [{ text: "no training history" }] },
      mark: { type: "text", fontSize: 14, color: "#777777" },
      encoding: { text: { field: "text" }, x: { value: WIDTH / 2 }, y: { value: 60 } },
      config,
    };
  }

  // The log scale cannot show values <= 0 (a perfect fit has loss 0): those are
  // clamped to a floor one decade below the smallest positive loss in the history
  // (1e-12 if there is none) and flagged in the subtitle. Non-finite losses (NaN,
  // ±Infinity) cannot be placed at all and are left out, also flagged.
  const positives = rows.flatMap((h) => [h.loss, h.prereg]).filter((v) => Number.isFinite(v) && v > 0);
  const floor = positives.length > 0 ? minOf(positives) / 10 : 1e-12;
  let clamped = 0;
  let dropped = 0;
  // The step axis: exactly the recorded range (padded when it is a single step).
  let lo = minOf(rows.map((h) => h.step));
  let hi = maxOf(rows.map((h) => h.step));
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }

  type LossPoint = { step: number; series: string; value: number };
  const lossValues: LossPoint[] = [];
  for (const [series, of] of [
    [LOSS_SERIES.total, (h: TrainingRecord) => h.loss],
    [LOSS_SERIES.prereg, (h: TrainingRecord) => h.prereg],
  ] as const) {
    const points: LossPoint[] = [];
    for (const h of rows) {
      const v = of(h);
      if (!Number.isFinite(v)) {
        dropped++;
        continue;
      }
      if (v <= 0) clamped++;
      points.push({ step: h.step, series, value: v > 0 ? v : floor });
    }
    lossValues.push(...thinSeries(points, (p) => p.value, lo, hi));
  }
  // The count is drawn as a step line: only the records where it changes, and the
  // last one, shape it.
  const weightValues = rows
    .filter((h) => Number.isFinite(h.weights))
    .filter((h, i, all) => i === 0 || i === all.length - 1 || h.weights !== all[i - 1]!.weights)
    .map((h) => ({ step: h.step, weights: h.weights }));

  // Stage bands: a stage runs from halfway after the previous stage's last step to
  // halfway before the next stage's first step (the range edges for the first/last).
  const runs: Array<{ stage: number; first: number; last: number }> = [];
  for (const h of rows) {
    const run = runs[runs.length - 1];
    if (run !== undefined && run.stage === h.stage) run.last = h.step;
    else runs.push({ stage: h.stage, first: h.step, last: h.step });
  }
  const pxPerStep = WIDTH / (hi - lo);
  const bands: StageBand[] = runs.map((r, i) => {
    const prev = runs[i - 1];
    const next = runs[i + 1];
    const start = prev ? (prev.last + r.first) / 2 : lo;
    const end = next ? (r.last + next.first) / 2 : hi;
    const px = (end - start) * pxPerStep;
    // Label with the room there is: "stage 3", "3", or nothing.
    // the synthesis records base training as stage 0 and polishing as stage -1
    const named = r.stage === 0 ? "base" : r.stage === -1 ? "polish" : null;
    const label =
      named !== null ? (px >= 40 ? named : "") : px >= 60 ? `stage ${r.stage}` : px >= 13 ? String(r.stage) : "";
    return { stage: r.stage, start, end, mid: (start + end) / 2, shaded: i % 2 === 1, label };
  });
  const boundaries = bands.slice(1).map((b) => ({ at: b.start }));

  const notes: string[] = [];
  if (runs.length > 1) notes.push(`${runs.length} stages (shaded alternately, dashed lines between)`);
  if (clamped > 0) notes.push(`${clamped} loss value${clamped === 1 ? "" : "s"} <= 0 drawn at ${short(floor)}`);
  if (dropped > 0) notes.push(`${dropped} non-finite loss value${dropped === 1 ? "" : "s"} left out`);

  // Step ticks at multiples of a round number (1, 2, 5, 10, 20, ...), at most 11 of them.
  const stepTick = roundNumbers(1, Number.MAX_SAFE_INTEGER).find(
    (d) => Math.floor(hi / d) - Math.ceil(lo / d) + 1 <= 11,
  )!;
  const stepTicks = Array.from(
    { length: Math.floor(hi / stepTick) - Math.ceil(lo / stepTick) + 1 },
    (_, i) => (Math.ceil(lo / stepTick) + i) * stepTick,
  );
  const x = {
    field: "step",
    type: "quantitative" as const,
    scale: { domain: [lo, hi], nice: false, zero: false },
    axis: { title: "training step", format: "d", values: stepTicks },
  };
  const xNoAxis = {
    ...x,
    axis: { title: null, labels: false, ticks: false, domain: false, grid: true, values: stepTicks },
  };
  const stageLayers = (withLabels: boolean) => [
    {
      data: { values: bands.filter((b) => b.shaded) },
      mark: { type: "rect" as const, color: "#000000", opacity: 0.07 },
      encoding: { x: { field: "start", type: "quantitative" as const }, x2: { field: "end" } },
    },
    {
      data: { values: boundaries },
      mark: { type: "rule" as const, color: "#888888", strokeDash: [4, 3], strokeWidth: 1 },
      encoding: { x: { field: "at", type: "quantitative" as const } },
    },
    ...(withLabels
      ? [
          {
            data: { values: bands.filter((b) => b.label !== "") },
            mark: { type: "text" as const, color: "#666666", fontSize: 9, baseline: "top" as const, dy: 3 },
            encoding: {
              x: { field: "mid", type: "quantitative" as const },
              y: { value: 0 },
              text: { field: "label" },
            },
          },
        ]
      : []),
  ];

  // Decade ticks on the loss axis (Vega's default log ticks add 2..9 in every decade,
  // which crowds the grid when the loss spans many decades).
  const lossLo = minOf(lossValues.map((v) => v.value));
  const lossHi = maxOf(lossValues.map((v) => v.value));
  const decades = lossValues.length > 0 ? Math.ceil(Math.log10(lossHi)) - Math.floor(Math.log10(lossLo)) : 0;
  const lossTicks =
    decades >= 3
      ? // The log scale's domain is niced out to whole decades, so every decade is in view.
        Array.from({ length: decades + 1 }, (_, i) =>
          Number((10 ** (Math.floor(Math.log10(lossLo)) + i)).toPrecision(1)),
        )
      : undefined;

  // The weight axis: log from the round number (1, 2, 5, 10, 20, ...) at or below the
  // smallest count to the one at or above the largest, with a tick at each round
  // number, so the smallest counts (~20 at the end of a synthesis) sit by a labelled tick.
  const counts = weightValues.map((v) => v.weights);
  const wLo = counts.length > 0 ? minOf(counts) : 1;
  const wHi = counts.length > 0 ? maxOf(counts) : 1;
  const wDomain = wLo > 0 ? [roundDown(wLo), wLo === wHi ? roundUp(wHi * 1.01) : roundUp(wHi)] : undefined;
  const weightScale =
    wDomain !== undefined
      ? { type: "log" as const, domain: wDomain, nice: false }
      : { type: "symlog" as const, zero: true };
  const weightTicks = wDomain !== undefined ? roundNumbers(wDomain[0]!, wDomain[1]!) : undefined;
  const last = weightValues.at(-1);

  const showPoints = rows.length <= 60;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: notes.length > 0 ? { text: title, subtitle: notes.join("; ") } : { text: title },
    vconcat: [
      {
        width: WIDTH,
        height: LOSS_HEIGHT,
        layer: [
          ...stageLayers(true),
          {
            data: { values: lossValues },
            mark: { type: "line", strokeWidth: 1.6, point: showPoints ? { size: 24 } : false, clip: true },
            encoding: {
              x: xNoAxis,
              y: {
                field: "value",
                type: "quantitative",
                // With no finite loss at all, a fixed domain keeps the axis well-defined.
                scale: { type: "log", ...(lossValues.length === 0 ? { domain: [0.1, 10] } : {}) },
                axis: { title: "loss (log scale)", format: "~g", ...(lossTicks ? { values: lossTicks } : {}) },
              },
              color: {
                field: "series",
                type: "nominal",
                scale: { domain: Object.keys(LOSS_COLOURS), range: Object.values(LOSS_COLOURS) },
                legend: { title: null, orient: "top", direction: "horizontal", symbolStrokeWidth: 3, labelLimit: 0 },
              },
            },
          },
        ],
      },
      {
        width: WIDTH,
        height: WEIGHTS_HEIGHT,
        layer: [
          ...stageLayers(false),
          {
            data: { values: weightValues },
            mark: {
              type: "line",
              color: "#1b7837",
              strokeWidth: 1.6,
              interpolate: "step-after",
              point: showPoints ? { size: 24, color: "#1b7837" } : false,
              clip: true,
            },
            encoding: {
              x,
              y: {
                field: "weights",
                type: "quantitative",
                // Counts shrink geometrically (≈12 % cut per stage): a log axis keeps the
                // late stages visible (symlog when a count is 0, which log cannot show).
                scale: weightScale,
                axis: {
                  title: wLo > 0 ? "soft weights (log)" : "soft weights (symlog)",
                  format: "d",
                  ...(weightTicks ? { values: weightTicks } : { tickCount: 4 }),
                },
              },
            },
          },
          // The final count, written at the end of the line.
          ...(last !== undefined
            ? [
                {
                  data: { values: [last] },
                  mark: {
                    type: "text" as const,
                    color: "#1b7837",
                    fontSize: 11,
                    fontWeight: "bold" as const,
                    align: "right" as const,
                    baseline: "bottom" as const,
                    dy: -3,
                    dx: -2,
                  },
                  encoding: {
                    x: { field: "step", type: "quantitative" as const },
                    y: { field: "weights", type: "quantitative" as const },
                    text: { field: "weights", type: "quantitative" as const },
                  },
                },
              ]
            : []),
        ],
      },
    ],
    spacing: 8,
    resolve: { scale: { x: "shared" } },
    config,
  } as TopLevelSpec;
}

/**
 * The training history drawn as an SVG document (a string starting with `<svg`).
 * An empty history gives a placeholder chart; a single record is drawn as points.
 */
export async function renderTrainingSvg(
  history: ReadonlyArray<TrainingRecord>,
  options: TrainingPictureOptions = {},
): Promise<string> {
  const spec = trainingTopLevelSpec(history, options);
  const [vegaLite, vega] = await Promise.all([
    importEsm<typeof import("vega-lite")>("vega-lite"),
    importEsm<typeof import("vega")>("vega"),
  ]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
