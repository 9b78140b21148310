/** The starting network a synthesis configuration names: layered or fully recurrent. */
import { fullyRecurrentNetwork, layeredNetwork, type LayeredLayout } from "../dmm/index.js";
import type { SynthConfig } from "./config.js";

/**
 * The network of a configuration (neurons, hard links) and its soft links in a fixed
 * order: the layered network of `config.network`, or with `topology:
 * "fully-recurrent"` the fully recurrent one with `network.perType` copies of each of
 * `network.types`.
 *
 * @example
 * networkFor(defaultConfig()).links.length; // 1486
 * networkFor(defaultConfig({ topology: "fully-recurrent" })).links.length; // 3422 (2 copies of each type: 58 inputs × 59 outputs)
 */
export function networkFor(config: Pick<SynthConfig, "network" | "topology">): LayeredLayout {
  return config.topology === "fully-recurrent"
    ? fullyRecurrentNetwork({ copies: config.network.perType, types: config.network.types })
    : layeredNetwork(config.network);
}

/**
 * The starting network in words, for reports.
 *
 * @example
 * describeNetwork(defaultConfig()); // "5 layers × 2 of each of accum, norm, dot, compare"
 */
export function describeNetwork(config: Pick<SynthConfig, "network" | "topology">): string {
  const n = config.network;
  return config.topology === "fully-recurrent"
    ? `fully recurrent, ${n.perType} of each of ${n.types.join(", ")}, every output to every input`
    : `${n.layers} layers × ${n.perType} of each of ${n.types.join(", ")}`;
}
