/** The synthesis configuration: every field checked, errors naming the field. */
import { describe, expect, it } from "vitest";
import {
  defaultConfig,
  defaultCycles,
  LIMITS,
  parseConfigOverrides,
  SchemaError,
  validateConfig,
  type SynthConfig,
} from "../../src/synth/index.js";

describe("config check", () => {
  it.each(["foo", "toString", "__proto__", "constructor", "hasOwnProperty"])(
    "network.types naming %j is refused",
    (name) => {
      const network = { layers: 1, perType: 1, types: [name] };
      expect(() => defaultConfig({ network })).toThrow(SchemaError);
      expect(() => defaultConfig({ network })).toThrow(
        /^config\.network\.types\[0\] must be one of "accum", "norm", "dot", "compare"/,
      );
    },
  );

  it("every field of the wrong type is refused, naming it", () => {
    const c = defaultConfig() as unknown as Record<string, unknown>;
    const fields: string[][] = [];
    for (const [k, v] of Object.entries(c)) {
      if (k === "network" || k === "es") for (const n of Object.keys(v as object)) fields.push([k, n]);
      else fields.push([k]);
    }
    expect(fields.length).toBeGreaterThan(30);
    for (const path of fields) {
      for (const bad of [null, "1", {}, []]) {
        const copy = structuredClone(c) as Record<string, any>;
        if (path.length === 1) copy[path[0]!] = bad;
        else copy[path[0]!][path[1]!] = bad;
        expect(
          () => validateConfig(copy as unknown as SynthConfig),
          `${path.join(".")} = ${JSON.stringify(bad)}`,
        ).toThrow(new RegExp(`^config\\.${path.join("\\.")} must `));
      }
    }
  });

  it("unknown fields are refused at the top and inside sections", () => {
    expect(() => defaultConfig({ bogus: 1 } as Partial<SynthConfig>)).toThrow(
      /^config\.bogus is not a known field; known: seed, /,
    );
    expect(() => defaultConfig({ network: { layer: 2 } } as unknown as Partial<SynthConfig>)).toThrow(
      /^config\.network\.layer is not a known field; known: layers, perType, types$/,
    );
    expect(() => defaultConfig({ es: { pair: 2 } } as unknown as Partial<SynthConfig>)).toThrow(
      /^config\.es\.pair is not a known field/,
    );
  });

  it("sizes are bounded", () => {
    expect(() => defaultConfig({ network: { layers: LIMITS.layers + 1, perType: 1, types: ["accum"] } })).toThrow(
      /^config\.network\.layers must be a whole number from 1 to 16, got 17$/,
    );
    expect(() => defaultConfig({ samples: [{ text: "ab", cycles: 100_000_000 }] })).toThrow(
      /^config\.samples\[0\]\.cycles must be a whole number from 1 to 10000/,
    );
    expect(() => defaultConfig({ baseSteps: 1e9 })).toThrow(
      /^config\.baseSteps must be a whole number from 0 to 1000000/,
    );
  });

  it("a type named twice is refused", () => {
    expect(() => defaultConfig({ network: { layers: 1, perType: 1, types: ["accum", "accum"] } })).toThrow(
      /^config\.network\.types\[1\] repeats "accum"/,
    );
  });
});

describe("--config files (parseConfigOverrides)", () => {
  const parse = (text: string) => parseConfigOverrides(text, "--config cfg.json");
  it("takes any subset of the settings, each checked", () => {
    expect(parse('{"baseSteps": 500, "network": {"layers": 2}, "es": {"pairs": 4}}')).toEqual({
      baseSteps: 500,
      network: { layers: 2 },
      es: { pairs: 4 },
    });
  });
  it("a sample without cycles gets the default window", () => {
    expect(parse('{"samples": [{"text": "abc."}]}')).toEqual({
      samples: [{ text: "abc.", cycles: defaultCycles("abc.") }],
    });
    expect(defaultCycles("abc.")).toBe(60);
  });
  it("a UTF-8 byte order mark is accepted", () => {
    expect(parse('\uFEFF{"seed": 7}')).toEqual({ seed: 7 });
  });
  it.each([
    ['{"network": "big"}', /^--config cfg\.json: network must be an object, got the string "big"$/],
    ['{"network": {"types": ["toString"]}}', /^--config cfg\.json: network\.types\[0\] must be one of/],
    [
      '{"network": {"types": "accum"}}',
      /^--config cfg\.json: network\.types must be an array, got the string "accum"$/,
    ],
    [
      '{"network": {"layers": 2, "depth": 3}}',
      /^--config cfg\.json: network\.depth is not a known field; known: layers, perType, types$/,
    ],
    ['{"es": {"pairs": "3"}}', /^--config cfg\.json: es\.pairs must be a number, got the string "3"$/],
    ['{"samples": [{"text": "ab", "cycle": 3}]}', /^--config cfg\.json: samples\[0\]\.cycle is not a known field/],
    ['{"samples": [{"text": ""}]}', /^--config cfg\.json: samples\[0\]\.text must not be empty$/],
    ['{"samples": []}', /^--config cfg\.json: samples must hold at least one training text$/],
    ['{"__proto__": {"seed": 1}}', /^--config cfg\.json: __proto__ is not a known field/],
    ['{"compat2022": "yes"}', /^--config cfg\.json: compat2022 must be true or false, got the string "yes"$/],
    ['{"baseLr": 0}', /^--config cfg\.json: baseLr must be a finite number > 0, got 0$/],
    ['{"method": "magic"}', /^--config cfg\.json: method must be one of "gradient", "es", got the string "magic"$/],
    ["[1]", /^--config cfg\.json must be an object, got an array$/],
    ["{", /^--config cfg\.json: malformed JSON/],
  ])("%s is refused with one line naming the field", (text, message) => {
    expect(() => parse(text)).toThrow(SchemaError);
    expect(() => parse(text)).toThrow(message);
  });
});
