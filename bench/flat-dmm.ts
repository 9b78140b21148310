/**
 * The speed limit for the DMM detector loss: a hand-written flat forward + backward
 * (SPEC-DMM §2–§5) over Float64Arrays, compiled once per network structure.
 *
 * Every value a field can hold is a small dense vector over the keys that can reach
 * the field and matter downstream (fixed at compile time), so one cycle is a few
 * loops over index arrays. The forward pass stores every cycle's inputs x and outputs
 * y; the reverse sweep runs through all cycles (through accumulator memory, or cut
 * there with compat-2022). Sub-gradients follow vgrad's eager conventions:
 * relu'(0) = 1; a norm passes its gradient to one maximal key, the first in the key
 * order of vgrad's tree; a clipped dot passes none; abs'(0) = 0.
 *
 * Neurons whose inputs are hard links from such neurons only (timer, input, const_1,
 * eos) do not depend on the weights: their outputs are taken from one plain run of
 * vgrad's engine at compile time, as is the key order of every norm's input.
 */
import {
  linksOf,
  liveNetwork,
  neurons as B,
  run,
  SELF,
  targets,
  withSoft,
  type Link,
  type Network,
  type NeuronType,
} from "../src/dmm/index.js";
import type { VValue } from "../src/index.js";

/** Options of {@link compileFlatDmm}: one text, as in SPEC-DMM §5. */
export interface FlatDmmOptions {
  text: string;
  cycles: number;
  /** L1 coefficient λ (default 0.001). */
  lambda?: number;
  /** Cut backpropagation at every accumulator's memory input (default false). */
  compat2022?: boolean;
}

/** A network compiled to flat arrays; weights are in the order of {@link FlatDmm.links}. */
export interface FlatDmm {
  /** The soft links, in `linksOf(soft)` order: the layout of weights and gradients. */
  readonly links: readonly Link[];
  /** The compiled matrix's own weights, in that order. */
  readonly weights: Float64Array;
  /** The loss `prereg + λ·Σ|w|` and its parts. */
  loss(weights: Float64Array): { loss: number; prereg: number; regL1: number };
  /** The loss and its gradient with respect to every soft weight. */
  lossAndGradient(weights: Float64Array): { loss: number; prereg: number; regL1: number; grad: Float64Array };
}

const NUMBER_KEY = ":number";
type Kind = "timer" | "input" | "const_1" | "eos" | "accum" | "norm" | "dot" | "compare" | "output";
const KINDS = new Map<NeuronType, Kind>([
  [B.timer, "timer"],
  [B.input, "input"],
  [B.const1, "const_1"],
  [B.eos, "eos"],
  [B.accum, "accum"],
  [B.norm, "norm"],
  [B.dotNeuron, "dot"],
  [B.compare, "compare"],
  [B.output, "output"],
]);
const DOT_BOUND = 4;

/** The keys of a field's value (a number is its ":number" part). */
function keysOfValue(v: VValue | undefined): string[] {
  if (v === undefined) return [];
  return typeof v === "number" ? [NUMBER_KEY] : Object.keys(v);
}

function child(v: VValue | undefined, k: string): VValue | undefined {
  return v === undefined || typeof v === "number" || !Object.prototype.hasOwnProperty.call(v, k) ? undefined : v[k];
}

const fieldId = (n: string, f: string): string => JSON.stringify([n, f]);

/**
 * Compiles `network` with soft matrix `soft` (any soft matrix over the DMM Lite
 * neuron types) for the detector loss on one text, once; the result evaluates the
 * loss and gradient for any weights of the same links.
 *
 * @example
 * const flat = compileFlatDmm(layeredNetwork().network, soft, { text: "test string.", cycles: 140, lambda: 0.001 });
 * const { loss, grad } = flat.lossAndGradient(flat.weights); // grad[i] is ∂loss/∂(flat.links[i])
 */
export function compileFlatDmm(network: Network, soft: VValue, options: FlatDmmOptions): FlatDmm {
  const { text, cycles } = options;
  const lambda = options.lambda ?? 0.001;
  const compat = options.compat2022 ?? false;
  if (typeof text !== "string" || text.length === 0)
    throw new RangeError("compileFlatDmm: text must be a non-empty string");
  if (!Number.isInteger(cycles) || cycles < 1)
    throw new RangeError(`compileFlatDmm: cycles must be an integer >= 1, got ${cycles}`);
  if (!Number.isFinite(lambda)) throw new RangeError(`compileFlatDmm: lambda must be finite, got ${lambda}`);

  const live = liveNetwork(withSoft(network, soft));
  if (Object.prototype.hasOwnProperty.call(live.neurons, SELF))
    throw new RangeError("compileFlatDmm: a network with Self is not DMM Lite");
  const kind = new Map<string, Kind>();
  for (const name of Object.keys(live.neurons)) {
    const k = KINDS.get(live.neurons[name]!);
    if (k === undefined) {
      throw new RangeError(
        `compileFlatDmm: neuron "${name}" has type "${live.neurons[name]!.name}", not one of the built-in DMM Lite types (timer, input, const_1, eos, accum, norm, dot clipped at 4, compare, output)`,
      );
    }
    kind.set(name, k);
  }
  if (kind.get("output") !== "output")
    throw new RangeError('compileFlatDmm: the network needs a neuron "output" of type output');

  const softLinks = linksOf(soft);
  const hardLinks = linksOf(network.hard);
  const isLive = (l: Link): boolean => kind.has(l[0]) && kind.has(l[2]);
  const allLinks = [
    ...softLinks.map((l, i) => ({ l, w: i, soft: true })),
    ...hardLinks.map((l, i) => ({ l, w: softLinks.length + i, soft: false })),
  ].filter(({ l }) => isLive(l));

  // Static neurons: fed by hard links from static neurons only (the greatest such set).
  const stat = new Set<string>([...kind.keys()].filter((n) => kind.get(n) !== "output"));
  for (let changed = true; changed;) {
    changed = false;
    for (const { l, soft: isSoft } of allLinks) {
      if (stat.has(l[0]) && (isSoft || !stat.has(l[2]))) {
        stat.delete(l[0]);
        changed = true;
      }
    }
  }
  for (const [n, k] of kind) {
    if ((k === "timer" || k === "input") && !stat.has(n)) {
      throw new RangeError(
        `compileFlatDmm: neuron "${n}" (${k}) must be fed by hard links from static neurons only: its value must not depend on the weights`,
      );
    }
  }

  // One plain run: the static outputs per cycle and the key order of every norm's input.
  const norms = [...kind].filter(([n, k]) => k === "norm" && !stat.has(n)).map(([n]) => n);
  const staticFields: Array<[string, string]> = [];
  for (const n of stat) for (const f of live.neurons[n]!.outputs ?? []) staticFields.push([n, f]);
  const staticValues: Array<Array<VValue | undefined>> = []; // [cycle-1][static field]
  const normKeyOrder: string[][][] = []; // [cycle-1][norm]
  run(live, {
    cycles,
    env: { text, compat2022: compat },
    onCycle: (_c, x, y) => {
      staticValues.push(staticFields.map(([n, f]) => child(child(y, n), f)));
      normKeyOrder.push(norms.map((n) => keysOfValue(child(child(x, n), "dict"))));
    },
  });

  // Reachable keys of every field (fixpoint over the links), then the keys that matter.
  const reach = new Map<string, Set<string>>();
  const reachOf = (n: string, f: string): Set<string> => {
    const id = fieldId(n, f);
    let s = reach.get(id);
    if (s === undefined) reach.set(id, (s = new Set()));
    return s;
  };
  staticFields.forEach(([n, f], i) => {
    const s = reachOf(n, f);
    for (const vs of staticValues) for (const k of keysOfValue(vs[i])) s.add(k);
  });
  for (const [n, k] of kind) {
    if (stat.has(n)) continue;
    if (k === "norm") reachOf(n, "norm").add(NUMBER_KEY);
    if (k === "dot") reachOf(n, "dot").add(NUMBER_KEY);
    if (k === "compare") {
      reachOf(n, "true").add(NUMBER_KEY);
      reachOf(n, "false").add(NUMBER_KEY);
    }
  }
  const addAll = (to: Set<string>, from: Set<string>): boolean => {
    const before = to.size;
    for (const k of from) to.add(k);
    return to.size !== before;
  };
  const dynLinks = allLinks.filter(({ l }) => !stat.has(l[0]));
  for (let changed = true; changed;) {
    changed = false;
    for (const { l } of dynLinks) changed = addAll(reachOf(l[0], l[1]), reachOf(l[2], l[3])) || changed;
    for (const [n, k] of kind) {
      if (k === "accum" && !stat.has(n)) {
        changed = addAll(reachOf(n, "dict"), reachOf(n, "dict-1")) || changed;
        changed = addAll(reachOf(n, "dict"), reachOf(n, "dict-2")) || changed;
      }
    }
  }
  const ALL = new Set<string>();
  for (const s of reach.values()) addAll(ALL, s);
  const needed = new Map<string, Set<string>>();
  const neededOf = (n: string, f: string): Set<string> => {
    const id = fieldId(n, f);
    let s = needed.get(id);
    if (s === undefined) needed.set(id, (s = new Set()));
    return s;
  };
  for (const [n, k] of kind) {
    if (stat.has(n)) continue;
    if (k === "norm") addAll(neededOf(n, "dict"), ALL);
    if (k === "dot") {
      addAll(neededOf(n, "dict-1"), reachOf(n, "dict-2"));
      addAll(neededOf(n, "dict-2"), reachOf(n, "dict-1"));
    }
    if (k === "compare" || k === "output") {
      neededOf(n, "dict-1").add(NUMBER_KEY);
      neededOf(n, "dict-2").add(NUMBER_KEY);
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const { l } of dynLinks) changed = addAll(neededOf(l[2], l[3]), neededOf(l[0], l[1])) || changed;
    for (const [n, k] of kind) {
      if (k === "accum" && !stat.has(n)) {
        changed = addAll(neededOf(n, "dict-1"), neededOf(n, "dict")) || changed;
        changed = addAll(neededOf(n, "dict-2"), neededOf(n, "dict")) || changed;
      }
    }
  }
  const keyList = (r: Set<string>, need: Set<string>): string[] => [...r].filter((k) => need.has(k)).sort();

  // Slots: y (outputs) of dynamic fields, then of static ones; x (inputs) of dynamic targets.
  const ySlot = new Map<string, Map<string, number>>();
  const xSlot = new Map<string, Map<string, number>>();
  let nY = 0,
    nX = 0;
  const allocY = (n: string, f: string, keys: readonly string[]): void => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, nY++);
    ySlot.set(fieldId(n, f), m);
  };
  const allocX = (n: string, f: string, keys: readonly string[]): void => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, nX++);
    xSlot.set(fieldId(n, f), m);
  };
  const dynamic = [...kind.keys()].filter((n) => !stat.has(n));
  for (const n of dynamic) {
    const k = kind.get(n)!;
    if (k === "accum") {
      const keys = keyList(new Set([...reachOf(n, "dict-1"), ...reachOf(n, "dict-2")]), neededOf(n, "dict"));
      allocY(n, "dict", keys);
      allocX(n, "dict-1", keys);
      allocX(n, "dict-2", keys);
    } else if (k === "dot") {
      const keys = keyList(reachOf(n, "dict-1"), reachOf(n, "dict-2"));
      allocY(n, "dot", [NUMBER_KEY]);
      allocX(n, "dict-1", keys);
      allocX(n, "dict-2", keys);
    } else {
      for (const f of live.neurons[n]!.outputs ?? []) allocY(n, f, [NUMBER_KEY]);
      for (const f of live.neurons[n]!.inputs ?? []) allocX(n, f, keyList(reachOf(n, f), neededOf(n, f)));
    }
  }
  for (const [n, f] of staticFields) allocY(n, f, [...reachOf(n, f)].sort());

  // The down movement: soft links (weights 0..nSoft-1), then hard ones, each a list of
  // (source slot, target slot) pairs over the keys both sides hold.
  const nSoft = softLinks.length;
  const linkW: number[] = [],
    pairStart: number[] = [0],
    pairSrc: number[] = [],
    pairTgt: number[] = [];
  for (const { l, w } of dynLinks) {
    const src = ySlot.get(fieldId(l[2], l[3])),
      tgt = xSlot.get(fieldId(l[0], l[1]));
    if (src === undefined || tgt === undefined) {
      throw new RangeError(`compileFlatDmm: link ${l.slice(0, 4).join(".")} joins fields the neuron types do not have`);
    }
    linkW.push(w);
    for (const [k, s] of src) {
      const t = tgt.get(k);
      if (t !== undefined) {
        pairSrc.push(s);
        pairTgt.push(t);
      }
    }
    pairStart.push(pairSrc.length);
  }
  const LW = Int32Array.from(linkW),
    PS = Int32Array.from(pairStart),
    PSRC = Int32Array.from(pairSrc),
    PTGT = Int32Array.from(pairTgt);
  const wAll = new Float64Array(nSoft + hardLinks.length);
  hardLinks.forEach((l, i) => {
    wAll[nSoft + i] = l[4];
  });

  // The up movement, by type.
  const slotOr = (m: Map<string, number> | undefined, k: string): number => m?.get(k) ?? -1;
  const accOut: number[] = [],
    accMem: number[] = [],
    accIn: number[] = [];
  const normOut: number[] = [];
  const dotOut: number[] = [],
    dotStart: number[] = [0],
    dotA: number[] = [],
    dotB: number[] = [];
  const cmpA: number[] = [],
    cmpB: number[] = [],
    cmpT: number[] = [],
    cmpF: number[] = [];
  for (const n of dynamic) {
    const k = kind.get(n)!;
    const xs = (f: string): Map<string, number> => xSlot.get(fieldId(n, f))!;
    const ys = (f: string): Map<string, number> => ySlot.get(fieldId(n, f))!;
    if (k === "accum") {
      for (const [key, o] of ys("dict")) {
        accOut.push(o);
        accMem.push(xs("dict-1").get(key)!);
        accIn.push(xs("dict-2").get(key)!);
      }
    } else if (k === "norm") {
      normOut.push(ys("norm").get(NUMBER_KEY)!);
    } else if (k === "dot") {
      dotOut.push(ys("dot").get(NUMBER_KEY)!);
      for (const [key, a] of xs("dict-1")) {
        dotA.push(a);
        dotB.push(xs("dict-2").get(key)!);
      }
      dotStart.push(dotA.length);
    } else if (k === "compare") {
      cmpA.push(slotOr(xs("dict-1"), NUMBER_KEY));
      cmpB.push(slotOr(xs("dict-2"), NUMBER_KEY));
      cmpT.push(ys("true").get(NUMBER_KEY)!);
      cmpF.push(ys("false").get(NUMBER_KEY)!);
    }
  }
  const ACC_O = Int32Array.from(accOut),
    ACC_M = Int32Array.from(accMem),
    ACC_I = Int32Array.from(accIn);
  const NORM_O = Int32Array.from(normOut);
  const DOT_O = Int32Array.from(dotOut),
    DOT_S = Int32Array.from(dotStart),
    DOT_A = Int32Array.from(dotA),
    DOT_B = Int32Array.from(dotB);
  const CMP_A = Int32Array.from(cmpA),
    CMP_B = Int32Array.from(cmpB),
    CMP_T = Int32Array.from(cmpT),
    CMP_F = Int32Array.from(cmpF);
  const nNorm = NORM_O.length,
    nDot = DOT_O.length;
  const Y1 = slotOr(xSlot.get(fieldId("output", "dict-1")), NUMBER_KEY);
  const Y2 = slotOr(xSlot.get(fieldId("output", "dict-2")), NUMBER_KEY);

  // Each norm's present input keys per cycle, in vgrad's key order (ties go to the first);
  // `norms` and NORM_O list the same neurons in the same order (that of `kind`).
  const normOrderStart = new Int32Array(cycles * nNorm + 1);
  const normOrder: number[] = [];
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < nNorm; i++) {
      normOrderStart[c * nNorm + i] = normOrder.length;
      const slots = xSlot.get(fieldId(norms[i]!, "dict"))!;
      for (const key of normKeyOrder[c]![i]!) {
        const s = slots.get(key);
        if (s !== undefined) normOrder.push(s);
      }
    }
  }
  normOrderStart[cycles * nNorm] = normOrder.length;
  const NORM_ORDER = Int32Array.from(normOrder);

  // Histories: x of cycles 1..T, y of cycles 0..T (static slots filled here, once).
  const X = new Float64Array((cycles + 1) * nX);
  const Y = new Float64Array((cycles + 1) * nY);
  for (let c = 1; c <= cycles; c++) {
    staticFields.forEach(([n, f], i) => {
      const v = staticValues[c - 1]![i];
      for (const [key, s] of ySlot.get(fieldId(n, f))!) {
        const x = typeof v === "number" ? (key === NUMBER_KEY ? v : 0) : v === undefined ? 0 : child(v, key);
        Y[c * nY + s] = typeof x === "number" ? x : 0;
      }
    });
  }
  const normArg = new Int32Array(cycles * Math.max(nNorm, 1));
  const dotPass = new Uint8Array(cycles * Math.max(nDot, 1));
  const z = targets(text, cycles);
  const Z = new Float64Array(2 * cycles);
  for (let c = 0; c < cycles; c++) {
    Z[2 * c] = z[c]![0];
    Z[2 * c + 1] = z[c]![1];
  }
  const prog: Program = {
    cycles,
    nX,
    nY,
    nSoft,
    compat,
    lambda,
    X,
    Y,
    wAll,
    LW,
    PS,
    PSRC,
    PTGT,
    ACC_O,
    ACC_M,
    ACC_I,
    NORM_O,
    NORM_ORDER,
    normOrderStart,
    normArg,
    DOT_O,
    DOT_S,
    DOT_A,
    DOT_B,
    dotPass,
    CMP_A,
    CMP_B,
    CMP_T,
    CMP_F,
    Y1,
    Y2,
    Z,
    XB: new Float64Array(nX),
    YB: new Float64Array(nY),
  };
  const check = (weights: Float64Array): void => {
    if (!(weights instanceof Float64Array) || weights.length !== nSoft) {
      throw new RangeError(
        `flat DMM: weights must be a Float64Array of length ${nSoft}, got ${weights instanceof Float64Array ? `length ${weights.length}` : typeof weights}`,
      );
    }
  };
  return {
    links: softLinks,
    weights: Float64Array.from(softLinks, (l) => l[4]),
    loss: (weights) => {
      check(weights);
      return forward(prog, weights);
    },
    lossAndGradient: (weights) => {
      check(weights);
      const r = forward(prog, weights);
      return { ...r, grad: backward(prog, weights) };
    },
  };
}

/** The compiled network: index arrays, histories and scratch space. */
interface Program {
  cycles: number;
  /** Slots of x (inputs) and y (outputs) per cycle. */
  nX: number;
  nY: number;
  nSoft: number;
  compat: boolean;
  lambda: number;
  /** x of cycles 1..T at c·nX, y of cycles 0..T at c·nY. */
  X: Float64Array;
  Y: Float64Array;
  /** Soft weights, then hard ones. */
  wAll: Float64Array;
  /** Link l: weight wAll[LW[l]], slot pairs PS[l] .. PS[l+1] of PSRC (y) → PTGT (x). */
  LW: Int32Array;
  PS: Int32Array;
  PSRC: Int32Array;
  PTGT: Int32Array;
  /** Accumulator keys: y[ACC_O] = x[ACC_M] (memory) + x[ACC_I]. */
  ACC_O: Int32Array;
  ACC_M: Int32Array;
  ACC_I: Int32Array;
  /** Norm i at cycle c reads the x slots NORM_ORDER[normOrderStart[(c−1)·nNorm + i] ..] in vgrad's key order. */
  NORM_O: Int32Array;
  NORM_ORDER: Int32Array;
  normOrderStart: Int32Array;
  /** The slot each norm took its maximum from, per cycle (−1: none). */
  normArg: Int32Array;
  /** Dot i: Σ x[DOT_A[p]]·x[DOT_B[p]] over p in DOT_S[i] .. DOT_S[i+1]. */
  DOT_O: Int32Array;
  DOT_S: Int32Array;
  DOT_A: Int32Array;
  DOT_B: Int32Array;
  /** Whether each dot was inside the clip bounds, per cycle. */
  dotPass: Uint8Array;
  /** Compare i: the x slots of n(dict-1), n(dict-2) (−1: always 0), the y slots of true, false. */
  CMP_A: Int32Array;
  CMP_B: Int32Array;
  CMP_T: Int32Array;
  CMP_F: Int32Array;
  /** The x slots of the answers y1, y2 (−1: always 0), and the targets z1, z2 per cycle. */
  Y1: number;
  Y2: number;
  Z: Float64Array;
  /** Cotangents of one cycle's x and y. */
  XB: Float64Array;
  YB: Float64Array;
}

/** Runs all cycles, storing x, y, norm choices and dot clips; returns the loss. */
function forward(P: Program, weights: Float64Array): { loss: number; prereg: number; regL1: number } {
  const {
    cycles,
    nX,
    nY,
    nSoft,
    lambda,
    X,
    Y,
    wAll,
    LW,
    PS,
    PSRC,
    PTGT,
    ACC_O,
    ACC_M,
    ACC_I,
    NORM_O,
    NORM_ORDER,
    normOrderStart,
    normArg,
  } = P;
  const { DOT_O, DOT_S, DOT_A, DOT_B, dotPass, CMP_A, CMP_B, CMP_T, CMP_F, Y1, Y2, Z } = P;
  const L = LW.length,
    nAcc = ACC_O.length,
    nNorm = NORM_O.length,
    nDot = DOT_O.length,
    nCmp = CMP_T.length;
  wAll.set(weights);
  let prereg = 0;
  for (let c = 1; c <= cycles; c++) {
    const xo = c * nX,
      yp = (c - 1) * nY,
      yo = c * nY;
    X.fill(0, xo, xo + nX);
    for (let l = 0; l < L; l++) {
      const w = wAll[LW[l]!]!;
      for (let p = PS[l]!, e = PS[l + 1]!; p < e; p++) {
        const t = xo + PTGT[p]!;
        X[t] = X[t]! + w * Y[yp + PSRC[p]!]!;
      }
    }
    for (let i = 0; i < nAcc; i++) Y[yo + ACC_O[i]!] = X[xo + ACC_M[i]!]! + X[xo + ACC_I[i]!]!;
    for (let i = 0; i < nNorm; i++) {
      const q = (c - 1) * nNorm + i;
      let best = -1,
        arg = -1;
      for (let p = normOrderStart[q]!, e = normOrderStart[q + 1]!; p < e; p++) {
        const a = Math.abs(X[xo + NORM_ORDER[p]!]!);
        if (a > best) {
          best = a;
          arg = NORM_ORDER[p]!;
        }
      }
      normArg[q] = arg;
      Y[yo + NORM_O[i]!] = arg < 0 ? 0 : best;
    }
    for (let i = 0; i < nDot; i++) {
      let s = 0;
      for (let p = DOT_S[i]!, e = DOT_S[i + 1]!; p < e; p++) s += X[xo + DOT_A[p]!]! * X[xo + DOT_B[p]!]!;
      const pass = s >= -DOT_BOUND && s <= DOT_BOUND;
      dotPass[(c - 1) * nDot + i] = pass ? 1 : 0;
      Y[yo + DOT_O[i]!] = pass ? s : s < 0 ? -DOT_BOUND : DOT_BOUND;
    }
    for (let i = 0; i < nCmp; i++) {
      const a = CMP_A[i]! < 0 ? 0 : X[xo + CMP_A[i]!]!,
        b = CMP_B[i]! < 0 ? 0 : X[xo + CMP_B[i]!]!;
      const d = a - b,
        e = b - a;
      Y[yo + CMP_T[i]!] = d > 0 ? d : 0;
      Y[yo + CMP_F[i]!] = e > 0 ? e : 0;
    }
    const e1 = (Y1 < 0 ? 0 : X[xo + Y1]!) - Z[2 * c - 2]!,
      e2 = (Y2 < 0 ? 0 : X[xo + Y2]!) - Z[2 * c - 1]!;
    prereg += e1 * e1;
    prereg += e2 * e2;
  }
  let regL1 = 0;
  for (let l = 0; l < nSoft; l++) regL1 += Math.abs(weights[l]!);
  return { loss: prereg + lambda * regL1, prereg, regL1 };
}

/** The reverse sweep over the histories {@link forward} stored: the gradient of the loss. */
function backward(P: Program, weights: Float64Array): Float64Array {
  const {
    cycles,
    nX,
    nY,
    nSoft,
    compat,
    lambda,
    X,
    Y,
    wAll,
    LW,
    PS,
    PSRC,
    PTGT,
    ACC_O,
    ACC_M,
    ACC_I,
    NORM_O,
    normArg,
  } = P;
  const { DOT_O, DOT_S, DOT_A, DOT_B, dotPass, CMP_A, CMP_B, CMP_T, CMP_F, Y1, Y2, Z, XB, YB } = P;
  const L = LW.length,
    nAcc = ACC_O.length,
    nNorm = NORM_O.length,
    nDot = DOT_O.length,
    nCmp = CMP_T.length;
  const grad = new Float64Array(nSoft);
  for (let l = 0; l < nSoft; l++) grad[l] = lambda * Math.sign(weights[l]!);
  YB.fill(0);
  for (let c = cycles; c >= 1; c--) {
    const xo = c * nX,
      yp = (c - 1) * nY;
    XB.fill(0);
    if (Y1 >= 0) XB[Y1] = 2 * (X[xo + Y1]! - Z[2 * c - 2]!);
    if (Y2 >= 0) XB[Y2] = 2 * (X[xo + Y2]! - Z[2 * c - 1]!);
    for (let i = 0; i < nAcc; i++) {
      const g = YB[ACC_O[i]!]!;
      XB[ACC_I[i]!] = XB[ACC_I[i]!]! + g;
      if (!compat) XB[ACC_M[i]!] = XB[ACC_M[i]!]! + g;
    }
    for (let i = 0; i < nNorm; i++) {
      const arg = normArg[(c - 1) * nNorm + i]!;
      if (arg >= 0) XB[arg] = XB[arg]! + YB[NORM_O[i]!]! * Math.sign(X[xo + arg]!);
    }
    for (let i = 0; i < nDot; i++) {
      if (!dotPass[(c - 1) * nDot + i]) continue;
      const g = YB[DOT_O[i]!]!;
      for (let p = DOT_S[i]!, e = DOT_S[i + 1]!; p < e; p++) {
        const a = DOT_A[p]!,
          b = DOT_B[p]!;
        XB[a] = XB[a]! + g * X[xo + b]!;
        XB[b] = XB[b]! + g * X[xo + a]!;
      }
    }
    for (let i = 0; i < nCmp; i++) {
      const ia = CMP_A[i]!,
        ib = CMP_B[i]!;
      const a = ia < 0 ? 0 : X[xo + ia]!,
        b = ib < 0 ? 0 : X[xo + ib]!;
      // relu'(0) = 1, as vgrad's relu
      const gd = (a - b >= 0 ? YB[CMP_T[i]!]! : 0) - (b - a >= 0 ? YB[CMP_F[i]!]! : 0);
      if (ia >= 0) XB[ia] = XB[ia]! + gd;
      if (ib >= 0) XB[ib] = XB[ib]! - gd;
    }
    // the down movement of cycle c, backwards: into y of cycle c − 1 and the weights
    YB.fill(0);
    for (let l = 0; l < L; l++) {
      const wi = LW[l]!,
        w = wAll[wi]!;
      let gw = 0;
      for (let p = PS[l]!, e = PS[l + 1]!; p < e; p++) {
        const xb = XB[PTGT[p]!]!,
          s = PSRC[p]!;
        gw += xb * Y[yp + s]!;
        YB[s] = YB[s]! + w * xb;
      }
      if (wi < nSoft) grad[wi] = grad[wi]! + gw;
    }
  }
  return grad;
}
