/**
 * The checkpoint: exact numbers, a complete check of every field, byte-identical
 * resume in every configuration, and divergence stopped where it first appears.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countLinks, layeredNetwork, linksOf, matrixFromLinks } from "../../src/dmm/index.js";
import {
  decodeCheckpoint,
  defaultConfig,
  encodeCheckpoint,
  encodeNumbers,
  firstNonFinite,
  NonFiniteError,
  SchemaError,
  startSynthesis,
  synthesize,
  train,
  type SynthConfig,
  type SynthState,
} from "../../src/synth/index.js";

const TYPES = ["accum", "norm", "dot", "compare"];
/** 1 layer × 1 of each type (34 soft weights) on a 12-cycle text: a whole run takes a fraction of a second. */
const small = (o: Partial<SynthConfig> = {}): SynthConfig =>
  defaultConfig({
    network: { layers: 1, perType: 1, types: TYPES },
    samples: [{ text: "ab.", cycles: 12 }],
    baseSteps: 12,
    stageSteps: 4,
    finalSteps: 3,
    targetWeights: 6,
    ...o,
  });

/** Runs a fresh synthesis for exactly `steps` steps (or to the end). */
async function runFor(config: SynthConfig, steps: number): Promise<SynthState> {
  let n = 0;
  return synthesize(startSynthesis(config), { onStep: () => void n++, shouldStop: () => n >= steps });
}

/** The checkpoint text without wall times (which differ between any two runs). */
function untimed(state: SynthState): string {
  const s = decodeCheckpoint(encodeCheckpoint(state));
  s.phaseSeconds = s.baseSeconds = s.finalSeconds = s.elapsedSeconds = 0;
  for (const r of s.stages) r.seconds = 0;
  return encodeCheckpoint(s);
}

describe("checkpoint numbers", () => {
  it("NaN, ±Infinity and −0 are written as strings, other numbers as JSON numbers", () => {
    expect(JSON.stringify({ a: NaN, b: Infinity, c: -Infinity, d: -0, e: 1.5, f: 0 }, encodeNumbers)).toBe(
      '{"a":"NaN","b":"Infinity","c":"-Infinity","d":"-0","e":1.5,"f":0}',
    );
  });

  it("every weight comes back exactly (−0 and subnormals included)", () => {
    const state = startSynthesis(small());
    const links = linksOf(state.soft);
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
          minLength: links.length,
          maxLength: links.length,
        }),
        (ws) => {
          const s = {
            ...state,
            soft: matrixFromLinks(links.map(([t, f, src, sf], i) => [t, f, src, sf, ws[i]!] as const)),
          };
          const back = linksOf(decodeCheckpoint(encodeCheckpoint(s)).soft).map((l) => l[4]);
          back.forEach((w, i) => expect(Object.is(w, ws[i]), `weight ${i}: ${ws[i]} came back as ${w}`).toBe(true));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("the NaN of a run that has not measured its first network yet survives the checkpoint", () => {
    const state = startSynthesis(small());
    expect(state.accepted.prereg).toBeNaN();
    expect(decodeCheckpoint(encodeCheckpoint(state)).accepted.prereg).toBeNaN();
  });

  it("a leading UTF-8 byte order mark is accepted", () => {
    const state = startSynthesis(small());
    expect(untimed(decodeCheckpoint(`\uFEFF${encodeCheckpoint(state)}`))).toBe(untimed(state));
  });
});

describe("resume", () => {
  it("--base-steps 0 prunes: the first stage is judged against the starting network's loss", async () => {
    const s = await synthesize(startSynthesis(small({ baseSteps: 0, seed: 2 })));
    const start = countLinks(startSynthesis(small()).soft);
    expect(s.stages.length).toBeGreaterThan(0);
    for (const r of s.stages) expect(Number.isFinite(r.preregBefore)).toBe(true);
    expect(s.stages.some((r) => r.accepted)).toBe(true);
    expect(s.accepted.weights).toBeLessThan(start);
  });

  // every configuration that takes a different path through the state machine
  const configs: Array<[string, Partial<SynthConfig>]> = [
    ["defaults (small)", {}],
    ["no base training", { baseSteps: 0 }],
    ["no polishing", { finalSteps: 0 }],
    ["compat-2022", { compat2022: true }],
    // no retraining (stageLr 0) and no slack: cuts that raise the loss get a second helping, then are undone
    [
      "back-offs, second helpings, protected weights",
      { acceptLoss: 0, jumpFactor: 1, rescueFactor: 1e6, patience: 2, stageLr: 0, targetWeights: 1 },
    ],
    ["nothing to prune", { targetWeights: 1000 }],
    ["no warm-up, checkpoint every step", { warmupSteps: 0, checkpointEvery: 1 }],
    [
      "OpenAI-ES",
      {
        method: "es",
        es: { pairs: 2, sigma: 0.02, l2: 0.005, workers: 0 },
        baseSteps: 4,
        stageSteps: 2,
        finalSteps: 1,
      },
    ],
  ];
  it.each(configs)("is byte-identical to an uninterrupted run: %s", async (_name, o) => {
    const config = small({ seed: 5, ...o });
    const full = await synthesize(startSynthesis(config));
    expect(full.phase).toBe("done");
    if (o.stageLr === 0)
      expect(full.stages.filter((r) => !r.accepted && r.steps === 2 * config.stageSteps).length).toBeGreaterThan(1);
    const n = full.totalSteps;
    for (const stopAt of [0, 1, Math.floor(n / 2), n - 1]) {
      const partial = await runFor(config, stopAt);
      const resumed = await synthesize(decodeCheckpoint(encodeCheckpoint(partial)));
      expect(untimed(resumed), `stopped after ${stopAt} of ${n} steps`).toBe(untimed(full));
    }
    // interrupted twice
    let k = 0;
    const first = await runFor(config, Math.floor(n / 3));
    const second = await synthesize(decodeCheckpoint(encodeCheckpoint(first)), {
      onStep: () => void k++,
      shouldStop: () => k >= Math.floor(n / 3),
    });
    expect(untimed(await synthesize(decodeCheckpoint(encodeCheckpoint(second))))).toBe(untimed(full));
  });

  it("a version-1 checkpoint (no elapsedSeconds, no protect) is still read and resumes the same run", async () => {
    const config = small({ seed: 4 });
    const full = await synthesize(startSynthesis(config));
    const partial = await runFor(config, 20);
    const doc = JSON.parse(encodeCheckpoint(partial));
    doc.version = 1;
    delete doc.elapsedSeconds;
    delete doc.protect;
    const v1 = decodeCheckpoint(JSON.stringify(doc));
    expect(v1.elapsedSeconds).toBeGreaterThanOrEqual(0);
    expect(untimed(await synthesize(v1))).toBe(untimed(full));
  });

  it("the elapsed time goes on across an interruption", async () => {
    const partial = await runFor(small(), 10);
    partial.elapsedSeconds = 5000;
    const resumed = await synthesize(decodeCheckpoint(encodeCheckpoint(partial)));
    expect(resumed.elapsedSeconds).toBeGreaterThan(5000);
  });
});

describe("checkpoint check", () => {
  const valid = async () => JSON.parse(encodeCheckpoint(await runFor(small({ seed: 3 }), 14)));
  const firstLink = (soft: any): any[] => {
    const t = Object.keys(soft)[0]!,
      f = Object.keys(soft[t])[0]!,
      s = Object.keys(soft[t][f])[0]!,
      sf = Object.keys(soft[t][f][s])[0]!;
    return [soft[t][f][s], sf];
  };
  const cases: Array<[string, (d: any) => void, RegExp]> = [
    ["no phase", (d) => delete d.phase, /^checkpoint is not a vgrad synthesis checkpoint \(it has no phase\)$/],
    ["no config", (d) => delete d.config, /^checkpoint\.config is missing$/],
    [
      "an unknown phase",
      (d) => (d.phase = "bogus"),
      /^checkpoint\.phase must be one of "base", "stage", "final", "done", got the string "bogus"$/,
    ],
    [
      "a null weight",
      (d) => {
        const [o, k] = firstLink(d.soft);
        o[k] = null;
      },
      /^checkpoint\.soft\[.*must be a number, got null$/,
    ],
    [
      "a string weight",
      (d) => {
        const [o, k] = firstLink(d.soft);
        o[k] = "0.5";
      },
      /^checkpoint\.soft\[.*must be a number, got the string "0\.5"$/,
    ],
    [
      "a NaN weight",
      (d) => {
        const [o, k] = firstLink(d.soft);
        o[k] = "NaN";
      },
      /^checkpoint\.soft\[.*must be a finite number, got NaN$/,
    ],
    ["adam: null", (d) => (d.adam = null), /^checkpoint\.adam must be an object, got null$/],
    ["history: null", (d) => (d.history = null), /^checkpoint\.history must be an array, got null$/],
    [
      "an unknown neuron in soft",
      (d) => (d.soft.ghost = { dict: { input: { char: 1 } } }),
      /^checkpoint\.soft\.ghost names an unknown neuron "ghost"$/,
    ],
    [
      "an unknown source neuron in soft",
      (d) => {
        const t = Object.keys(d.soft)[0]!,
          f = Object.keys(d.soft[t])[0]!;
        d.soft[t][f].ghost = { x: 1 };
      },
      /unknown neuron "ghost"$/,
    ],
    [
      "a string where a number belongs",
      (d) => (d.stage = "3"),
      /^checkpoint\.stage must be a number, got the string "3"$/,
    ],
    [
      "a fraction of a step",
      (d) => (d.totalSteps = 13.5),
      /^checkpoint\.totalSteps must be a whole number >= 0, got 13\.5$/,
    ],
    [
      "a history entry's loss as a string",
      (d) => (d.history[2].loss = "1"),
      /^checkpoint\.history\[2\]\.loss must be a number/,
    ],
    ["a history that skips a step", (d) => (d.history[4].step = 9), /^checkpoint\.history\[4\]\.step is 9/],
    [
      "a history shorter than totalSteps",
      (d) => d.history.pop(),
      /^checkpoint\.history has 13 entries, but totalSteps is 14$/,
    ],
    [
      "more steps in the phase than it has",
      (d) => (d.stepInPhase = 99),
      /^checkpoint\.stepInPhase must be a whole number from 0 to \d+, got 99$/,
    ],
    [
      "Adam's moment for a weight that is not there",
      (d) => (d.adam.m.ghost = { x: { input: { char: 1 } } }),
      /^checkpoint\.adam\.m\.ghost names an unknown neuron "ghost"$/,
    ],
    [
      "a negative second moment",
      (d) => {
        const [o, k] = firstLink(d.adam.v);
        o[k] = -1;
      },
      /^checkpoint\.adam\.v.*must be a finite number >= 0, got -1$/,
    ],
    [
      "accepted.weights that does not count accepted.soft",
      (d) => (d.accepted.weights += 1),
      /^checkpoint\.accepted\.weights is \d+, but accepted\.soft has \d+ weights$/,
    ],
    [
      "an inherited type name in the config",
      (d) => (d.config.network.types = ["toString"]),
      /^checkpoint\.config\.network\.types\[0\] must be one of/,
    ],
    ["an unknown field", (d) => (d.extra = 1), /^checkpoint\.extra is not a known field/],
    [
      "an unknown config field",
      (d) => (d.config.network.layer = 2),
      /^checkpoint\.config\.network\.layer is not a known field/,
    ],
    [
      "another version",
      (d) => (d.version = 9),
      /^checkpoint\.version is 9; this vgrad reads checkpoint versions 1 and 2$/,
    ],
  ];
  it.each(cases)("names the field: %s", async (_name, mutate, message) => {
    const doc = await valid();
    mutate(doc);
    expect(() => decodeCheckpoint(JSON.stringify(doc))).toThrow(SchemaError);
    expect(() => decodeCheckpoint(JSON.stringify(doc))).toThrow(message);
  });

  it("malformed JSON and a JSON array are refused with one line", () => {
    expect(() => decodeCheckpoint("{ not json")).toThrow(/^checkpoint: malformed JSON \(/);
    expect(() => decodeCheckpoint("[]")).toThrow(/^checkpoint must be an object, got an array$/);
  });

  it("synthesize refuses a state with an unknown phase instead of looping forever", { timeout: 10_000 }, async () => {
    const state = { ...startSynthesis(small()), phase: "bogus" } as unknown as SynthState;
    await expect(synthesize(state)).rejects.toThrow(/^state\.phase must be one of/);
  });
});

describe("divergence", () => {
  it("firstNonFinite names the path of the first NaN or infinite leaf in key order", () => {
    expect(firstNonFinite({ a: { b: 1, c: NaN }, d: Infinity }, "w")).toEqual({ where: "w.a.c", value: NaN });
    expect(firstNonFinite({ "dict-1": { x: -Infinity } }, "soft")).toEqual({
      where: 'soft["dict-1"].x',
      value: -Infinity,
    });
    expect(firstNonFinite({ a: { b: 1 }, c: -0 }, "w")).toBeUndefined();
  });

  it("a huge learning rate stops the run where the loss first becomes non-finite, and the state stays finite", async () => {
    // step 1 moves every weight by about lr = 1e300 (Adam's first step is sign-like):
    // still finite; the network's products then overflow in step 2's loss
    const state = startSynthesis(small({ baseLr: 1e300, baseLrEnd: 1e300 }));
    await expect(synthesize(state)).rejects.toThrow(NonFiniteError);
    expect(state.totalSteps).toBe(1);
    const back = decodeCheckpoint(encodeCheckpoint(state)); // every number finite where it must be
    expect(back.history).toHaveLength(1);
    for (const [, , , , w] of linksOf(back.soft)) expect(Number.isFinite(w)).toBe(true);
    await expect(synthesize(back)).rejects.toThrow(
      /^training diverged at step 2 \(base training, step 2 of 12\): the loss is/,
    );
  });

  it("an initial scale that makes a weight infinite is refused at the start", () => {
    expect(() => startSynthesis(small({ initScale: 1e308 }))).toThrow(NonFiniteError);
    expect(() => startSynthesis(small({ initScale: 1e308 }))).toThrow(/initScale 1e\+308 is too large/);
  });

  it("train() stops at the first step with a non-finite loss", () => {
    const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
    const soft = matrixFromLinks(links.map(([t, f, s, sf]) => [t, f, s, sf, 0.1] as const));
    const seen: number[] = [];
    expect(() =>
      train(network, soft, {
        samples: [{ text: "ab.", cycles: 12 }],
        steps: 5,
        lr: 1e300,
        onStep: (s) => void seen.push(s.step),
      }),
    ).toThrow(/^training diverged at step 2: the loss is/);
    expect(seen).toEqual([1]);
  });
});
