/** The two-stroke engine: one cycle = down movement, then up movement; every link delays one cycle. */
import { describe, expect, it } from "vitest";
import {
  handcraftedDetector,
  initialOutputs,
  matrixFromLinks,
  neurons,
  run,
  step,
  type Network,
} from "../../src/dmm/index.js";
import { get, type VValue } from "../../src/index.js";

/** src holds {k: 1} (self-link); a ← src, b ← a, c ← b: identity neurons in a chain. */
const chain: Network = {
  neurons: { src: neurons.identity, a: neurons.identity, b: neurons.identity, c: neurons.identity },
  soft: matrixFromLinks([
    ["a", "v", "src", "v", 2],
    ["b", "v", "a", "v", 3],
    ["c", "v", "b", "v", 5],
  ]),
  hard: matrixFromLinks([["src", "v", "src", "v", 1]]),
};

describe("the engine", () => {
  it("every link costs one cycle of delay", () => {
    const seen: string[] = [];
    run(chain, {
      cycles: 4,
      start: initialOutputs(chain, { src: { v: { k: 1 } } }),
      onCycle: (c, _x, y) => seen.push(`${c}:${["a", "b", "c"].map((n) => get(y, n, "v", "k") as number).join(",")}`),
    });
    expect(seen).toEqual(["1:2,0,0", "2:2,6,0", "3:2,6,30", "4:2,6,30"]);
  });

  it("all outputs start empty; step is one cycle of run", () => {
    const y0 = initialOutputs(chain);
    expect(Object.keys(y0).sort()).toEqual(["a", "b", "c", "src"]);
    for (const n of ["a", "b", "c", "src"]) expect(get(y0, n)).toEqual({});
    const start = initialOutputs(chain, { src: { v: { k: 1 } } });
    const one = step(chain, start);
    expect(run(chain, { cycles: 1, start })).toEqual(one);
  });

  it("the timer's output at cycle c is c; a character arrives at cycles 1, 11, 21, ...", () => {
    const chars: Array<[number, VValue]> = [];
    run(handcraftedDetector(), {
      cycles: 32,
      env: { text: "ab" },
      onCycle: (c, _x, y) => {
        expect(get(y, "timer", "timer")).toBe(c);
        const ch = get(y, "input", "char");
        if (Object.keys(ch as object).length > 0) chars.push([c, ch]);
      },
    });
    expect(chars).toEqual([
      [1, { a: 1 }],
      [11, { b: 1 }],
      [21, { b: 1 }],
      [31, { b: 1 }],
    ]);
  });

  it("rejects a bad cycle count, and an input driver without text", () => {
    expect(() => run(chain, { cycles: -1 })).toThrow(RangeError);
    expect(() => run(chain, { cycles: 1.5 })).toThrow(RangeError);
    expect(() => run(handcraftedDetector(), { cycles: 3 })).toThrow(/non-empty text/);
    expect(() => run(handcraftedDetector(), { cycles: 3, env: { text: "" } })).toThrow(/non-empty text/);
  });
});
