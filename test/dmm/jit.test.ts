/**
 * The DMM under jit: the detector loss traced once and replayed on new weights of the
 * same structure gives eager mode's loss and gradient; pruning (a new structure)
 * traces again.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { equals, jit, mapLeaves, valueAndGradient, type VValue } from "../../src/index.js";
import { countLinks, detectorLoss, layeredNetwork, liveNetwork, parseMatrix, withSoft } from "../../src/dmm/index.js";
import { prune } from "../../src/index.js";

const net = layeredNetwork().network;
const options = { samples: [{ text: "test string.", cycles: 140 }] };
const loss = (w: VValue): VValue => detectorLoss(liveNetwork(withSoft(net, w)), w, options).loss;
const soft = parseMatrix(
  readFileSync(new URL("../../data/dmm-2022/sparse16-after-2500-steps-matrix.json", import.meta.url), "utf8"),
  net,
  "sparse16",
);

describe("the detector loss under jit", () => {
  it("replays on new weights with eager's loss and gradient, and retraces after pruning", () => {
    const jitted = jit(loss);
    const first = valueAndGradient(jitted, soft);
    const eager = valueAndGradient(loss, soft);
    expect(first.value).toBe(eager.value);
    // new weights, same structure: a replay of the compiled program
    const moved = mapLeaves(soft, (x, path) => x * (1 + 0.01 * (path.join("").length % 7)));
    const replay = valueAndGradient(jitted, moved);
    const eagerMoved = valueAndGradient(loss, moved);
    expect(Math.abs(replay.value - eagerMoved.value)).toBeLessThanOrEqual(1e-12 * Math.abs(eagerMoved.value));
    expect(equals(replay.gradient[0]!, eagerMoved.gradient[0]!, { tolerance: 1e-12 })).toBe(true);
    expect(jitted.traces).toBe(1);
    // a pruned matrix is a new structure
    const pruned = prune(moved, 0.05);
    expect(countLinks(pruned)).toBeLessThan(countLinks(moved));
    expect(valueAndGradient(jitted, pruned).value).toBe(valueAndGradient(loss, pruned).value);
    expect(jitted.traces).toBe(2);
  });
});
