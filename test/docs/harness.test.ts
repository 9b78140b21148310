/** The doctest harness catches wrong examples: extraction, result comments, runs, types. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markdownExamples, tsdocExamples, type Example } from "./examples.js";
import { prepareExamples, type Prepared } from "./pipeline.js";
import { checkThrow, checkValue, parseExpectation, type Expectation } from "./results.js";
import { outputDifference, runModule } from "./run.js";

const root = resolve(__dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "vgrad-doctest-harness-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("finding examples", () => {
  const md = [
    "# t", //                                   1
    "```ts", //                                 2
    "sum({ a: 1 }); // 1", //                   3
    "```", //                                   4
    "<!-- doctest: skip it needs a network -->", // 5
    "```typescript", //                         6
    "fetch('x');", //                           7
    "```", //                                   8
    "```sh", //                                 9
    "npm test", //                             10
    "```", //                                  11
    "```ts", //                                12
    "console.log(1);", //                      13
    "```", //                                  14
    "", //                                     15
    "Output (the number):", //                 16
    "", //                                     17
    "```", //                                  18
    "1", //                                    19
    "```", //                                  20
  ].join("\n");

  it("takes ts and typescript blocks with their lines, markers and Output blocks", () => {
    const ex = markdownExamples("x.md", md);
    expect(ex.map((e) => [e.line, e.mode, e.reason, e.output])).toEqual([
      [3, "run", undefined, undefined],
      [7, "skip", "it needs a network", undefined],
      [13, "run", undefined, "1"],
    ]);
    expect(ex[0]!.lines).toEqual([{ text: "sum({ a: 1 }); // 1", line: 3 }]);
  });

  it("refuses a marker without a reason", () => {
    expect(() => markdownExamples("x.md", "<!-- doctest: skip -->\n```ts\n1;\n```")).toThrow(
      "x.md:1: a doctest marker must say why",
    );
  });

  it("takes TSDoc examples, inline or on their own lines, up to the next tag", () => {
    const src = [
      "/** Sigmoid. @example sigmoid(0); // 0.5 */", // 1
      "/**", //                                         2
      " * Sum.", //                                     3
      " *", //                                          4
      " * @example", //                                 5
      " * sum({ a: 1 });", //                           6
      " * // 1", //                                     7
      " * @param v the value", //                       8
      " */", //                                         9
    ].join("\n");
    const ex = tsdocExamples("src/x.ts", src);
    expect(ex.map((e) => e.lines)).toEqual([
      [{ text: "sigmoid(0); // 0.5", line: 1 }],
      [
        { text: "sum({ a: 1 });", line: 6 },
        { text: "// 1", line: 7 },
      ],
    ]);
  });
});

describe("result comments", () => {
  const value = (c: string) => {
    const e = parseExpectation(c);
    return e?.kind === "value" ? e.value : e;
  };

  it("are JS literals, possibly followed by a remark; prose and elisions are not checked", () => {
    expect(value(" [{ a: 2, b: { c: 4 } }]")).toEqual([{ a: 2, b: { c: 4 } }]);
    expect(value(' { ":number": 1, a: -2.5e-3 }')).toEqual({ ":number": 1, a: -0.0025 });
    expect(value(" [3], not [6]")).toEqual([3]);
    expect(value(" [1, 0] (cycle 35)")).toEqual([1, 0]);
    expect(value(" '{\"a\":1}'")).toBe('{"a":1}');
    expect(value(" -1.973…, { scale: -0.9866… }")).toBeUndefined();
    expect(value(" the synthesized soft matrix")).toBeUndefined();
    expect(value(" e.g. [0.5, 3.27]")).toBeUndefined();
    expect(value(" f(2)")).toBeUndefined();
    expect(value(" ok")).toBeUndefined();
  });

  const expectation = (c: string): Expectation => parseExpectation(c)!;

  it("compare numbers to 1e-9 relative and trees by their exact key sets", () => {
    expect(checkValue(0.30000000000000004, expectation("0.3"))).toBeUndefined();
    expect(checkValue(1 + 1e-8, expectation("1"))).toBe("expected 1, got 1.00000001 (1.00000001 is not 1)");
    expect(checkValue(NaN, expectation("NaN"))).toBeUndefined();
    expect(
      checkValue(Object.assign(Object.create(null), { b: 0, a: 2 }), expectation("{ a: 2, b: 0 }")),
    ).toBeUndefined();
    // an invented leaf is a wrong example, even though it is a zero
    expect(checkValue({ a: { b: 1, ":number": 0 } }, expectation("{ a: { b: 1 } }"))).toMatch(
      /keys \[ ':number', 'b' \], not \[ 'b' \] at \.a/,
    );
    expect(checkValue([{ a: 2 }], expectation("[{ a: 2 }, 1]"))).toMatch(/1 elements, not 2/);
    expect(checkValue(3, expectation("[3]"))).toMatch(/not an array/);
    expect(checkValue("3", expectation("3"))).toMatch(/not a number/);
  });

  it("with ≈, compare each number to the digits it is written with", () => {
    expect(checkValue(0.0016101, expectation("≈ 0.00161"))).toBeUndefined();
    expect(checkValue(0.001616, expectation("≈ 0.00161"))).toMatch(/does not round to 0.00161/);
    expect(checkValue({ s: -0.98661, w: 0.053184 }, expectation("≈ { s: -0.9866, w: 0.05318 }"))).toBeUndefined();
    expect(checkValue({ s: -0.98661, w: 0.053184 }, expectation("≈ { s: -0.9867, w: 0.05318 }"))).toMatch(/at \.s/);
  });

  it("name an error the statement must throw, with the start of its message", () => {
    const e = expectation(" TypeError: value.a is an array; ...");
    expect(checkThrow(new TypeError("value.a is an array; a V-value is ..."), e)).toBeUndefined();
    expect(checkThrow(new TypeError("value.a is an array, a V-value is ..."), e)).toMatch(
      /^expected TypeError: value.a is an array; \.\.\., got TypeError/,
    );
    expect(checkThrow(new RangeError("value.a is an array; x"), e)).toMatch(/got RangeError/);
    expect(checkValue(1, e)).toBe("expected TypeError, got the value 1");
  });
});

describe("a wrong example fails with its file and line", () => {
  const example = (lines: string[], output?: string): Example => ({
    file: "docs/x.md",
    line: 10,
    lines: lines.map((text, i) => ({ text, line: 10 + i })),
    mode: "run",
    ...(output === undefined ? {} : { output }),
  });
  const wrongValue = example(["const t = { a: 1, b: 2 };", "sum(t); // 4", "sum(t); // 3"]);
  const wrongType = example(["const s: string = sum({ a: 1 });"]);
  const missing = example(["saveSomewhere(1);"]);
  const throws = example(["const t = { a: 1 };", "get(t, 1 as unknown as string);"]);
  const noThrow = example(["get({ a: 1 }, 'a'); // TypeError: get: path keys must be strings"]);
  const printed = example(["console.log(sum({ a: 1 }), { k: 0.5 });"], "2 { k: 0.5 }");
  const good = example(
    ["console.log(sum({ a: 1 }), { k: 0.5 });", "sum({ a: 1, b: 2 }); // 3"],
    "1 { k: 0.5000000000001 }",
  );
  const all = [wrongValue, wrongType, missing, throws, noThrow, printed, good];
  let prepared: Prepared;
  beforeAll(() => {
    prepared = prepareExamples(
      root,
      all,
      new Map([
        ["sum", "vgrad"],
        ["get", "vgrad"],
      ]),
    );
  });
  const run = (ex: Example, i: number) => runModule(prepared.modules.get(ex)!, dir, `harness${i}`);

  it("a type error", () => {
    const { typeErrors } = prepared;
    expect(typeErrors.get(wrongType)).toEqual(["docs/x.md:10 Type 'number' is not assignable to type 'string'."]);
    expect(typeErrors.get(missing)).toEqual(["docs/x.md:10 Cannot find name 'saveSomewhere'."]);
    expect(typeErrors.get(wrongValue)).toBeUndefined();
  });

  it("a result that differs from its comment", async () => {
    expect(await run(wrongValue, 0)).toEqual(["docs/x.md:11 expected 4, got 3 (3 is not 4)"]);
  });

  it("a throw, and a promised throw that does not come", async () => {
    expect(await run(throws, 1)).toEqual(["docs/x.md:11 threw TypeError: get: path keys must be strings, got number"]);
    expect(await run(noThrow, 2)).toEqual([
      "docs/x.md:10 expected TypeError: get: path keys must be strings, but nothing was thrown",
    ]);
  });

  it("printed text that differs from the Output block", async () => {
    expect((await run(printed, 3))[0]).toMatch(/^docs\/x.md:10 printed output differs from its Output block/);
    expect(await run(good, 4)).toEqual([]);
    expect(outputDifference("a 1\n", "a   1.0000000000001")).toBeUndefined();
    expect(outputDifference("a 1\n", "b 1")).toBeDefined();
  });
});
