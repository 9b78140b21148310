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
import { bottom, tracing, withActiveTrace, type Val } from "../ad/tracked.js";
import { layoutOf, writeLeaves } from "../vvalue/layout.js";
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
};

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
 * Layout keys of trees already seen. A tree changed in place (V-values are meant to be
 * immutable, but nothing enforces it) is caught when its leaves are written: then its
 * key is forgotten and read again.
 */
const keyCache = new WeakMap<object, string>();

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
        keyCache.set(a, (k = layoutOf(a).key));
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

  private changed(what: string): false {
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

  /** The pullback of a differentiated call, for a plain cotangent. */
  backward(args: VValue[], g: VValue, params: CallParams): VValue[] {
    return withFreshStructure([...args, g], () => this.backwardOnce(args, g, params));
  }

  private backwardOnce(args: VValue[], g: VValue, params: CallParams): VValue[] {
    const e = this.entry(structureKey(args));
    const gKey = layoutOf(g).key;
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
          const grads = args.map((_, i) => readOutput(p, M, i + 1));
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
  Object.defineProperty(jitted, "programs", {
    value: () =>
      [...fn.cache.values()].flatMap((e) => [
        ...(e.forward ? [e.forward] : []),
        ...[...e.gradients.values()].map((g) => g.program),
      ]),
  });
  return jitted as unknown as Jitted<F>;
}
