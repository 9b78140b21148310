/**
 * Training on flat arrays (FlatTraining, used by `train` and the synthesis under jit)
 * takes exactly the steps of the tree path: lossAndGradient, then adam().step on trees.
 */
import { describe, expect, it } from "vitest";
import { adam, flatten, type AdamState, type VValue } from "../../src/index.js";
import { layeredNetwork } from "../../src/dmm/index.js";
import { FlatTraining, initialWeights, lossAndGradient, NonFiniteError, Rng, train } from "../../src/synth/index.js";

const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
const samples = [{ text: "abca.", cycles: 40 }];
const bits = (v: VValue): number[] => [...flatten(v).values];

describe("FlatTraining", () => {
  it("takes the tree path's steps bit for bit, with a changing lr and λ", () => {
    const soft0 = initialWeights(links, Rng.seeded(3), 0.3);
    const flat = new FlatTraining(network, soft0, { samples });
    let soft = soft0;
    let state: AdamState = adam().init(soft0);
    for (let k = 0; k < 12; k++) {
      const lr = 0.01 * (1 + (k % 3)),
        lambda = 0.001 * (k + 1);
      const r = lossAndGradient(network, soft, { samples, lambda, jit: false });
      ({ params: soft, state } = adam({ lr }).step(soft, r.gradient, state));
      const f = flat.step(lr, lambda, "step");
      expect([f.loss, f.prereg, f.regL1]).toEqual([r.loss, r.prereg, r.regL1]);
    }
    expect(bits(flat.soft())).toEqual(bits(soft));
    expect(flat.state().t).toBe(state.t);
    // the moments, on the weights' layout (the tree state is sparse: absent = 0)
    const dense = new FlatTraining(network, soft, { samples }, state).state();
    expect(bits(flat.state().m)).toEqual(bits(dense.m));
    expect(bits(flat.state().v)).toEqual(bits(dense.v));
  });

  it("train() under jit (flat) and without it give the same weights and losses", () => {
    const soft0 = initialWeights(links, Rng.seeded(4), 0.3);
    const options = { samples, steps: 15, lr: 0.02, lambda: 0.002 };
    const a = train(network, soft0, options);
    const b = train(network, soft0, { ...options, jit: false });
    expect(a.prereg).toEqual(b.prereg);
    expect(bits(a.soft)).toEqual(bits(b.soft));
  });

  it("stops at a non-finite update with a NonFiniteError naming where", () => {
    const soft0 = initialWeights(links, Rng.seeded(5), 0.3);
    const flat = new FlatTraining(network, soft0, { samples });
    expect(() => {
      for (let k = 0; k < 50; k++) flat.step(1e308, 0.001, "at step k");
    }).toThrow(NonFiniteError);
    expect(() => new FlatTraining(network, soft0, { samples }).step(Infinity, 0.001, "here")).toThrow(/^here: /);
  });
});
