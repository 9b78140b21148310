/**
 * The 2022 reference numbers (SPEC-DMM §3 and §5): the hand-crafted detector's
 * answers on "test string.", the losses of the 2022 matrices, and the first Adam
 * steps in compat-2022 mode. Matrices come from data/dmm-2022/ in this repository.
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  countLinks,
  detectorAnswers,
  detectorLoss,
  handcraftedDetector,
  layeredNetwork,
  parseMatrix,
} from "../../src/dmm/index.js";
import { train } from "../../src/synth/train.js";
import type { VValue } from "../../src/index.js";

const DATA = new URL("../../data/dmm-2022/", import.meta.url);
const TEXT = "test string.";
const layered = layeredNetwork().network;
const load = (file: string): VValue => parseMatrix(readFileSync(new URL(file, DATA), "utf8"), layered, file);

/** Expects `actual` within `rel` relative of `expected`. */
function expectRelClose(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

/**
 * SPEC-DMM §3's table, written as its ranges: [first cycle, last cycle, y1, y2].
 * The expected answers below are expanded from these rows, not from running code.
 */
const SPEC_TABLE: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 34, 0, 0],
  [35, 64, 1, 0],
  [65, 113, 2, 0],
  [114, 123, 2, 1],
  [124, 133, 2, 2],
  [134, 143, 2, 3],
  [144, 144, 2, 4],
  [145, 150, 3, 4],
];

function expectedAnswers(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [from, to, y1, y2] of SPEC_TABLE) {
    expect(from).toBe(out.length + 1); // the rows tile 1..150 without gaps
    for (let c = from; c <= to; c++) out.push([y1, y2]);
  }
  return out;
}

describe("the hand-crafted duplicate detector (SPEC §3)", () => {
  const answers = detectorAnswers(handcraftedDetector(), TEXT, 150);

  it("matches the SPEC's table at every one of 150 cycles", () => {
    const expected = expectedAnswers();
    expect(expected).toHaveLength(150);
    expect(answers).toHaveLength(150);
    for (let c = 1; c <= 150; c++) {
      expect(answers[c - 1], `cycle ${c}`).toEqual(expected[c - 1]);
    }
  });

  it("Σ_{c=1..140} (y1² + y2²) = 447, from the run and from the table", () => {
    const sumSq = (rows: Array<[number, number]>) => rows.slice(0, 140).reduce((s, [a, b]) => s + a * a + b * b, 0);
    expect(sumSq(expectedAnswers())).toBe(447);
    expect(sumSq(answers)).toBe(447);
  });

  it("compat-2022 changes gradients only, not the answers", () => {
    expect(detectorAnswers(handcraftedDetector(), TEXT, 150, true)).toEqual(answers);
  });
});

describe("the 2022 matrices (SPEC §5)", () => {
  const samples = [{ text: TEXT, cycles: 140 }];

  it("initial-matrix.json: prereg 434.98627 and regL1 11.908083 (1e-5 relative), 1486 weights", () => {
    const soft = load("initial-matrix.json");
    expect(countLinks(soft)).toBe(1486);
    const r = detectorLoss(layered, soft, { samples });
    expectRelClose(r.prereg as number, 434.98627, 1e-5);
    expectRelClose(r.regL1 as number, 11.908083, 1e-5);
    expect(r.loss as number).toBeCloseTo((r.prereg as number) + 0.001 * (r.regL1 as number), 10);
  });

  it("compat-2022 Adam (lr 0.001): prereg before steps 2 and 3 is 417.8722 and 401.88974 (1e-4 relative)", () => {
    const soft = load("initial-matrix.json");
    const r = train(layered, soft, { samples, steps: 3, lr: 0.001, lambda: 0.001, compat2022: true });
    expect(r.prereg).toHaveLength(3);
    expectRelClose(r.prereg[0]!, 434.98627, 1e-5);
    expectRelClose(r.prereg[1]!, 417.8722, 1e-4);
    expectRelClose(r.prereg[2]!, 401.88974, 1e-4);
  });

  it("without compat-2022 (true gradients through accumulator memory) the trajectory differs", () => {
    const soft = load("initial-matrix.json");
    const r = train(layered, soft, { samples, steps: 2, lr: 0.001, lambda: 0.001 });
    expectRelClose(r.prereg[0]!, 434.98627, 1e-5);
    expect(Math.abs(r.prereg[1]! - 417.8722) / 417.8722).toBeGreaterThan(1e-3);
  });

  it("sparse20-after-100-steps-matrix.json (19 weights): prereg 0.0016100588 (1e-3 relative)", () => {
    const soft = load("sparse20-after-100-steps-matrix.json");
    expect(countLinks(soft)).toBe(19);
    expectRelClose(detectorLoss(layered, soft, { samples }).prereg as number, 0.0016100588, 1e-3);
  });

  it("every reference matrix loads against the layered layout with the size its README states", () => {
    const sizes: Record<string, number> = {
      "initial-matrix.json": 1486,
      "2500-steps-matrix.json": 1486,
      "sparse16-after-2500-steps-matrix.json": 109,
      "sparse18-after-100-steps-matrix.json": 27,
      "sparse19-after-500-steps-matrix.json": 23,
      "sparse20-after-100-steps-matrix.json": 19,
      "sparse20-after-200-steps-matrix.json": 19,
    };
    const files = readdirSync(DATA)
      .filter((f) => f.endsWith(".json"))
      .sort();
    expect(files).toEqual(Object.keys(sizes).sort());
    for (const f of files) expect(countLinks(load(f)), f).toBe(sizes[f]);
  });
});
