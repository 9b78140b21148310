/**
 * The ES worker pool keeps its threads between steps: a thread that ends when the pool
 * idles (between two steps) must start again and compile its losses again, which
 * costs more than a step. Loss evaluation under jit gives eager's numbers.
 */
import { describe, expect, it } from "vitest";
import { layeredNetwork } from "../../src/dmm/index.js";
import { createEsPool, esGradient, initialWeights, Rng } from "../../src/synth/index.js";

const network = { layers: 1, perType: 1 };
const { network: net, links } = layeredNetwork(network);
const soft = initialWeights(links, Rng.seeded(3), 0.3);
const samples = [{ text: "aba.", cycles: 40 }];
const es = (step: number, pool: Awaited<ReturnType<typeof createEsPool>>, jit = true) =>
  esGradient(net, soft, { samples }, { pairs: 4, sigma: 0.02, l2: 0.005, seed: 1, step, network, pool, jit });

describe("the ES worker pool", { timeout: 60_000 }, () => {
  it("keeps both threads through idle time between steps", async () => {
    const pool = await createEsPool(2);
    try {
      for (let step = 0; step < 3; step++) {
        await es(step, pool);
        // the pool idles between steps (a step's Adam update, its checks, a checkpoint)
        await new Promise((ok) => setTimeout(ok, 100));
        expect(pool!.threads!(), `after step ${step}`).toBe(2);
      }
    } finally {
      await pool?.close();
    }
  });

  it("losses under jit and eagerly, in threads and here, give the same estimate", async () => {
    const pool = await createEsPool(2);
    try {
      const results = [await es(5, pool, true), await es(5, null, true), await es(5, null, false)];
      for (const r of results.slice(1)) {
        expect(r.loss).toBe(results[0]!.loss);
        expect(JSON.stringify(r.gradient)).toBe(JSON.stringify(results[0]!.gradient));
      }
    } finally {
      await pool?.close();
    }
  });
});
