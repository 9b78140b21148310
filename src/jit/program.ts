/**
 * Lowering a jit trace to a flat program: every value the outputs need gets a region
 * (its layout at an offset) of one Float64Array, every operation a kernel over those
 * regions. Replaying is running the kernels in order: no trees, no closures per
 * operation, nothing allocated but the memory itself.
 */
import type { Kernel, Primitive, Region } from "../ad/primitive.js";
import { INDEX, TRACE, Tracked, VALUE, type Val } from "../ad/tracked.js";
import { layoutKey, layoutOf, unflatten, writeLeaves, type Layout, type Skeleton } from "../vvalue/layout.js";
import type { VValue } from "../vvalue/types.js";
import { ARGS, JitNode, PARAMS, PRIM, type JitTrace, type PrimalRead } from "./trace.js";
import { addPrim } from "../ad/structural.js";
import { slotMap as slotMapInto } from "../ad/kernels.js";

/** The region of an argument given as `undefined` (an operation's "absent"): no slots. */
const ABSENT: Region = { layout: layoutOf({}), offset: -1 };

/** Thrown by a replay whose values or structure differ from the trace's where that matters. */
export class ReplayMismatch extends Error {}

/** A value of the program: where it lives, or the constant it is. */
export type Place = { region: Region } | { constant: VValue };

/** A lowered program. */
export interface Program {
  /** Memory size in float64 slots; constants are pre-filled in `initial`. */
  readonly initial: Float64Array;
  /** Where each input's leaves go. */
  readonly inputs: readonly Region[];
  /** Kernels in order; `split` separates a first segment (forward) from the rest. */
  readonly kernels: readonly Kernel[];
  readonly split: number;
  /** Values that `primal` read while tracing: a replay must find the same leaves there. */
  readonly guards: ReadonlyArray<{ region: Region; values: Float64Array; where: string; segment: 0 | 1 }>;
  readonly outputs: readonly Place[];
  /** Number of recorded operations that were lowered (for reports). */
  readonly operations: number;
  /** Operations run through their plain implementation (no flat kernel), by name. */
  readonly hosted: ReadonlyMap<string, number>;
  /** Memory slots given to results, by operation name (where a program's memory goes). */
  readonly slotsByOperation: ReadonlyMap<string, number>;
}

/**
 * Lowers `trace` to a program computing `outputs` from `inputs`. Nodes recorded
 * before tape index `splitAt` form the first segment.
 */
export function lower(
  trace: JitTrace,
  inputs: readonly JitNode[],
  outputs: readonly Val[],
  splitAt = Infinity,
): Program {
  const tape = trace.tape as JitNode[];
  // what the outputs and the guards need
  const needed = new Uint8Array(tape.length);
  const stack: JitNode[] = [];
  const want = (v: Val): void => {
    if (v instanceof JitNode && v[TRACE] === trace && !needed[v[INDEX]]) {
      needed[v[INDEX]] = 1;
      stack.push(v);
    }
  };
  outputs.forEach(want);
  trace.reads.forEach((r) => want(r.box));
  while (stack.length > 0) stack.pop()![ARGS].forEach(want);
  // how often each value is read; outputs and guarded values are pinned
  const uses = new Int32Array(tape.length);
  for (const node of tape) {
    if (!needed[node[INDEX]]) continue;
    for (const a of node[ARGS]) if (a instanceof JitNode && a[TRACE] === trace) uses[a[INDEX]] = uses[a[INDEX]]! + 1;
  }
  const pin = (v: Val): void => {
    if (v instanceof JitNode && v[TRACE] === trace) uses[v[INDEX]] = uses[v[INDEX]]! + 2;
  };
  outputs.forEach(pin);
  trace.reads.forEach((r) => pin(r.box));
  const chainOf = sumChains(tape, needed, uses, trace);
  const chainRegion = new Map<SumChain, Region>();
  const regionLayout = (n: JitNode): Layout => intern(n[VALUE] as VValue);

  // one Layout object per structure, so that path maps are computed once per structure
  const layouts = new Map<string, Layout>();
  const intern = (v: VValue): Layout => {
    const key = layoutKey(v);
    const known = layouts.get(key);
    if (known !== undefined) return known;
    const l = layoutOf(v);
    layouts.set(key, l);
    return l;
  };
  let size = 0;
  const constants: Array<{ offset: number; value: VValue }> = [];
  const regionOf = new Map<JitNode, Region>();
  const place = (layout: Layout): Region => {
    const r = { layout, offset: size };
    size += layout.size;
    return r;
  };
  const constantRegion = (v: VValue): Region => {
    const r = place(intern(v));
    constants.push({ offset: r.offset, value: v });
    return r;
  };
  const regionOfArg = (a: Val | undefined): Region => {
    if (a === undefined) return ABSENT;
    if (a instanceof JitNode && a[TRACE] === trace) return regionOf.get(a)!;
    if (a instanceof Tracked) throw new Error("jit: a value of another trace reached a lowered operation");
    return constantRegion(a);
  };
  for (const x of inputs) regionOf.set(x, place(intern(x[VALUE] as VValue)));

  const kernels: Kernel[] = [];
  let split = 0;
  let operations = 0;
  const hosted = new Map<string, number>();
  const slotsByOperation = new Map<string, number>();
  for (const node of tape) {
    if (!needed[node[INDEX]] || node[PRIM] === null) continue;
    const args = node[ARGS].map(regionOfArg);
    const layout = intern(node[VALUE] as VValue);
    const shared = node[PRIM]!.alias?.({ params: node[PARAMS], args, out: { layout } });
    if (shared !== undefined) {
      regionOf.set(node, { layout, offset: shared });
      continue;
    }
    // a chain of sums (a cotangent accumulating, term by term): one region for the
    // whole chain, each term added into it
    const chain = chainOf.get(node);
    if (chain !== undefined) {
      let R = chainRegion.get(chain);
      if (R === undefined) chainRegion.set(chain, (R = place(regionLayout(chain.tail))));
      regionOf.set(node, { layout: node === chain.tail ? layout : R.layout, offset: R.offset });
      if (node === chain.head) {
        slotsByOperation.set("add", (slotsByOperation.get("add") ?? 0) + R.layout.size);
        kernels.push(chain.start(args[0]!, R), chain.term(node, args[1]!, R));
      } else kernels.push(chain.term(node, args[1]!, R));
      operations++;
      if (node[INDEX] < splitAt) split = kernels.length;
      continue;
    }
    const out = place(layout);
    regionOf.set(node, out);
    slotsByOperation.set(node[PRIM]!.name, (slotsByOperation.get(node[PRIM]!.name) ?? 0) + layout.size);
    const site = { params: node[PARAMS], args, out };
    const kernel = node[PRIM]!.lower?.(site);
    if (kernel === undefined) hosted.set(node[PRIM]!.name, (hosted.get(node[PRIM]!.name) ?? 0) + 1);
    kernels.push(kernel ?? hostKernel(node[PRIM]!, site));
    operations++;
    if (node[INDEX] < splitAt) split = kernels.length;
  }
  const initial = new Float64Array(size);
  for (const c of constants) writeLeaves(c.value, initial, c.offset);
  const guards = trace.reads
    .filter((r) => regionOf.has(r.box))
    .map((r: PrimalRead) => {
      const region = regionOf.get(r.box)!;
      const values = new Float64Array(region.layout.size);
      writeLeaves(r.box[VALUE] as VValue, values, 0);
      return { region, values, where: r.where, segment: r.box[INDEX] < splitAt ? (0 as const) : (1 as const) };
    });
  return {
    initial,
    inputs: inputs.map((x) => regionOf.get(x)!),
    kernels,
    split,
    guards,
    outputs: outputs.map((o): Place =>
      o instanceof JitNode && o[TRACE] === trace ? { region: regionOf.get(o)! } : { constant: o as VValue },
    ),
    operations,
    hosted,
    slotsByOperation,
  };
}

/**
 * A chain of `add`s where each sum is read only by the next: `((a + b₁) + b₂) + …`, as
 * the reverse pass builds a cotangent. Lowered into one region with the last sum's
 * layout; each term is added where its paths fall, the first term at a slot assigned
 * (as the plain `add` copies what one side alone has), so the values are the plain ones.
 */
class SumChain {
  readonly nodes: JitNode[] = [];
  /** Slots of the chain's region already written by an earlier term (at lowering time). */
  private written: Uint8Array | null = null;
  constructor(readonly head: JitNode) {
    this.nodes.push(head);
  }
  get tail(): JitNode {
    return this.nodes[this.nodes.length - 1]!;
  }
  /** Zero-fills the region and adds the first sum's left side. */
  start(first: Region, R: Region): Kernel {
    this.written = new Uint8Array(R.layout.size);
    const add = this.termKernel(first, R);
    const o = R.offset,
      n = R.layout.size;
    return (M) => {
      M.fill(0, o, o + n);
      add(M);
    };
  }
  term(_node: JitNode, b: Region, R: Region): Kernel {
    return this.termKernel(b, R);
  }
  private termKernel(b: Region, R: Region): Kernel {
    const m = slotMapInto(b, R);
    const assign = new Uint8Array(m.length);
    for (let i = 0; i < m.length; i++) {
      if (m[i]! < 0) throw new Error("jit: a term of a sum has a leaf its result lacks");
      if (!this.written![m[i]!]) assign[i] = this.written![m[i]!] = 1;
    }
    const o = R.offset,
      from = b.offset;
    return (M) => {
      for (let i = 0; i < m.length; i++) {
        const at = o + m[i]!;
        M[at] = assign[i] ? M[from + i]! : M[at]! + M[from + i]!;
      }
    };
  }
}

/** The `add` chains among the needed nodes, by node. */
function sumChains(
  tape: readonly JitNode[],
  needed: Uint8Array,
  uses: Int32Array,
  trace: JitTrace,
): Map<JitNode, SumChain> {
  const chainOf = new Map<JitNode, SumChain>();
  for (const node of tape) {
    if (!needed[node[INDEX]] || node[PRIM] !== addPrim) continue;
    const [a, b] = node[ARGS];
    const prev =
      a instanceof JitNode && a[TRACE] === trace && a !== b && uses[a[INDEX]] === 1 ? chainOf.get(a) : undefined;
    if (prev !== undefined) {
      prev.nodes.push(node);
      chainOf.set(node, prev);
    } else chainOf.set(node, new SumChain(node));
  }
  // a lone add is no chain
  for (const [node, c] of chainOf) if (c.nodes.length < 2) chainOf.delete(node);
  return chainOf;
}

/**
 * The kernel of an operation without a flat one: rebuild its arguments as V-values,
 * call its plain implementation, and check that the result has the traced layout.
 */
function hostKernel(prim: Primitive<unknown>, site: { params: unknown; args: readonly Region[]; out: Region }): Kernel {
  const { params, args, out } = site;
  return (M) => {
    const values = args.map((r) => (r === ABSENT ? undefined : unflatten(r.layout, M, r.offset))) as VValue[];
    const v = prim.impl(values, params);
    if (layoutKey(v) !== out.layout.key) {
      throw new ReplayMismatch(`${prim.name}: its result has another structure than when it was traced`);
    }
    writeLeaves(v, M, out.offset);
  };
}

/**
 * Fills the inputs' regions of `M` from `args`, checking on the way that each has its
 * traced layout (same keys in the same order, same kinds); false when one does not
 * (a tree changed in place since its structure was last read).
 */
export function writeInputs(program: Program, args: readonly VValue[], M: Float64Array): boolean {
  for (let i = 0; i < args.length; i++) {
    const r = program.inputs[i]!;
    if (!writeChecked(args[i]!, r.layout.skeleton, M, r.offset)) return false;
  }
  return true;
}

const keyLists = new WeakMap<object, string[]>();

function writeChecked(v: unknown, s: Skeleton, M: Float64Array, base: number): boolean {
  if (typeof s === "number") {
    if (typeof v !== "number") return false;
    M[base + s] = v;
    return true;
  }
  if (typeof v !== "object" || v === null) return false;
  let ks = keyLists.get(s);
  if (ks === undefined) keyLists.set(s, (ks = Object.keys(s)));
  let i = 0;
  for (const k in v) {
    if (ks[i] !== k || !writeChecked((v as Record<string, unknown>)[k], s[k]!, M, base)) return false;
    i++;
  }
  return i === ks.length;
}

/** Runs kernels [from, to) on M. */
export function runKernels(program: Program, M: Float64Array, from: number, to: number): void {
  const ks = program.kernels;
  for (let k = from; k < to; k++) ks[k]!(M);
}

/** The first guard of a segment (0: before the split, 1: after) whose leaves differ from the trace's, or null. */
export function failedGuard(program: Program, M: Float64Array, segment: 0 | 1): { where: string } | null {
  for (const g of program.guards) {
    if (g.segment !== segment) continue;
    const o = g.region.offset,
      want = g.values;
    for (let i = 0; i < want.length; i++) {
      const x = M[o + i]!,
        y = want[i]!;
      if (x !== y && !(x !== x && y !== y)) return g;
    }
  }
  return null;
}

/** Output `i` of a run as a V-value. */
export function readOutput(program: Program, M: Float64Array, i: number): VValue {
  const p = program.outputs[i]!;
  return "constant" in p ? p.constant : unflatten(p.region.layout, M, p.region.offset);
}
