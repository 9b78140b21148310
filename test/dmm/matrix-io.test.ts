/**
 * Matrix validation (validateMatrix, parseMatrix): every way a matrix file can be
 * wrong gives a MatrixError whose message names the offending path.
 */
import { describe, expect, it } from "vitest";
import {
  handcraftedDetector,
  layeredNetwork,
  MatrixError,
  neurons,
  parseMatrix,
  validateMatrix,
} from "../../src/dmm/index.js";
import type { VValue } from "../../src/index.js";

const layered = layeredNetwork().network;

/** parseMatrix's error for `text`, which must be a MatrixError. */
function errorOf(text: string, name = "matrix"): MatrixError {
  try {
    parseMatrix(text, layered, name);
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    expect((e as Error).name).toBe("MatrixError");
    expect((e as Error).message).not.toContain("\n");
    return e as MatrixError;
  }
  throw new Error(`no error for ${text}`);
}

describe("parseMatrix / validateMatrix", () => {
  it("accepts a well-formed matrix and returns it as a V-value", () => {
    const m = parseMatrix('{"norm-1-1": {"dict": {"input": {"char": 0.5}, "eos": {"char": -1}}}}', layered);
    expect(m).toEqual({ "norm-1-1": { dict: { input: { char: 0.5 }, eos: { char: -1 } } } });
    expect(() => parseMatrix("{}", layered)).not.toThrow();
  });

  const cases: Array<[string, string, RegExp[]]> = [
    [
      "an unknown target neuron",
      '{"nope": {"dict": {"input": {"char": 1}}}}',
      [/matrix\.nope/, /unknown target neuron "nope"/],
    ],
    [
      "an unknown source neuron",
      '{"norm-1-1": {"dict": {"ghost": {"char": 1}}}}',
      [/matrix\["norm-1-1"\]\.dict\.ghost/, /unknown source neuron "ghost"/],
    ],
    [
      "an unknown input field",
      '{"norm-1-1": {"dictx": {"input": {"char": 1}}}}',
      [/matrix\["norm-1-1"\]\.dictx/, /no input field "dictx"/],
    ],
    [
      "an unknown output field",
      '{"norm-1-1": {"dict": {"input": {"chr": 1}}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\.chr/, /no output field "chr"/],
    ],
    [
      "an unknown input field of an accumulator",
      '{"accum-1-1": {"dict-3": {"input": {"char": 1}}}}',
      [/matrix\["accum-1-1"\]\["dict-3"\]/],
    ],
    [
      "a non-finite weight (1e999 parses as Infinity)",
      '{"norm-1-1": {"dict": {"input": {"char": 1e999}}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\.char/, /Infinity/],
    ],
    [
      "a negative non-finite weight",
      '{"norm-1-1": {"dict": {"input": {"char": -1e999}}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\.char/, /-Infinity/],
    ],
    ["a number where targets are expected", "5", [/matrix/, /number/]],
    ["a number where input fields are expected", '{"norm-1-1": 5}', [/matrix\["norm-1-1"\]/, /number/]],
    [
      "a number where source neurons are expected",
      '{"norm-1-1": {"dict": 5}}',
      [/matrix\["norm-1-1"\]\.dict\b/, /number/],
    ],
    [
      "a number where output fields are expected",
      '{"norm-1-1": {"dict": {"input": 5}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\b/, /number/],
    ],
    [
      "an object where a weight is expected",
      '{"norm-1-1": {"dict": {"input": {"char": {"x": 1}}}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\.char/, /weight/],
    ],
    [
      "a string weight",
      '{"norm-1-1": {"dict": {"input": {"char": "0.5"}}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\.char/, /string/],
    ],
    [
      "a null weight",
      '{"norm-1-1": {"dict": {"input": {"char": null}}}}',
      [/matrix\["norm-1-1"\]\.dict\.input\.char/, /null/],
    ],
    ["an array", '{"norm-1-1": {"dict": [1, 2]}}', [/matrix\["norm-1-1"\]\.dict/, /array/]],
  ];
  for (const [what, text, patterns] of cases) {
    it(`${what}: MatrixError naming the path`, () => {
      const e = errorOf(text);
      for (const p of patterns) expect(e.message).toMatch(p);
    });
  }

  it("malformed JSON: MatrixError naming the file (the matrix's name)", () => {
    for (const text of ['{"norm-1-1": ', "", "{'a': 1}", '{"a": 1,}']) {
      const e = errorOf(text, "runs/network.json");
      expect(e.message).toMatch(/runs\/network\.json/);
      expect(e.message).toMatch(/malformed JSON/);
    }
  });

  it("validateMatrix checks an in-memory matrix the same way (non-finite, NaN)", () => {
    const net = handcraftedDetector();
    expect(() => validateMatrix({ norm: { dict: { accum: { dict: 1 } } } }, net)).not.toThrow();
    for (const w of [Infinity, -Infinity, NaN]) {
      const m = { norm: { dict: { accum: { dict: w } } } } as VValue;
      expect(() => validateMatrix(m, net, "W")).toThrow(MatrixError);
      expect(() => validateMatrix(m, net, "W")).toThrow(/W\.norm\.dict\.accum\.dict/);
    }
    expect(() => validateMatrix({ norm: { dict: { accum: { dict: 1 } } } }, net, "W")).not.toThrow();
    expect(() => validateMatrix({ const_1: { x: { accum: { dict: 1 } } } }, net, "W")).toThrow(
      /W\.const_1\.x: .*inputs are none/,
    );
    expect(() => validateMatrix({ norm: { dict: { output: { x: 1 } } } }, net, "W")).toThrow(
      /W\.norm\.dict\.output\.x: .*outputs are none/,
    );
  });

  it("a variadic neuron (identity) takes any field name", () => {
    const net = { neurons: { a: neurons.identity, b: neurons.identity }, soft: {}, hard: {} };
    expect(() => validateMatrix({ a: { anything: { b: { whatever: 1 } } } }, net)).not.toThrow();
    expect(() => validateMatrix({ a: { anything: { c: { whatever: 1 } } } }, net, "W")).toThrow(
      /W\.a\.anything\.c: unknown source neuron "c"/,
    );
  });

  // Names inherited from Object.prototype ("constructor", "toString", "__proto__")
  // are not neurons: only own names of the network count.
  for (const text of [
    '{"constructor": {"x": {"input": {"char": 1}}}}',
    '{"norm-1-1": {"dict": {"toString": {"x": 1}}}}',
    '{"__proto__": {"x": {"input": {"char": 1}}}}',
  ]) {
    it(`rejects neuron names inherited from Object.prototype: ${text} (known bug)`, () => {
      expect(() => parseMatrix(text, layered)).toThrow(MatrixError);
    });
  }
});
