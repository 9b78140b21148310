/**
 * Core suite: four small workloads written once with vgrad operations and once with
 * @tensorflow/tfjs (CPU backend), each timed forward (plain values / no tape) and with
 * its gradient, in the same process. Each workload also carries its inputs as plain numbers,
 * so that a peer in another language (bench/torch.ts → bench/peers/torch_core.py) rebuilds
 * exactly the same function on exactly the same values.
 */
import {
  add,
  dot,
  flatten,
  layoutOf,
  unflatten,
  get,
  gradient,
  hvp,
  jit,
  jvp,
  leaves,
  linearCombination,
  mul,
  sub,
  sum,
  tanh,
  valueAndGradient,
  type VValue,
} from "../src/index.js";
import { measure, type Settings } from "./harness.js";
import type { CoreForward, CoreRow, JitProgramInfo, Measurement, TargetCheck } from "./report.js";
import { makeRng, randomLike } from "../src/testing/random.js";

type TF = typeof import("@tensorflow/tfjs");
type Tensor = import("@tensorflow/tfjs").Tensor;
type Tree = { [key: string]: VValue };

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The sum of the squares of all leaves of `v` (a gradient's squared norm). */
export function sumSquares(v: VValue): number {
  if (typeof v === "number") return v * v;
  let s = 0;
  for (const k in v) s += sumSquares(v[k]!);
  return s;
}

/** A JSON value (a workload's inputs, as sent to a peer process). */
export type Json = number | string | Json[] | { [key: string]: Json };

/** A workload: the same function in vgrad and in tfjs, plus its arguments. */
export interface Workload {
  id: string;
  label: string;
  description: string;
  /**
   * The workload's numbers as plain arrays, laid out as the tfjs version uses them (vectors,
   * row-major matrices): the values every implementation starts from.
   */
  inputs: { [name: string]: Json };
  vgradForward: () => number;
  vgradGradient: () => { value: number; gradient: VValue[] };
  /** The vgrad function and its arguments, for variants such as jit. */
  vgrad: { f: (...args: VValue[]) => VValue; args: VValue[] };
  /** Returns the loss as a number (read with dataSync, inside tf.tidy). */
  tfjsForward: () => number;
  /** Returns the loss and the squared norm of all gradients (read inside tf.tidy). */
  tfjsGradient: (read: boolean) => { value: number; gradSq: number };
  /** The workload's long-lived tensors, disposed after it is measured. */
  tensors: Tensor[];
}

// --- (a) a chain of 1000 scalar operations ----------------------------------------------
function scalarChain(tf: TF): Workload {
  const OPS = 1000;
  const x0 = 0.5,
    w = 0.9,
    b = 0.1;
  const chain = (x: VValue, wv: VValue, bv: VValue): VValue => {
    for (let k = 0; k < OPS; k++) {
      const r = k % 3;
      x = r === 0 ? mul(x, wv) : r === 1 ? add(x, bv) : tanh(x);
    }
    return x;
  };
  const chainTf = (x: Tensor, wv: Tensor, bv: Tensor): Tensor => {
    for (let k = 0; k < OPS; k++) {
      const r = k % 3;
      x = r === 0 ? tf.mul(x, wv) : r === 1 ? tf.add(x, bv) : tf.tanh(x);
    }
    return x;
  };
  const args = [tf.scalar(x0), tf.scalar(w), tf.scalar(b)];
  const g = tf.valueAndGrads((...a: Tensor[]) => chainTf(a[0]!, a[1]!, a[2]!) as import("@tensorflow/tfjs").Scalar);
  return {
    id: "scalar-chain",
    label: "(a) 1000-op scalar chain",
    description:
      "x ← x·w, x ← x + b, x ← tanh(x), repeated to 1000 operations on numbers (vgrad) / rank-0 tensors (tfjs); gradient with respect to x₀, w, b.",
    inputs: { ops: OPS, x0, w, b },
    vgrad: { f: chain, args: [x0, w, b] },
    vgradForward: () => chain(x0, w, b) as number,
    vgradGradient: () => valueAndGradient(chain, x0, w, b),
    tfjsForward: () => tf.tidy(() => chainTf(args[0]!, args[1]!, args[2]!).dataSync()[0]!),
    tfjsGradient: (read) => tf.tidy(() => readGrads(g(args), read)),
    tensors: args,
  };
}

function readGrads(r: { value: Tensor; grads: Tensor[] }, read: boolean): { value: number; gradSq: number } {
  const value = r.value.dataSync()[0]!;
  let gradSq = 0;
  if (read) for (const t of r.grads) for (const x of t.dataSync()) gradSq += x * x;
  return { value, gradSq };
}

// --- (b) elementwise ops on a 1000-leaf tree ---------------------------------------------
function elementwise(tf: TF): Workload {
  const rand = makeRng(2);
  const flat: number[] = [];
  const t: Tree = {};
  for (const gname of names("g", 10)) {
    const group: Tree = {};
    for (const u of names("u", 100)) {
      const x = 2 * rand() - 1;
      group[u] = x;
      flat.push(x);
    }
    t[gname] = group;
  }
  const f = (v: VValue): VValue => sum(tanh(mul(v, v)));
  const fTf = (v: Tensor): Tensor => tf.sum(tf.tanh(tf.mul(v, v)));
  const arg = tf.tensor1d(flat);
  const g = tf.valueAndGrads((v: Tensor) => fTf(v) as import("@tensorflow/tfjs").Scalar);
  return {
    id: "tree-1000",
    label: "(b) sum(tanh(t⊙t)), 1000 leaves",
    description:
      "A tree of 10 subtrees × 100 leaves (vgrad) / a 1000-vector (tfjs): sum(tanh(mul(t, t))); gradient with respect to t.",
    inputs: { t: flat },
    vgrad: { f, args: [t] },
    vgradForward: () => f(t) as number,
    vgradGradient: () => valueAndGradient(f, t),
    tfjsForward: () => tf.tidy(() => fTf(arg).dataSync()[0]!),
    tfjsGradient: (read) => tf.tidy(() => readGrads(g([arg]), read)),
    tensors: [arg],
  };
}

// --- (c) linearCombination of 50 trees of 20 keys ---------------------------------------
function linComb(tf: TF): Workload {
  const N = 50,
    K = 20;
  const rand = makeRng(3);
  const keys = names("k", K);
  const coeffs = Array.from({ length: N }, () => 2 * rand() - 1);
  const trees: Tree[] = [];
  const matrix: number[][] = [];
  for (let i = 0; i < N; i++) {
    const tr: Tree = {};
    const row: number[] = [];
    for (const k of keys) {
      const x = 2 * rand() - 1;
      tr[k] = x;
      row.push(x);
    }
    trees.push(tr);
    matrix.push(row);
  }
  const f = (...a: VValue[]): VValue => {
    const l = linearCombination(a.slice(0, N), a.slice(N));
    return dot(l, l);
  };
  const fTf = (c: Tensor, m: Tensor): Tensor => {
    const l = tf.matMul(c as import("@tensorflow/tfjs").Tensor2D, m as import("@tensorflow/tfjs").Tensor2D);
    return tf.sum(tf.mul(l, l));
  };
  const c = tf.tensor2d([coeffs]);
  const m = tf.tensor2d(matrix);
  const g = tf.valueAndGrads((ct: Tensor, mt: Tensor) => fTf(ct, mt) as import("@tensorflow/tfjs").Scalar);
  const args: VValue[] = [...coeffs, ...trees];
  return {
    id: "lincomb-50x20",
    label: "(c) linearCombination 50 × 20 keys",
    description:
      "l = Σᵢ cᵢ·tᵢ over 50 trees of 20 keys, loss ⟨l, l⟩ (vgrad: one linearCombination; tfjs: a [1,50]×[50,20] matMul); gradient with respect to all 50 coefficients and all 50 trees.",
    inputs: { c: coeffs, m: matrix },
    vgrad: { f, args },
    vgradForward: () => f(...args) as number,
    vgradGradient: () => valueAndGradient(f, ...args),
    tfjsForward: () => tf.tidy(() => fTf(c, m).dataSync()[0]!),
    tfjsGradient: (read) => tf.tidy(() => readGrads(g([c, m]), read)),
    tensors: [c, m],
  };
}

// --- (d) a 3-layer 32-wide tanh MLP with tree weights -----------------------------------
function mlp(tf: TF): Workload {
  const WIDTH = 32,
    LAYERS = 3;
  const rand = makeRng(4);
  const unitNames = [names("x", WIDTH), ...Array.from({ length: LAYERS }, (_, l) => names(`h${l + 1}-`, WIDTH))];
  const params: Tree = {};
  const tfParams: Tensor[] = [];
  const layers: Json[] = [];
  const scaleW = 1 / Math.sqrt(WIDTH);
  for (let l = 1; l <= LAYERS; l++) {
    const ins = unitNames[l - 1]!,
      outs = unitNames[l]!;
    const W: Tree = {};
    const wRows: number[][] = [];
    for (const i of ins) {
      const col: Tree = {};
      const row: number[] = [];
      for (const o of outs) {
        const x = scaleW * (2 * rand() - 1) * Math.sqrt(3);
        col[o] = x;
        row.push(x);
      }
      W[i] = col;
      wRows.push(row);
    }
    const b: Tree = {};
    const bRow: number[] = [];
    for (const o of outs) {
      const x = 0.1 * (2 * rand() - 1);
      b[o] = x;
      bRow.push(x);
    }
    params[`layer-${l}`] = { W, b };
    layers.push({ W: wRows, b: bRow });
    tfParams.push(tf.tensor2d(wRows), tf.tensor1d(bRow));
  }
  const xs = unitNames[0]!.map(() => 2 * rand() - 1);
  const ys = unitNames[LAYERS]!.map(() => 2 * rand() - 1);
  const x: Tree = Object.fromEntries(unitNames[0]!.map((n, i) => [n, xs[i]!]));
  const y: Tree = Object.fromEntries(unitNames[LAYERS]!.map((n, i) => [n, ys[i]!]));

  // Each layer is one linearCombination: h' = tanh(Σᵢ h[i] · W[i] + b), W[i] a tree over output units.
  const net = (P: VValue): VValue => {
    let h: VValue = x;
    for (let l = 1; l <= LAYERS; l++) {
      const L = get(P, `layer-${l}`);
      const W = get(L, "W");
      const ins = unitNames[l - 1]!;
      h = tanh(
        add(
          linearCombination(
            ins.map((n) => get(h, n)),
            ins.map((n) => get(W, n)),
          ),
          get(L, "b"),
        ),
      );
    }
    const e = sub(h, y);
    return dot(e, e);
  };
  const xT = tf.tensor2d([xs]);
  const yT = tf.tensor2d([ys]);
  const netTf = (p: Tensor[]): Tensor => {
    let h: Tensor = xT;
    for (let l = 0; l < LAYERS; l++) {
      h = tf.tanh(
        tf.add(
          tf.matMul(h as import("@tensorflow/tfjs").Tensor2D, p[2 * l] as import("@tensorflow/tfjs").Tensor2D),
          p[2 * l + 1]!,
        ),
      );
    }
    const e = tf.sub(h, yT);
    return tf.sum(tf.mul(e, e));
  };
  const g = tf.valueAndGrads((...p: Tensor[]) => netTf(p) as import("@tensorflow/tfjs").Scalar);
  return {
    id: "mlp-3x32",
    label: "(d) 3-layer 32-wide tanh MLP",
    description:
      "Input 32, three tanh layers of 32 units, loss ‖h₃ − y‖², batch 1. vgrad: weights are trees keyed by unit names ({layer-l: {W: {in: {out: w}}, b: {out: b}}}), each layer one linearCombination of weight columns with get-read activations; tfjs: matMul + add + tanh. Gradient with respect to all 3 168 weights and biases.",
    inputs: { layers, x: xs, y: ys },
    vgrad: { f: net, args: [params] },
    vgradForward: () => net(params) as number,
    vgradGradient: () => valueAndGradient(net, params),
    tfjsForward: () => tf.tidy(() => netTf(tfParams).dataSync()[0]!),
    tfjsGradient: (read) => tf.tidy(() => readGrads(g(tfParams), read)),
    tensors: [...tfParams, xT, yT],
  };
}

/** DESIGN.md's target for gradient time / forward time. */
const RATIO_TARGET = 3;
/** Issue 9's targets: a jvp ≤ 3 forwards, a Hessian-vector product ≤ 4 gradients. */
export const JVP_TARGET = 3;
export const HVP_TARGET = 4;
/** Issue 7's target for the first jit call (trace + compile) ÷ one eager value + gradient. */
export const FIRST_CALL_TARGET = 3;

/**
 * Issue 7's targets for one workload under jit: gradient/forward ≤ 3, first call ≤ 3×
 * one eager value + gradient, and (when a tfjs time is given) value + gradient faster than tfjs.
 */
export function jitTargets(
  label: string,
  gradientOverForward: number,
  firstCallOverEager: number,
  vsTfjs?: number,
): TargetCheck[] {
  const out: TargetCheck[] = [
    {
      what: `${label}: jit gradient/forward`,
      target: `≤ ${RATIO_TARGET}`,
      measured: gradientOverForward.toFixed(2),
      ratio: gradientOverForward / RATIO_TARGET,
      met: gradientOverForward <= RATIO_TARGET,
    },
  ];
  if (vsTfjs !== undefined) {
    out.push({
      what: `${label}: jit vs tfjs (gradient)`,
      target: "faster (< 1)",
      measured: vsTfjs.toFixed(3),
      ratio: vsTfjs,
      met: vsTfjs < 1,
    });
  }
  out.push({
    what: `${label}: jit first call ÷ eager value+gradient`,
    target: `≤ ${FIRST_CALL_TARGET}`,
    measured: firstCallOverEager.toFixed(2),
    ratio: firstCallOverEager / FIRST_CALL_TARGET,
    met: firstCallOverEager <= FIRST_CALL_TARGET,
  });
  return out;
}

const WORKLOADS: ReadonlyArray<readonly [string, (tf: TF) => Workload]> = [
  ["scalar-chain", scalarChain],
  ["tree-1000", elementwise],
  ["lincomb-50x20", linComb],
  ["mlp-3x32", mlp],
];
/** The workload ids of this suite, for filtering. */
export const CORE_IDS: readonly string[] = WORKLOADS.map(([id]) => id);

/** Builds the workloads whose id passes `filter` (their tfjs tensors too: dispose them after use). */
export function makeWorkloads(tf: TF, filter: (id: string) => boolean): Workload[] {
  return WORKLOADS.filter(([id]) => filter(id)).map(([, make]) => make(tf));
}

/** Loads tfjs with its pure-JS CPU backend (prod mode: no debug checks, no Node banner). */
export async function loadTf(): Promise<TF> {
  const tf = await import("@tensorflow/tfjs");
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
  return tf;
}

/**
 * The first leaf where `b` differs from `a` by more than `rel` relative to the larger of
 * the two and the largest leaf of both (an absent leaf counts as 0), or null.
 */
export function treeDifference(a: VValue, b: VValue, rel: number): string | null {
  const la = new Map(leaves(a).map(([p, x]) => [JSON.stringify(p), x]));
  const lb = new Map(leaves(b).map(([p, x]) => [JSON.stringify(p), x]));
  let scale = 0;
  for (const m of [la, lb]) for (const x of m.values()) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  for (const key of new Set([...la.keys(), ...lb.keys()])) {
    const x = la.get(key) ?? 0,
      y = lb.get(key) ?? 0;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!(Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y), scale))) return `${key}: ${x} vs ${y}`;
  }
  return null;
}

/** Operations, memory slots and hosted operations (no flat kernel) of the largest program of a jitted function. */
export function programInfo(f: ReturnType<typeof jit>): JitProgramInfo {
  const p = f.programs().reduce((a, b) => (b.operations > a.operations ? b : a));
  return { operations: p.operations, slots: p.initial.length, hosted: Object.fromEntries(p.hosted) };
}

/** jit's results must be eager's: values to this relative difference (the promise). */
export const JIT_SAME = 1e-12;

/** A workload's function under jit, with its forward and value + gradient calls. */
export interface JitWorkload {
  jf: ReturnType<typeof jit>;
  jitForward: () => VValue;
  jitGradient: () => { value: number; gradient: VValue[] };
  /** Value + gradient on flat arrays, the gradients written into fixed Float64Arrays. */
  jitFlatGradient: () => VValue;
}

/**
 * The workload's function under jit, checked first to give eager mode's forward value,
 * value and gradient to {@link JIT_SAME} (else the jit rows would time something else):
 * throws naming every difference.
 */
export function jitWorkload(w: Workload): JitWorkload {
  const { f, args } = w.vgrad;
  const jf = jit(f);
  const jitForward = (): VValue => jf(...args);
  const jitGradient = (): { value: number; gradient: VValue[] } => valueAndGradient(jf, ...args);
  const vForward = f(...args) as number;
  const vr = valueAndGradient(f, ...args);
  const jv = jitForward() as number;
  const jr = jitGradient();
  const problems = [
    relClose(jv, vForward, JIT_SAME) ? null : `forward ${jv}, eager ${vForward}`,
    relClose(jr.value, vr.value, JIT_SAME) ? null : `value ${jr.value}, eager ${vr.value}`,
    ...vr.gradient.map((g, i) => {
      const d = treeDifference(g, jr.gradient[i]!, JIT_SAME);
      return d === null ? null : `gradient of argument ${i} at ${d} (eager vs jit)`;
    }),
  ].filter((p) => p !== null);
  if (problems.length > 0) {
    throw new Error(`${w.label}: jit differs from eager mode (wanted ≤ ${JIT_SAME} relative): ${problems.join("; ")}`);
  }
  // on flat arrays: the same gradient, scattered densely onto the arguments' layouts
  const fl = jf.flat(...args);
  const flatArgs = args.map((a) => flatten(a).values);
  const flatGrads = args.map((a) => new Float64Array(layoutOf(a).size));
  const jitFlatGradient = (): VValue => fl.valueAndGradient(flatArgs, flatGrads);
  const fv = jitFlatGradient() as number;
  const flatProblems = [
    relClose(fv, vr.value, JIT_SAME) ? null : `value ${fv}, eager ${vr.value}`,
    ...vr.gradient.map((g, i) => {
      const d = treeDifference(withLeavesOf(args[i]!, g), unflatten(fl.layouts[i]!, flatGrads[i]!), JIT_SAME);
      return d === null ? null : `gradient of argument ${i} at ${d} (eager vs jit on flat arrays)`;
    }),
  ].filter((p) => p !== null);
  if (flatProblems.length > 0) {
    throw new Error(`${w.label}: jit on flat arrays differs from eager mode: ${flatProblems.join("; ")}`);
  }
  return { jf, jitForward, jitGradient, jitFlatGradient };
}

/** `g` on the layout of `arg`: its leaves where it has them, 0 elsewhere (a dense gradient). */
function withLeavesOf(arg: VValue, g: VValue): VValue {
  if (typeof arg === "number") return typeof g === "number" ? g : 0;
  const out: Record<string, VValue> = Object.create(null) as Record<string, VValue>;
  for (const k of Object.keys(arg)) {
    const gk = typeof g === "number" ? undefined : Object.hasOwn(g, k) ? g[k] : undefined;
    out[k] = withLeavesOf(arg[k]!, gk ?? 0);
  }
  return out;
}

/** A workload in forward mode: its tangents (dense, random) and the jvp and hvp calls. */
export interface ForwardWorkload {
  forwardJvp: () => { value: VValue; tangent: VValue };
  forwardHvp: () => VValue[];
}

/**
 * The workload's jvp and hvp along random tangents, checked first against reverse mode
 * (else the rows would time something else): the jvp's value is the forward's, its
 * tangent ⟨∇f, t⟩, and hvp equals reverse-over-reverse (a gradient of ⟨∇f, t⟩), to 1e-9
 * relative. Throws naming every difference.
 */
export function forwardWorkload(w: Workload): ForwardWorkload {
  const { f, args } = w.vgrad;
  const rng = makeRng(9);
  const tangents = args.map((a) => randomLike(a, rng));
  const forwardJvp = () => jvp(f, args, tangents);
  const forwardHvp = () => hvp(f, args, tangents);
  const j = forwardJvp();
  const g = gradient(f, ...args);
  const dirDeriv = g.reduce<number>((s, gi, i) => s + dot(gi, tangents[i]!), 0);
  const rr = gradient(
    (...xs: VValue[]) => {
      const gs = gradient(f, ...xs);
      return gs.reduce<VValue>((s, gi, i) => add(s, dot(gi, tangents[i]!)), 0);
    },
    ...args,
  );
  const h = forwardHvp();
  const problems = [
    relClose(j.value as number, w.vgradForward(), 1e-12)
      ? null
      : `jvp value ${String(j.value)}, forward ${w.vgradForward()}`,
    relClose(j.tangent as number, dirDeriv, 1e-9) ? null : `jvp tangent ${String(j.tangent)}, ⟨∇f, t⟩ ${dirDeriv}`,
    ...rr.map((r, i) => {
      const d = treeDifference(r, h[i]!, 1e-9);
      return d === null ? null : `hvp of argument ${i} at ${d} (reverse-over-reverse vs hvp)`;
    }),
  ].filter((p) => p !== null);
  if (problems.length > 0) {
    throw new Error(`${w.label}: forward mode differs from reverse mode: ${problems.join("; ")}`);
  }
  return { forwardJvp, forwardHvp };
}

/** Issue 9's targets for one workload in forward mode. */
export function forwardTargets(label: string, fm: CoreForward): TargetCheck[] {
  return [
    {
      what: `${label}: jvp/forward`,
      target: `≤ ${JVP_TARGET}`,
      measured: fm.jvpOverForward.toFixed(2),
      ratio: fm.jvpOverForward / JVP_TARGET,
      met: fm.jvpOverForward <= JVP_TARGET,
    },
    {
      what: `${label}: hvp/gradient`,
      target: `≤ ${HVP_TARGET}`,
      measured: fm.hvpOverGradient.toFixed(2),
      ratio: fm.hvpOverGradient / HVP_TARGET,
      met: fm.hvpOverGradient <= HVP_TARGET,
    },
  ];
}

/** |a − b| ≤ rel · max(|a|, |b|, 1e-12). */
export function relClose(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

export async function runCore(
  settings: Settings,
  filter: (id: string) => boolean,
): Promise<{ rows: CoreRow[]; targets: TargetCheck[] }> {
  const tf = await loadTf();
  const rows: CoreRow[] = [];
  for (const [id, make] of WORKLOADS) {
    if (!filter(id)) continue;
    const before = tf.memory().numTensors;
    const w = make(tf);
    // same workload check: loss and gradient norm from both libraries
    const vr = w.vgradGradient();
    const tr = w.tfjsGradient(true);
    const vForward = w.vgradForward();
    const tForward = w.tfjsForward();
    const vgradGradNorm = Math.sqrt(vr.gradient.reduce<number>((s, g) => s + sumSquares(g), 0));
    const tfjsGradNorm = Math.sqrt(tr.gradSq);
    const ok =
      relClose(vr.value, tr.value, 1e-4) &&
      relClose(vForward, vr.value, 1e-12) &&
      relClose(tForward, tr.value, 1e-6) &&
      relClose(vgradGradNorm, tfjsGradNorm, 1e-3);

    const { f, args } = w.vgrad;
    const { jf, jitForward, jitGradient, jitFlatGradient } = jitWorkload(w);
    const { forwardJvp, forwardHvp } = forwardWorkload(w);
    const [vf, vg, jfw, jgr, jflat, jfirst, tfw, tgr, fjvp, fhvp] = measure(
      w.label,
      [
        { name: "vgrad forward", fn: w.vgradForward },
        { name: "vgrad valueAndGradient", fn: w.vgradGradient },
        { name: "jit forward", fn: jitForward },
        { name: "jit valueAndGradient", fn: jitGradient },
        { name: "jit valueAndGradient on flat arrays", fn: jitFlatGradient },
        { name: "jit first call (trace + compile)", fn: () => valueAndGradient(jit(f), ...args) },
        { name: "tfjs forward", fn: w.tfjsForward },
        { name: "tfjs valueAndGrads", fn: () => w.tfjsGradient(false) },
        { name: "vgrad jvp", fn: forwardJvp },
        { name: "vgrad hvp", fn: forwardHvp },
      ],
      settings,
    ) as Measurement[] as [
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
    ];
    tf.dispose(w.tensors);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) process.stderr.write(`  warning: ${w.id} leaked ${leaked} tensors\n`);
    rows.push({
      id: w.id,
      label: w.label,
      description: w.description,
      vgradForward: vf,
      vgradGradient: vg,
      tfjsForward: tfw,
      tfjsGradient: tgr,
      gradientOverForward: vg.medianMs / vf.medianMs,
      tfjsGradientOverForward: tgr.medianMs / tfw.medianMs,
      forwardVsTfjs: vf.medianMs / tfw.medianMs,
      gradientVsTfjs: vg.medianMs / tgr.medianMs,
      check: { vgradValue: vr.value, tfjsValue: tr.value, vgradGradNorm, tfjsGradNorm, ok },
      jit: {
        forward: jfw,
        gradient: jgr,
        firstCall: jfirst,
        gradientOverForward: jgr.medianMs / jfw.medianMs,
        forwardOverEager: jfw.medianMs / vf.medianMs,
        gradientOverEager: jgr.medianMs / vg.medianMs,
        gradientVsTfjs: jgr.medianMs / tgr.medianMs,
        flatGradient: jflat,
        flatGradientVsTfjs: jflat.medianMs / tgr.medianMs,
        firstCallOverEagerGradient: jfirst.medianMs / vg.medianMs,
        program: programInfo(jf),
      },
      forwardMode: {
        jvp: fjvp,
        hvp: fhvp,
        jvpOverForward: fjvp.medianMs / vf.medianMs,
        hvpOverGradient: fhvp.medianMs / vg.medianMs,
      },
    });
  }
  const targets: TargetCheck[] = [];
  for (const r of rows) {
    targets.push({
      what: `${r.label}: gradient/forward`,
      target: `≤ ${RATIO_TARGET}`,
      measured: `${r.gradientOverForward.toFixed(2)}`,
      ratio: r.gradientOverForward / RATIO_TARGET,
      met: r.gradientOverForward <= RATIO_TARGET,
    });
    targets.push({
      what: `${r.label}: vgrad vs tfjs (gradient)`,
      target: "faster (< 1)",
      measured: `${r.gradientVsTfjs.toFixed(3)}`,
      ratio: r.gradientVsTfjs,
      met: r.gradientVsTfjs < 1,
    });
    targets.push({
      what: `${r.label}: vgrad vs tfjs (forward)`,
      target: "faster (< 1)",
      measured: `${r.forwardVsTfjs.toFixed(3)}`,
      ratio: r.forwardVsTfjs,
      met: r.forwardVsTfjs < 1,
    });
    if (r.jit !== undefined) {
      targets.push(
        ...jitTargets(r.label, r.jit.gradientOverForward, r.jit.firstCallOverEagerGradient, r.jit.gradientVsTfjs),
      );
      if (r.jit.flatGradientVsTfjs !== undefined) {
        targets.push({
          what: `${r.label}: jit on flat arrays vs tfjs (gradient)`,
          target: "faster (< 1)",
          measured: r.jit.flatGradientVsTfjs.toFixed(3),
          ratio: r.jit.flatGradientVsTfjs,
          met: r.jit.flatGradientVsTfjs < 1,
        });
      }
    }
    if (r.forwardMode !== undefined) targets.push(...forwardTargets(r.label, r.forwardMode));
  }
  return { rows, targets };
}
