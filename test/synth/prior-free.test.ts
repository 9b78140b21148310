/**
 * The prior-free configuration: the synthesis on the fully recurrent network, named by
 * `topology: "fully-recurrent"` in the configuration and in checkpoints. Small sizes:
 * one copy of each type (930 soft weights) on a short text.
 */
import { describe, expect, it } from "vitest";
import { countLinks, fullyRecurrentNetwork, linksOf } from "../../src/dmm/index.js";
import {
  decodeCheckpoint,
  defaultConfig,
  encodeCheckpoint,
  networkFor,
  parseConfigOverrides,
  priorFreeConfig,
  startSynthesis,
  synthesize,
  type SynthConfig,
  type SynthState,
} from "../../src/synth/index.js";

const TYPES = ["accum", "norm", "compare", "dot"];
const small = (o: Partial<SynthConfig> = {}): SynthConfig =>
  priorFreeConfig({
    network: { layers: 1, perType: 1, types: TYPES },
    samples: [{ text: "ab.", cycles: 14 }],
    baseSteps: 20,
    stageSteps: 4,
    finalSteps: 2,
    targetWeights: 12,
    ...o,
  });

function untimed(state: SynthState): string {
  const s = decodeCheckpoint(encodeCheckpoint(state));
  s.phaseSeconds = s.baseSeconds = s.finalSeconds = s.elapsedSeconds = 0;
  for (const r of s.stages) r.seconds = 0;
  return encodeCheckpoint(s);
}

describe("priorFreeConfig", () => {
  it("names the fully recurrent network with 5 copies of each type: 20 306 soft weights", () => {
    const c = priorFreeConfig();
    expect(c.topology).toBe("fully-recurrent");
    expect(c.samples).toEqual([{ text: "test string.", cycles: 140 }]);
    expect(networkFor(c).links).toHaveLength(20306);
    expect(countLinks(startSynthesis(c).soft)).toBe(20306);
    // overrides apply on top, the network's fields one by one
    expect(networkFor(priorFreeConfig({ network: { perType: 2 } as SynthConfig["network"] })).links).toHaveLength(
      (2 + 8 * 7) * (3 + 8 * 7),
    );
  });

  it("a configuration without topology is the layered one (earlier checkpoints read as before)", () => {
    const c = defaultConfig();
    expect(c.topology).toBeUndefined();
    expect(networkFor(c).links).toHaveLength(1486);
    expect(encodeCheckpoint(startSynthesis(c))).not.toContain("topology");
  });

  it("--config files may name the topology; anything else is refused naming the field", () => {
    expect(parseConfigOverrides('{"topology": "fully-recurrent"}', "cfg.json")).toEqual({
      topology: "fully-recurrent",
    });
    expect(() => parseConfigOverrides('{"topology": "ring"}', "cfg.json")).toThrow(
      /cfg\.json: topology must be one of "layered", "fully-recurrent", got the string "ring"/,
    );
  });
});

describe("the synthesis on the fully recurrent network", () => {
  it("is deterministic, prunes, and resumes from its checkpoint to the same end", async () => {
    const config = small();
    const full = await synthesize(startSynthesis(config));
    expect(full.phase).toBe("done");
    expect(full.accepted.weights).toBeLessThan(930);
    const layout = new Set(fullyRecurrentNetwork({ copies: 1 }).links.map((l) => l.slice(0, 4).join(" ")));
    for (const l of linksOf(full.accepted.soft)) expect(layout.has(l.slice(0, 4).join(" ")), l.join(" ")).toBe(true);
    expect(untimed(await synthesize(startSynthesis(config)))).toBe(untimed(full));

    for (const stopAt of [7, 23]) {
      let n = 0;
      const partial = await synthesize(startSynthesis(config), {
        onStep: () => void n++,
        shouldStop: () => n >= stopAt,
      });
      expect(partial.phase).not.toBe("done");
      const resumed = await synthesize(decodeCheckpoint(encodeCheckpoint(partial)));
      expect(untimed(resumed), `resumed after ${stopAt} steps`).toBe(untimed(full));
    }
  });

  it("a checkpoint is checked against the fully recurrent layout", () => {
    const doc = JSON.parse(encodeCheckpoint(startSynthesis(small())));
    expect(decodeCheckpoint(JSON.stringify(doc)).config.topology).toBe("fully-recurrent");
    // a link of the layered network has no place here
    doc.soft["accum-1-1"] = { "dict-2": { input: { char: 0.5 } } };
    expect(() => decodeCheckpoint(JSON.stringify(doc))).toThrow(
      /checkpoint\.soft\["accum-1-1"\] names an unknown neuron "accum-1-1"/,
    );
    delete doc.soft["accum-1-1"];
    // accum's memory loop is a soft link of this network
    expect(doc.soft["accum-1"]["dict-1"]["accum-1"]["dict"]).toBeTypeOf("number");
  });
});
