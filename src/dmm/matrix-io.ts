/** Soft matrices as JSON files: load with validation against a network, save atomically. */
import { fromJSON } from "../vvalue/json.js";
import { formatPath } from "../vvalue/validate.js";
import type { VValue } from "../vvalue/types.js";
import { neuronOf, type Network } from "./network.js";

/** A matrix that does not fit its network: names the path of the offending entry. */
export class MatrixError extends Error {
  override name = "MatrixError";
}

/**
 * Checks that a rank-4 matrix only links existing neurons and fields with finite
 * weights: `W[target][targetField][source][sourceField] = weight`. Throws a
 * `MatrixError` naming the first bad path.
 *
 * @example
 * validateMatrix({ norm: { dict: { accum: { dict: 1 } } } }, handcraftedDetector());
 */
export function validateMatrix(m: VValue, net: Network, name = "matrix"): void {
  if (typeof m === "number") throw new MatrixError(`${name} must be an object of targets, got a number`);
  for (const t of Object.keys(m)) {
    const tt = neuronOf(net, t);
    const here = [t];
    if (tt === undefined) throw new MatrixError(`${formatPath(name, here)}: unknown target neuron "${t}"`);
    const mt = m[t]!;
    if (typeof mt === "number")
      throw new MatrixError(`${formatPath(name, here)} must be an object of input fields, got a number`);
    for (const f of Object.keys(mt)) {
      const hf = [t, f];
      if (tt.inputs !== undefined && !tt.inputs.includes(f)) {
        throw new MatrixError(
          `${formatPath(name, hf)}: neuron "${t}" (${tt.name}) has no input field "${f}"; its inputs are ${tt.inputs.join(", ") || "none"}`,
        );
      }
      const mtf = mt[f]!;
      if (typeof mtf === "number")
        throw new MatrixError(`${formatPath(name, hf)} must be an object of source neurons, got a number`);
      for (const s of Object.keys(mtf)) {
        const hs = [t, f, s];
        const st = neuronOf(net, s);
        if (st === undefined) throw new MatrixError(`${formatPath(name, hs)}: unknown source neuron "${s}"`);
        const links = mtf[s]!;
        if (typeof links === "number")
          throw new MatrixError(`${formatPath(name, hs)} must be an object of output fields, got a number`);
        for (const sf of Object.keys(links)) {
          const hl = [t, f, s, sf];
          if (st.outputs !== undefined && !st.outputs.includes(sf)) {
            throw new MatrixError(
              `${formatPath(name, hl)}: neuron "${s}" (${st.name}) has no output field "${sf}"; its outputs are ${st.outputs.join(", ") || "none"}`,
            );
          }
          const w = links[sf];
          if (typeof w !== "number")
            throw new MatrixError(`${formatPath(name, hl)} must be a weight (a number), got an object`);
          if (!Number.isFinite(w)) throw new MatrixError(`${formatPath(name, hl)} is ${w}; weights must be finite`);
        }
      }
    }
  }
}

/**
 * Parses a soft matrix from JSON text (a leading UTF-8 byte order mark is allowed) and
 * validates it against `net`. Errors (malformed JSON, non-numbers, non-finite weights,
 * unknown neurons or fields) name the path.
 *
 * @example
 * const { network } = layeredNetwork();
 * parseMatrix('{"norm-1-1": {"dict": {"input": {"char": 0.5}}}}', network); // { "norm-1-1": { dict: { input: { char: 0.5 } } } }
 * parseMatrix('{"nope": {}}', network); // MatrixError: matrix.nope: unknown target neuron "nope"
 */
export function parseMatrix(text: string, net: Network, name = "matrix"): VValue {
  let m: VValue;
  try {
    m = fromJSON(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { name });
  } catch (e) {
    throw new MatrixError((e as Error).message);
  }
  validateMatrix(m, net, name);
  return m;
}
