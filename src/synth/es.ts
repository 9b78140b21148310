/**
 * The OpenAI-ES gradient estimator (SPEC-DMM §7): antithetic pairs, centred ranks,
 * seeded noise per pair, pairs evaluated in parallel worker threads (piscina).
 * The result is deterministic whatever the number of workers.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { linksOf, matrixFromLinks, type LayeredConfig, type Network, type LossOptions } from "../dmm/index.js";
import type { VValue } from "../vvalue/types.js";
import { evaluatePair, lossOf, pairNoise, pairSeed, type EsTask } from "./es-pair.js";

/** A pool of workers evaluating pairs. */
export interface EsPool {
  run(task: EsTask): Promise<[number, number]>;
  close(): Promise<void>;
  /** How many worker threads are alive (a pool from createEsPool keeps all of them until closed). */
  threads?(): number;
}

function workerFile(): { filename: string; execArgv: string[] } | null {
  for (const rel of ["./es-worker.js", "../es-worker.js", "./synth/es-worker.js", "./es-worker.ts"]) {
    const url = new URL(rel, import.meta.url);
    const path = fileURLToPath(url);
    // a TypeScript worker (running from source) needs tsx's loader in the thread
    if (existsSync(path)) return { filename: url.href, execArgv: path.endsWith(".ts") ? ["--import", "tsx"] : [] };
  }
  return null;
}

/**
 * A piscina pool of `workers` threads, or null for 0 (evaluate in this thread).
 *
 * @example
 * const { network, links } = layeredNetwork({ layers: 1, perType: 1 });
 * const pool = await createEsPool(2);
 * try {
 *   const es = { pairs: 4, sigma: 0.02, l2: 0, seed: 1, step: 0, network: { layers: 1, perType: 1 }, pool };
 *   const { gradient } = await esGradient(network, initialWeights(links, Rng.seeded(1)), { samples: [{ text: "ab.", cycles: 50 }] }, es);
 *   countLinks(gradient); // 34
 * } finally {
 *   await pool?.close();
 * }
 */
export async function createEsPool(workers: number): Promise<EsPool | null> {
  if (workers <= 0) return null;
  const file = workerFile();
  if (file === null) return null;
  // the CommonJS build sees piscina's CommonJS export as `default`
  const mod = (await import("piscina")) as unknown as {
    Piscina?: typeof import("piscina").Piscina;
    default?: { Piscina?: typeof import("piscina").Piscina };
  };
  const Piscina = (mod.Piscina ?? mod.default?.Piscina ?? mod.default) as typeof import("piscina").Piscina;
  // every thread stays for the whole run (piscina would end the ones above minThreads
  // whenever they idle, between two steps, and start them again: a thread's start and
  // its compiled losses cost far more than a step)
  const pool = new Piscina({
    filename: file.filename,
    maxThreads: workers,
    minThreads: workers,
    idleTimeout: Infinity,
    execArgv: file.execArgv,
  });
  return {
    run: (task) => pool.run(task) as Promise<[number, number]>,
    close: () => pool.destroy(),
    threads: () => pool.threads.length,
  };
}

/** Options of {@link esGradient}. */
export interface EsOptions {
  pairs: number;
  sigma: number;
  l2: number;
  seed: number;
  step: number;
  network: LayeredConfig;
  /** The layered network of `network` (when absent) or the fully recurrent one. */
  topology?: "layered" | "fully-recurrent";
  pool?: EsPool | null;
  /** Evaluate losses through jit-compiled programs (default) or eagerly. */
  jit?: boolean;
}

/**
 * An ES estimate of the loss gradient with respect to the soft weights, as a tree
 * shaped like `soft`: `−ĝ + λ₂θ` where `ĝ = (1/2n) Σ (u⁺ᵢ − u⁻ᵢ) εᵢ` and u are the
 * centred ranks of the fitnesses −F(θ ± σεᵢ). Also returns the loss at θ. Every loss
 * is computed on the network `es.network` and `es.topology` name (which `net` must be:
 * worker threads build it from that description).
 */
export async function esGradient(
  net: Network,
  soft: VValue,
  options: LossOptions,
  es: EsOptions,
): Promise<{ gradient: VValue; prereg: number; loss: number }> {
  const links = linksOf(soft);
  const d = links.length;
  const theta = links.map((l) => l[4]);
  const paths = links.map(([t, tf, s, sf]) => [t, tf, s, sf] as [string, string, string, string]);
  const tasks: EsTask[] = [];
  for (let i = 0; i < es.pairs; i++) {
    tasks.push({
      network: es.network,
      ...(es.topology === undefined ? {} : { topology: es.topology }),
      paths,
      theta,
      sigma: es.sigma,
      noiseSeed: pairSeed(es.seed, es.step, i),
      samples: [...options.samples],
      lambda: options.lambda ?? 0.001,
      compat2022: options.compat2022 ?? false,
      jit: es.jit ?? true,
    });
  }
  const results = es.pool ? await Promise.all(tasks.map((t) => es.pool!.run(t))) : tasks.map(evaluatePair);
  // fitness = −loss; centred ranks over all 2n values (ties by position: deterministic)
  const fit: number[] = [];
  for (const [plus, minus] of results) fit.push(-plus, -minus);
  const order = fit.map((_, i) => i).sort((a, b) => fit[a]! - fit[b]! || a - b);
  const u = new Float64Array(fit.length);
  const m = fit.length;
  order.forEach((idx, rank) => (u[idx] = m > 1 ? rank / (m - 1) - 0.5 : 0));
  const ghat = new Float64Array(d);
  for (let i = 0; i < es.pairs; i++) {
    const eps = pairNoise(tasks[i]!.noiseSeed, d);
    const coef = (u[2 * i]! - u[2 * i + 1]!) / m;
    for (let k = 0; k < d; k++) ghat[k] = ghat[k]! + coef * eps[k]!;
  }
  const gradient = matrixFromLinks(links.map(([t, tf, s, sf, w], k) => [t, tf, s, sf, -ghat[k]! + es.l2 * w] as const));
  const r = lossOf(tasks[0]!)(soft);
  return { gradient, prereg: r.prereg, loss: r.loss };
}
