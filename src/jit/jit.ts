/**
 * `jit(f)`: trace f once per input structure, lower the trace to a flat program
 * (src/jit/program.ts), and replay it on later calls with that structure. Called
 * plainly it replays the forward program; met by a reverse-mode trace it is one
 * primitive whose pullback replays the reverse half of a program traced through
 * `pullback(f)` — so `gradient(jit(f), x)` runs forward and backward on flat arrays.
 */
import { forwardTangent } from "../ad/forward.js";
import { apply, holdsTracked, innermostTrace, lift, type Primitive } from "../ad/primitive.js";
import { pullback } from "../ad/pullback.js";
import { markProjected } from "../ad/structural.js";
import { bottom, tracing, withActiveTrace, type Val } from "../ad/tracked.js";
import { layoutKey, layoutOf, slotsByPath, pathKeys, unflatten, writeLeaves, type Layout } from "../vvalue/layout.js";
import type { VValue } from "../vvalue/types.js";
import { validate } from "../vvalue/validate.js";
import { failedGuard, lower, readOutput, ReplayMismatch, runKernels, writeInputs, type Program } from "./program.js";
import { JitTrace, type JitNode } from "./trace.js";

/** Options of {@link jit}. */
export interface JitOptions {
  /**
   * What a call does when a value that `primal` read while tracing has changed (the
   * function's control flow depends on its arguments' values): `"error"` (default)
   * throws, naming where `primal` was called; `"retrace"` traces again.
   */
  onValueChange?: "error" | "retrace";
  /** Compiled structures kept per function (least recently used dropped first); default 16. */
  maxStructures?: number;
}

/** A function as {@link jit} returns it: f's signature, plus what it compiled. */
export type Jitted<F> = F & {
  /** Programs compiled so far (one per input structure and mode). */
  readonly traces: number;
  /** The programs compiled so far, for inspection (sizes, operations without flat kernels). */
  readonly programs: () => Program[];
  /**
   * f's value and gradient on flat arrays, for arguments of the structure of `args`
   * (see {@link FlatFunction}): for training loops that keep parameters, gradients and
   * optimizer state in Float64Arrays between steps.
   *
   * @example
   * const f = jit((w: VValue) => sum(mul(w, w)));
   * const fl = f.flat({ a: 1, b: 2 });
   * const w = new Float64Array([1, 2]),
   *   g = new Float64Array(2);
   * fl.valueAndGradient([w], [g]); // 5
   * g; // Float64Array [2, 4]
   */
  readonly flat: (...args: Parameters<F & ((...a: any[]) => VValue)>) => FlatFunction;
};

/**
 * A jitted function fixed to one structure of its arguments, called on their leaves
 * as Float64Arrays in {@link layouts} (the order of `flatten`): no trees are built or
 * read per call but the value and the cotangent.
 */
export interface FlatFunction {
  /** Each argument's layout: leaf `k` of argument `i` is `args[i][k]`. */
  readonly layouts: readonly Layout[];
  /**
   * f's value at the flat arguments, and the gradient of `⟨cotangent, f⟩` (default 1:
   * f's gradient, for a scalar f) with respect to each argument, written into
   * `gradients[i]` when given — dense, in `layouts[i]`, 0 where f does not depend on a
   * leaf. The cotangent is a V-value of f's result's kind; each cotangent structure is
   * compiled once.
   */
  valueAndGradient(
    args: readonly Float64Array[],
    gradients: ReadonlyArray<Float64Array | undefined>,
    cotangent?: VValue,
  ): VValue;
}

interface GradientProgram {
  program: Program;
  /** Index of the cotangent among the program's inputs. */
  cotangentInput: number;
  /**
   * Memories whose pullback has run, to reuse: a forward keeps its memory until its
   * pullback reads it, and copying the initial memory per call would cost as much as
   * the program's size (every kernel rewrites its own slots, so a used one is fine).
   */
  free: Float64Array[];
}

interface Entry {
  forward?: Program;
  /** The forward program's memory, reused by plain calls (kernels overwrite all they write). */
  memory?: Float64Array;
  /** Gradient programs by the cotangent's layout key. */
  gradients: Map<string, GradientProgram>;
}

interface CallParams {
  fn: Compiler;
  /** The forward memory of this call, for its pullback. */
  memory: { program: GradientProgram; M: Float64Array } | null;
}

/**
 * Structure ids of trees already seen (a short id per distinct layout, so that a call's
 * structure key is short to build and to hash: a 1000-leaf layout key hashed per call
 * cost a tenth of a replay). A tree changed in place (V-values are meant to be
 * immutable, but nothing enforces it) is caught when its leaves are written: then its
 * id is forgotten and read again.
 */
const keyCache = new WeakMap<object, string>();

/** Ids of layout keys; ids are never reused, so clearing the table only costs retraces. */
const layoutIds = new Map<string, string>();
let nextLayoutId = 0;
const MAX_LAYOUT_IDS = 10_000;

function layoutId(layoutKey: string): string {
  let id = layoutIds.get(layoutKey);
  if (id === undefined) {
    if (layoutIds.size >= MAX_LAYOUT_IDS) layoutIds.clear();
    layoutIds.set(layoutKey, (id = `L${nextLayoutId++}`));
  }
  return id;
}

/** Thrown when an argument no longer has the structure cached for it. */
class StaleStructure extends Error {}

function forgetStructure(args: readonly VValue[]): void {
  for (const a of args) if (typeof a === "object") keyCache.delete(a);
}

/** Runs `body`; if an argument's cached structure was stale, forgets it and runs `body` once more. */
function withFreshStructure<T>(args: readonly VValue[], body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (!(e instanceof StaleStructure)) throw e;
    forgetStructure(args);
    return body();
  }
}

/** The structure of the arguments, checking each once (a tree seen before is not walked again). */
function structureKey(args: readonly VValue[]): string {
  let key = "";
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (typeof a === "number") key += "#\u0001";
    else {
      let k = keyCache.get(a);
      if (k === undefined) {
        validate(a, { name: `jit: argument ${i}` });
        keyCache.set(a, (k = layoutId(layoutKey(a))));
      }
      key += k + "\u0001";
    }
  }
  return key;
}

/** Everything one jitted function has compiled. */
class Compiler {
  readonly cache = new Map<string, Entry>();
  traces = 0;
  constructor(
    readonly f: (...args: VValue[]) => VValue,
    readonly options: Required<JitOptions>,
  ) {}

  private entry(key: string): Entry {
    let e = this.cache.get(key);
    if (e !== undefined) {
      this.cache.delete(key); // most recently used last
      this.cache.set(key, e);
      return e;
    }
    e = { gradients: new Map() };
    this.cache.set(key, e);
    if (this.cache.size > this.options.maxStructures) this.cache.delete(this.cache.keys().next().value!);
    return e;
  }

  /** Traces f alone and lowers it; returns the program and the traced value. */
  private traceForward(args: readonly VValue[]): { program: Program; value: VValue } {
    const jt = new JitTrace();
    const inputs = args.map((a) => jt.input(a));
    let out: Val;
    try {
      out = withActiveTrace(() => this.f(...(inputs as unknown as VValue[])) as Val);
      checkResult(out);
      out = lift(out, jt);
    } finally {
      jt.done = true;
    }
    this.traces++;
    return { program: lower(jt, inputs, [out]), value: bottom(out) };
  }

  /** Traces pullback(f) and its back(g); the reverse half starts where back began. */
  private traceGradient(args: readonly VValue[], g: VValue): { gp: GradientProgram; value: VValue; grads: VValue[] } {
    const jt = new JitTrace();
    const inputs = args.map((a) => jt.input(a));
    let outputs: Val[] = [];
    let split = 0;
    let gIn: JitNode;
    try {
      withActiveTrace(() => {
        const { value, back } = pullback(this.f, ...(inputs as unknown as VValue[]));
        split = jt.tape.length;
        gIn = jt.input(g);
        const grads = back(gIn as unknown as VValue);
        outputs = [value, ...grads].map((o) => lift(o as Val, jt));
      });
    } finally {
      jt.done = true;
    }
    this.traces++;
    const program = lower(jt, [...inputs, gIn!], outputs, split);
    return {
      gp: { program, cotangentInput: inputs.length, free: [] },
      value: bottom(outputs[0]!),
      grads: outputs.slice(1).map((o) => bottom(o)),
    };
  }

  /** A plain call: replay the forward program of this structure (trace it first if new). */
  call(args: VValue[]): VValue {
    return withFreshStructure(args, () => this.callOnce(args));
  }

  private callOnce(args: VValue[]): VValue {
    const key = structureKey(args);
    const e = this.entry(key);
    if (e.forward !== undefined) {
      // a plain call of this function from inside its own kernels would find the memory taken
      const M = e.memory ?? e.forward.initial.slice();
      e.memory = undefined;
      try {
        if (this.replay(e.forward, args, M, 0, e.forward.kernels.length)) return readOutput(e.forward, M, 0);
      } finally {
        e.memory = M;
      }
    }
    const { program, value } = this.traceForward(args);
    e.forward = program;
    return value;
  }

  /** Runs kernels [from, to) after filling the inputs; false when the trace no longer applies. */
  private replay(program: Program, args: readonly VValue[], M: Float64Array, from: number, to: number): boolean {
    if (from === 0 && !writeInputs(program, args, M)) throw new StaleStructure();
    try {
      runKernels(program, M, from, to);
    } catch (e) {
      if (e instanceof ReplayMismatch) return this.changed(e.message);
      throw e;
    }
    const failed = failedGuard(program, M, from === 0 ? 0 : 1);
    return (
      failed === null || this.changed(`primal() at ${failed.where} read a value that differs from when f was traced`)
    );
  }

  changed(what: string): false {
    if (this.options.onValueChange === "retrace") return false;
    throw new Error(
      `jit: f's control flow or structure depends on the values of its arguments: ${what}. ` +
        'Select with where(cond, a, b) instead of branching on primal(), or use jit(f, { onValueChange: "retrace" }) to trace again.',
    );
  }

  /** The forward of a differentiated call: keeps its memory for the pullback when a gradient program exists. */
  forward(args: VValue[], params: CallParams): VValue {
    return withFreshStructure(args, () => this.forwardOnce(args, params));
  }

  private forwardOnce(args: VValue[], params: CallParams): VValue {
    const e = this.entry(structureKey(args));
    const gp = e.gradients.values().next().value as GradientProgram | undefined;
    if (gp !== undefined) {
      const M = gp.free.pop() ?? gp.program.initial.slice();
      if (this.replay(gp.program, args, M, 0, gp.program.split)) {
        params.memory = { program: gp, M };
        return readOutput(gp.program, M, 0);
      }
    }
    // the pullback will trace forward and reverse together: no forward program needed
    return this.f(...args);
  }

  /** The gradient program of a structure (by key) and cotangent, tracing it on `args` if new. */
  gradientProgram(key: string, args: VValue[], g: VValue, retrace: boolean): GradientProgram {
    const e = this.entry(key);
    const gKey = layoutKey(g);
    let gp = e.gradients.get(gKey);
    if (gp === undefined || retrace) e.gradients.set(gKey, (gp = this.traceGradient(args, g).gp));
    return gp;
  }

  /** A flat function for the structure of `args`. */
  flat(args: VValue[]): FlatFunction {
    return new FlatCompiled(
      this,
      withFreshStructure(args, () => structureKey(args)),
      args,
    );
  }

  /** A flat call found a guard failed: throw, or (retrace) let the caller trace again. */
  changedFlat(failed: { where: string } | null): void {
    this.changed(`primal() at ${failed?.where ?? "?"} read a value that differs from when f was traced`);
  }

  /** The pullback of a differentiated call, for a plain cotangent. */
  backward(args: VValue[], g: VValue, params: CallParams): VValue[] {
    return withFreshStructure([...args, g], () => this.backwardOnce(args, g, params));
  }

  private backwardOnce(args: VValue[], g: VValue, params: CallParams): VValue[] {
    const e = this.entry(structureKey(args));
    const gKey = layoutKey(g);
    const gp = e.gradients.get(gKey);
    if (gp !== undefined) {
      const p = gp.program;
      let M: Float64Array;
      let ok = true;
      if (params.memory?.program === gp) {
        M = params.memory.M;
        params.memory = null; // a second back() of the same call replays its forward again
      } else {
        M = gp.free.pop() ?? p.initial.slice();
        ok = this.replay(p, args, M, 0, p.split);
      }
      if (ok) {
        writeLeaves(g, M, p.inputs[gp.cotangentInput]!.offset); // its layout is gKey's
        if (this.replay(p, args, M, p.split, p.kernels.length)) {
          const grads = args.map((a, i) => {
            const g = readOutput(p, M, i + 1);
            markProjected(g, a);
            return g;
          });
          gp.free.push(M);
          return grads;
        }
      }
    }
    const { gp: fresh, grads } = this.traceGradient(args, g);
    e.gradients.set(gKey, fresh);
    return grads;
  }
}

/** Where each slot of a gradient output goes in its argument's flat array (-1: nowhere). */
function scatterMap(grad: Layout, arg: Layout): Int32Array {
  const slots = slotsByPath(arg);
  return Int32Array.from(pathKeys(grad), (k) => slots.get(k) ?? -1);
}

/** A gradient program with what a flat call needs around it. */
interface FlatProgram {
  gp: GradientProgram;
  /** Per argument: its gradient's slots, or its constant gradient (a zero), and the scatter map. */
  grads: Array<{ offset: number; map: Int32Array } | null>;
}

class FlatCompiled implements FlatFunction {
  readonly layouts: readonly Layout[];
  private readonly programs = new Map<string, FlatProgram>();
  constructor(
    private readonly fn: Compiler,
    private readonly key: string,
    private readonly args: VValue[],
  ) {
    this.layouts = args.map((a) => layoutOf(a));
  }

  valueAndGradient(
    args: readonly Float64Array[],
    gradients: ReadonlyArray<Float64Array | undefined>,
    cotangent: VValue = 1,
  ): VValue {
    const n = this.layouts.length;
    if (!Array.isArray(args) || args.length !== n) {
      throw new TypeError(
        `jit flat: expected ${n} argument array(s), got ${Array.isArray(args) ? args.length : typeof args}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const a = args[i],
        g = gradients[i];
      if (!(a instanceof Float64Array) || a.length !== this.layouts[i]!.size) {
        throw new TypeError(
          `jit flat: argument ${i} must be a Float64Array of ${this.layouts[i]!.size} leaves (its layout)`,
        );
      }
      if (g !== undefined && (!(g instanceof Float64Array) || g.length !== a.length)) {
        throw new TypeError(`jit flat: gradient ${i} must be a Float64Array of ${a.length} leaves, or undefined`);
      }
    }
    const cKey = layoutKey(cotangent);
    let fp = this.programs.get(cKey);
    if (fp === undefined) {
      validate(cotangent, { name: "jit flat: the cotangent" });
      fp = this.compile(args, cotangent, false);
      this.programs.set(cKey, fp);
    }
    const p = fp.gp.program;
    const M = fp.gp.free.pop() ?? p.initial.slice();
    for (let i = 0; i < n; i++) M.set(args[i]!, p.inputs[i]!.offset);
    writeLeaves(cotangent, M, p.inputs[n]!.offset);
    runKernels(p, M, 0, p.kernels.length);
    const failed = failedGuard(p, M, 0) ?? failedGuard(p, M, 1);
    fp.gp.free.push(M);
    if (failed !== null) {
      // the trace no longer applies: throw, or trace again on these values
      this.fn.changedFlat(failed);
      fp = this.compile(args, cotangent, true);
      this.programs.set(cKey, fp);
      return this.valueAndGradient(args, gradients, cotangent);
    }
    for (let i = 0; i < n; i++) {
      const out = gradients[i];
      if (out === undefined) continue;
      out.fill(0);
      const g = fp.grads[i];
      if (g === null || g === undefined) continue;
      const { offset, map } = g;
      for (let k = 0; k < map.length; k++) if (map[k]! >= 0) out[map[k]!] = M[offset + k]!;
    }
    return readOutput(p, M, 0);
  }

  /** Traces the gradient program of this structure on the given values. */
  private compile(args: readonly Float64Array[], cotangent: VValue, retrace: boolean): FlatProgram {
    const values = args.map((a, i) => unflatten(this.layouts[i]!, a));
    const gp = this.fn.gradientProgram(this.key, values, cotangent, retrace);
    const p = gp.program;
    const grads = this.layouts.map((layout, i) => {
      const place = p.outputs[i + 1]!;
      return "constant" in place ? null : { offset: place.region.offset, map: scatterMap(place.region.layout, layout) };
    });
    return { gp, grads };
  }
}

function checkResult(out: unknown): void {
  if (out === undefined || out === null || (typeof out !== "number" && typeof out !== "object")) {
    throw new TypeError(`jit: f returned ${out === null ? "null" : typeof out}; it must return a V-value`);
  }
}

const jitCall: Primitive<CallParams> = {
  name: "jit",
  impl: (args, params) => params.fn.forward(args, params),
  vjp: () => undefined,
  vjpAll: (g, _ans, args, params) =>
    holdsTracked(g) || args.some(holdsTracked)
      ? // a gradient of a gradient: the rules, recorded by the enclosing trace
        pullback(params.fn.f, ...(args as VValue[])).back(g as VValue)
      : params.fn.backward(args as VValue[], g as VValue, params),
  // forward mode: f's own forward rules, eagerly
  jvp: (args, tangents, params) => forwardTangent(params.fn.f, args, tangents, "jit").tangent,
};

/**
 * Compiles `f`: the same function (same values, same sparse gradients), traced once
 * per input structure and replayed as a flat program afterwards. Usable plainly and
 * inside `gradient`, `valueAndGradient`, `pullback`. Control flow must not depend on
 * the arguments' values (a `primal` read whose value changes is caught; see
 * {@link JitOptions}); closures are read once, when tracing.
 *
 * @example
 * const f = jit((w: VValue, x: VValue) => sum(tanh(mul(w, x))));
 * f({ a: 1, b: 2 }, { a: 0.5, b: 0.25 });               // traced
 * gradient(f, { a: 1, b: 2 }, { a: 0.5, b: 0.25 });      // forward and backward on flat arrays
 */
export function jit<F extends (...args: any[]) => VValue>(f: F, options: JitOptions = {}): Jitted<F> {
  if (typeof f !== "function") throw new TypeError(`jit: f must be a function, got ${typeof f}`);
  const fn = new Compiler(f as (...args: VValue[]) => VValue, {
    onValueChange: options.onValueChange ?? "error",
    maxStructures: options.maxStructures ?? 16,
  });
  const jitted = (...args: VValue[]): VValue => {
    if (tracing()) {
      let inJit = false,
        traced = false;
      for (const a of args) {
        const t = innermostTrace(a);
        if (t !== null) {
          traced = true;
          if (t instanceof JitTrace) inJit = true;
        }
      }
      // inside another jit trace, f is simply part of that trace
      if (inJit) return f(...args);
      if (traced) return apply(jitCall, args, { fn, memory: null }) as VValue;
    }
    return fn.call(args);
  };
  Object.defineProperty(jitted, "traces", { get: () => fn.traces });
  Object.defineProperty(jitted, "flat", { value: (...args: VValue[]) => fn.flat(args) });
  Object.defineProperty(jitted, "programs", {
    value: () =>
      [...fn.cache.values()].flatMap((e) => [
        ...(e.forward ? [e.forward] : []),
        ...[...e.gradients.values()].map((g) => g.program),
      ]),
  });
  return jitted as unknown as Jitted<F>;
}
