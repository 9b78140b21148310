/**
 * The synthesis checkpoint: a {@link SynthState} as JSON text that keeps every number
 * exact (NaN, ±Infinity and −0 included), and its complete check on reading, so that
 * a resumed run ends byte-identical to an uninterrupted one and a damaged checkpoint
 * is refused with one line naming the bad field.
 */
import type { VValue } from "../vvalue/types.js";
import { readConfig, type SynthConfig } from "./config.js";
import {
  checkKeys,
  encodeNumbers,
  fail,
  parseJson,
  readArray,
  readBoolean,
  readChoice,
  readFinite,
  readInt,
  readNumber,
  readObject,
  type Path,
  type ReadContext,
} from "./schema.js";
import type { HistoryEntry, StageRecord, SynthState } from "./synthesize.js";
import { networkFor } from "./topology.js";

/** The checkpoint format this version writes. Version 1 (no `elapsedSeconds`, `protect` optional) is still read. */
export const CHECKPOINT_VERSION = 2;

const PHASES = ["base", "stage", "final", "done"] as const;

const STATE_KEYS = [
  "version",
  "config",
  "phase",
  "stage",
  "stepInPhase",
  "totalSteps",
  "soft",
  "adam",
  "lambda",
  "fraction",
  "cut",
  "extended",
  "protect",
  "accepted",
  "history",
  "stages",
  "phaseSeconds",
  "baseSeconds",
  "finalSeconds",
  "elapsedSeconds",
] as const;
/** Fields a version-1 checkpoint may lack (they were added later). */
const ADDED_IN_V2 = ["protect", "elapsedSeconds"];

const HISTORY_KEYS = ["step", "stage", "prereg", "loss", "weights"] as const;
const STAGE_KEYS = [
  "stage",
  "lambda",
  "weightsBefore",
  "cut",
  "weightsAfter",
  "preregBefore",
  "preregAfter",
  "accepted",
  "steps",
  "seconds",
] as const;

/**
 * The checkpoint text of a state: JSON in which NaN, ±Infinity and −0 are written as
 * the strings "NaN", "Infinity", "-Infinity" and "-0", so that reading it back with
 * {@link decodeCheckpoint} gives exactly the same state.
 *
 * @example
 * const text = encodeCheckpoint(startSynthesis(defaultConfig({ seed: 7 })));
 * decodeCheckpoint(text).accepted.prereg; // NaN (not measured before base training ends)
 */
export function encodeCheckpoint(state: SynthState): string {
  return JSON.stringify(state, encodeNumbers);
}

/**
 * Reads checkpoint text (a leading byte order mark is allowed), checking every field:
 * its type and range, the phase, that the weights are links of the configured
 * network, that Adam's moments belong to weights, and that the history counts every
 * step once. Throws a SchemaError (one line, naming the field) for anything else.
 *
 * @example
 * const text = encodeCheckpoint(startSynthesis(defaultConfig({ seed: 7 })));
 * const state = decodeCheckpoint(text); // what `vgrad synth --resume` reads
 * state.phase; // "base"
 */
export function decodeCheckpoint(text: string, name = "checkpoint"): SynthState {
  return readState(parseJson(text, name), { name, encoded: true });
}

/**
 * Checks a state object as {@link decodeCheckpoint} checks a checkpoint (numbers must
 * be numbers here) and throws a SchemaError naming the first bad field.
 *
 * @example
 * assertState(startSynthesis()); // ok
 */
export function assertState(state: unknown, name = "state"): asserts state is SynthState {
  readState(state, { name, encoded: false });
}

function readState(raw: unknown, ctx: ReadContext): SynthState {
  const o = readObject(raw, ctx, []);
  if (!Object.hasOwn(o, "version") || !Object.hasOwn(o, "phase")) {
    fail(
      ctx,
      [],
      `is not a vgrad synthesis checkpoint (it has no ${Object.hasOwn(o, "version") ? "phase" : "version"})`,
    );
  }
  const version = readNumber(o["version"], ctx, ["version"]);
  if (version !== 1 && version !== CHECKPOINT_VERSION) {
    fail(
      ctx,
      ["version"],
      `is ${describeVersion(o["version"])}; this vgrad reads checkpoint versions 1 and ${CHECKPOINT_VERSION}`,
    );
  }
  checkKeys(o, STATE_KEYS, version === 1 ? STATE_KEYS.filter((k) => !ADDED_IN_V2.includes(k)) : STATE_KEYS, ctx, []);
  const config: SynthConfig = readConfig(o["config"], ctx, ["config"], false);
  const phase = readChoice(o["phase"], ctx, ["phase"], PHASES);
  const { network, links } = networkFor(config);
  const layout = new Layout(
    links.map(([t, f, s, sf]) => [t, f, s, sf]),
    network.neurons,
  );

  const stage = readInt(o["stage"], ctx, ["stage"], 0);
  const totalSteps = readInt(o["totalSteps"], ctx, ["totalSteps"], 0);
  const extended = readBoolean(o["extended"], ctx, ["extended"]);
  const budget =
    phase === "base"
      ? config.baseSteps
      : phase === "stage"
        ? (extended ? 2 : 1) * config.stageSteps
        : phase === "final"
          ? config.finalSteps
          : Number.MAX_SAFE_INTEGER;
  const stepInPhase = readInt(o["stepInPhase"], ctx, ["stepInPhase"], 0, Math.min(budget, totalSteps));

  const soft = readMatrix(o["soft"], ctx, ["soft"], layout, null);
  const adamRaw = readObject(o["adam"], ctx, ["adam"]);
  checkKeys(adamRaw, ["t", "m", "v"], ["t", "m", "v"], ctx, ["adam"]);
  const softLinks = Layout.ofMatrix(soft, network.neurons);
  const adam = {
    t: readInt(adamRaw["t"], ctx, ["adam", "t"], 0),
    m: readMatrix(adamRaw["m"], ctx, ["adam", "m"], softLinks, null),
    v: readMatrix(adamRaw["v"], ctx, ["adam", "v"], softLinks, 0),
  };

  const acceptedRaw = readObject(o["accepted"], ctx, ["accepted"]);
  checkKeys(acceptedRaw, ["soft", "prereg", "weights"], ["soft", "prereg", "weights"], ctx, ["accepted"]);
  const acceptedSoft = readMatrix(acceptedRaw["soft"], ctx, ["accepted", "soft"], layout, null);
  // NaN only before base training has measured the first accepted network
  const prereg =
    phase === "base" && Number.isNaN(readNumber(acceptedRaw["prereg"], ctx, ["accepted", "prereg"]))
      ? Number.NaN
      : readFinite(acceptedRaw["prereg"], ctx, ["accepted", "prereg"], 0);
  const weights = readInt(acceptedRaw["weights"], ctx, ["accepted", "weights"], 0);
  const count = Layout.count(acceptedSoft);
  if (weights !== count) fail(ctx, ["accepted", "weights"], `is ${weights}, but accepted.soft has ${count} weights`);

  const history = readArray(o["history"], ctx, ["history"]).map((h, i) =>
    readHistoryEntry(h, ctx, ["history", i], i + 1),
  );
  if (history.length !== totalSteps)
    fail(ctx, ["history"], `has ${history.length} entries, but totalSteps is ${totalSteps}`);
  const stages = readArray(o["stages"], ctx, ["stages"]).map((r, i) => readStageRecord(r, ctx, ["stages", i]));

  const seconds = (k: string) => readFinite(o[k], ctx, [k], 0);
  const state: SynthState = {
    version: CHECKPOINT_VERSION,
    config,
    phase,
    stage,
    stepInPhase,
    totalSteps,
    soft,
    adam,
    lambda: readFinite(o["lambda"], ctx, ["lambda"], 0),
    fraction: readFinite(o["fraction"], ctx, ["fraction"], 0, 1),
    cut: readInt(o["cut"], ctx, ["cut"], 0),
    extended,
    protect: Object.hasOwn(o, "protect") ? readInt(o["protect"], ctx, ["protect"], 0) : 0,
    accepted: { soft: acceptedSoft, prereg, weights },
    history,
    stages,
    phaseSeconds: seconds("phaseSeconds"),
    baseSeconds: seconds("baseSeconds"),
    finalSeconds: seconds("finalSeconds"),
    elapsedSeconds: 0,
  };
  // version 1 did not store the elapsed time: it is the sum of the phases' times
  state.elapsedSeconds = Object.hasOwn(o, "elapsedSeconds")
    ? seconds("elapsedSeconds")
    : state.baseSeconds +
      stages.reduce((a, r) => a + r.seconds, 0) +
      (phase === "done" ? state.finalSeconds : state.phaseSeconds);
  return state;
}

function describeVersion(x: unknown): string {
  return typeof x === "number" ? String(x) : JSON.stringify(x);
}

function readHistoryEntry(raw: unknown, ctx: ReadContext, path: Path, step: number): HistoryEntry {
  const o = readObject(raw, ctx, path);
  checkKeys(o, HISTORY_KEYS, HISTORY_KEYS, ctx, path);
  const n = readInt(o["step"], ctx, [...path, "step"], 1);
  if (n !== step)
    fail(ctx, [...path, "step"], `is ${n}; the history numbers its steps 1, 2, 3, … so it must be ${step}`);
  return {
    step: n,
    stage: readInt(o["stage"], ctx, [...path, "stage"], -1),
    prereg: readFinite(o["prereg"], ctx, [...path, "prereg"], 0),
    loss: readFinite(o["loss"], ctx, [...path, "loss"], 0),
    weights: readInt(o["weights"], ctx, [...path, "weights"], 0),
  };
}

function readStageRecord(raw: unknown, ctx: ReadContext, path: Path): StageRecord {
  const o = readObject(raw, ctx, path);
  checkKeys(o, STAGE_KEYS, STAGE_KEYS, ctx, path);
  const int = (k: string, min: number) => readInt(o[k], ctx, [...path, k], min);
  const num = (k: string) => readFinite(o[k], ctx, [...path, k], 0);
  return {
    stage: int("stage", 1),
    lambda: num("lambda"),
    weightsBefore: int("weightsBefore", 0),
    cut: int("cut", 0),
    weightsAfter: int("weightsAfter", 0),
    preregBefore: num("preregBefore"),
    preregAfter: num("preregAfter"),
    accepted: readBoolean(o["accepted"], ctx, [...path, "accepted"]),
    steps: int("steps", 0),
    seconds: num("seconds"),
  };
}

/** The links a rank-4 matrix may hold, and the network's neuron names (for messages). */
class Layout {
  private readonly targets = new Set<string>();
  private readonly fields = new Set<string>();
  private readonly links = new Set<string>();

  constructor(
    links: ReadonlyArray<readonly [string, string, string, string]>,
    private readonly neurons: object,
  ) {
    for (const [t, f, s, sf] of links) {
      this.targets.add(t);
      this.fields.add(`${t}\0${f}`);
      this.links.add(`${t}\0${f}\0${s}\0${sf}`);
    }
  }

  static ofMatrix(m: VValue, neurons: object): Layout {
    const links: Array<[string, string, string, string]> = [];
    walk(m, (t, f, s, sf) => void links.push([t, f, s, sf]));
    return new Layout(links, neurons);
  }

  static count(m: VValue): number {
    let n = 0;
    walk(m, () => void n++);
    return n;
  }

  /** Why `path` (1 to 4 keys) cannot be in the matrix, or undefined when it can. */
  problem(path: readonly string[]): string | undefined {
    const [t, f, s, sf] = path;
    const known = (x: string) => Object.hasOwn(this.neurons, x);
    if (path.length === 1) {
      if (!known(t!)) return `names an unknown neuron "${t}"`;
      if (!this.targets.has(t!)) return `"${t}" has no trainable inputs here`;
    } else if (path.length === 2) {
      if (!this.fields.has(`${t}\0${f}`)) return `"${f}" is not a trainable input field of "${t}" here`;
    } else if (path.length === 3) {
      if (!known(s!)) return `names an unknown neuron "${s}"`;
    } else if (!this.links.has(`${t}\0${f}\0${s}\0${sf}`)) {
      return `is no trainable link ${t}.${f} ← ${s}.${sf} here`;
    }
    return undefined;
  }
}

function walk(m: VValue, each: (t: string, f: string, s: string, sf: string) => void): void {
  if (typeof m === "number") return;
  for (const t of Object.keys(m)) {
    const mt = m[t]!;
    if (typeof mt === "number") continue;
    for (const f of Object.keys(mt)) {
      const mf = mt[f]!;
      if (typeof mf === "number") continue;
      for (const s of Object.keys(mf)) {
        const ms = mf[s]!;
        if (typeof ms === "number") continue;
        for (const sf of Object.keys(ms)) each(t, f, s, sf);
      }
    }
  }
}

/**
 * A rank-4 matrix `W[target][field][source][sourceField]` of finite numbers (at least
 * `min` when given) whose links `layout` allows, as fresh null-prototype trees.
 */
function readMatrix(raw: unknown, ctx: ReadContext, path: Path, layout: Layout, min: number | null): VValue {
  const read = (x: unknown, keys: string[]): VValue => {
    const here = [...path, ...keys];
    if (keys.length === 4) return readFinite(x, ctx, here, min ?? -Infinity);
    const o = readObject(x, ctx, here);
    const out: Record<string, VValue> = Object.create(null);
    for (const k of Object.keys(o)) {
      const problem = layout.problem([...keys, k]);
      if (problem !== undefined) fail(ctx, [...here, k], problem);
      out[k] = read(o[k], [...keys, k]);
    }
    return out;
  };
  return read(raw, []);
}
