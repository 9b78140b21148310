/**
 * examples/repair: the hand-crafted detector placed in the layered network is exact
 * (prereg 0), each way of breaking it breaks it, and the synthesis mends a perturbed
 * one back to the detector's 8 links (a small, short run).
 */
import { describe, expect, it } from "vitest";
import { countLinks, layeredNetwork, matrixFromLinks } from "../../src/dmm/index.js";
import { prereg } from "../../src/synth/index.js";
import { broken, DETECTOR, repair, repairConfig, SCENARIOS } from "../../examples/repair/repair.js";

const config = repairConfig(false);
const net = layeredNetwork(config.network).network;
const key = (l: readonly unknown[]) => l.slice(0, 4).join(" ");

describe("examples/repair", () => {
  it("the intact detector in the layered network is exact; every break breaks it", () => {
    const all = layeredNetwork(config.network).links;
    const intact = matrixFromLinks(
      all.map(([t, f, s, sf]) => [t, f, s, sf, DETECTOR.some((d) => key(d) === key([t, f, s, sf])) ? 1 : 0]),
    );
    expect(prereg(config, net, intact)).toBe(0);
    for (const scenario of SCENARIOS) {
      const links = broken(scenario, config.network);
      // every link of the network is there to be trained (a dropped one at 0)
      expect(links.map(key)).toEqual(all.map(key));
      const nonzero = links.filter((l) => l[4] !== 0).length;
      expect(nonzero, scenario).toBe({ "drop threshold": 7, "drop y2": 7, perturb: 8, noise: 38, all: 37 }[scenario]);
      expect(prereg(config, net, matrixFromLinks(links)), scenario).toBeGreaterThan(1);
    }
  });

  it("a perturbed detector is mended to its 8 links", async () => {
    const short = { samples: [{ text: "aab.", cycles: 60 }], baseSteps: 150, stageSteps: 30, finalSteps: 10 };
    const r = await repair("perturb", repairConfig(false, short));
    expect(r.recoveredAtStep).not.toBeNull();
    expect(r.recoveredAtStep!).toBeLessThanOrEqual(150);
    expect(r.brokenPrereg).toBeGreaterThan(1);
    expect(r.finalWeights).toBe(8);
    expect(r.sameLinksAsDetector).toBe(true);
    expect(r.finalPrereg).toBeLessThanOrEqual(0.01);
    expect(countLinks(matrixFromLinks(broken("perturb", config.network)))).toBe(180);
  });
});
