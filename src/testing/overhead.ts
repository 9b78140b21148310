/**
 * `overhead`: what a gradient costs on the user's own function — forward time, value +
 * gradient time and their ratio, eagerly and under `jit`, with the first jit call's
 * trace + compile time.
 */
import { pullback, valueAndGradient } from "../ad/pullback.js";
import { jit } from "../jit/jit.js";
import { leaves, mapLeaves } from "../vvalue/leaves.js";
import type { VValue } from "../vvalue/types.js";
import { formatPath, validate } from "../vvalue/validate.js";
import { sampleTimes, timeStats, type TimeStats } from "./sampling.js";

/** Options of {@link overhead}. */
export interface OverheadOptions {
  /** Samples per measurement, at least (default 5, as benchmark.js). */
  minSamples?: number;
  /**
   * Seconds each measurement samples for, at least (default 1). A sample is one cycle of
   * repeated calls lasting at least min(0.05 s, maxTime / minSamples); a measurement
   * ends once it has minSamples samples and maxTime has passed.
   */
  maxTime?: number;
  /** Also measure under `jit` (default true). */
  jit?: boolean;
}

/** Forward and value + gradient times of one mode. */
export interface ModeOverhead {
  /** `f(...args)`, called plainly. */
  forward: TimeStats;
  /** The value and the gradient (see {@link OverheadReport.gradientBy}). */
  valueAndGradient: TimeStats;
  /** `valueAndGradient.medianMs / forward.medianMs`. */
  gradientOverForward: number;
}

/** The same under `jit`, plus what compiling costs. */
export interface JitOverhead extends ModeOverhead {
  /** The first value + gradient call of a new `jit(f)`: trace and compile (sampled over new `jit(f)`s). */
  firstCall: TimeStats;
  /** `firstCall.medianMs` ÷ the eager `valueAndGradient.medianMs`. */
  firstCallOverEagerGradient: number;
  /** jit's `valueAndGradient.medianMs` ÷ the eager one. */
  gradientOverEager: number;
}

/** What {@link overhead} measured. Times are per call, in milliseconds; ratios are ratios of medians. */
export interface OverheadReport {
  /** `f(...args)`. */
  value: VValue;
  /**
   * How the gradient was taken: `valueAndGradient` for a number-valued f; for a
   * tree-valued f, `pullback` and `back` with a cotangent of ones shaped like the value.
   */
  gradientBy: "valueAndGradient" | "pullback";
  eager: ModeOverhead;
  /** Null with `{ jit: false }`. */
  jit: JitOverhead | null;
  /** The sampling used for every measurement (seconds). */
  sampling: { minSamples: number; maxTime: number; minTime: number };
}

/** jit's value and gradient must equal eager's this closely (relative to the largest leaf compared). */
const SAME = 1e-9;

type Fn = (...args: any[]) => VValue;

/**
 * Measures the overhead of reverse mode on `f` at `args`: the time of `f(...args)`
 * called plainly, of its value and gradient, and their ratio — eagerly and under
 * {@link jit}, where it also times the first call of a new `jit(f)` (trace and
 * compile). Each time is sampled as benchmark.js samples (adaptive cycles; median,
 * mean, relative margin of error at 95 %, sample count). Before timing it checks that
 * jit gives eager's value and gradient (to 1e-9 relative) and throws if not.
 *
 * `args` is an array, as in `checkGradient`: options cannot follow V-values as rest
 * arguments, since an options object is itself a V-value. Measurements run one after
 * another, so keep the machine otherwise idle; ratios within one report are what
 * compare best.
 *
 * @example
 * const f = (w: VValue, x: VValue) => sum(tanh(mul(w, x)));
 * const r = overhead(f, [{ a: 1, b: 2 }, { a: 0.5, b: 0.25 }], { minSamples: 3, maxTime: 0.01 });
 * r.eager.forward.samples >= 3; // true
 * r.eager.gradientOverForward === r.eager.valueAndGradient.medianMs / r.eager.forward.medianMs; // true
 * r.jit !== null && r.jit.firstCall.medianMs > 0; // true
 */
export function overhead(f: Fn, args: readonly VValue[], options: OverheadOptions = {}): OverheadReport {
  if (typeof f !== "function") throw new TypeError(`overhead: f must be a function, got ${describe(f)}`);
  if (!Array.isArray(args)) {
    throw new TypeError(
      `overhead: args must be an array of V-values (overhead(f, [x, y], options)), got ${describe(args)}`,
    );
  }
  args.forEach((a, i) => validate(a, { name: `overhead: args[${i}]` }));
  const { minSamples, maxTime, withJit } = readOptions(options);
  const sampling = { minSamples, maxTime, minTime: Math.min(0.05, maxTime / minSamples) };
  const time = (fn: () => unknown): TimeStats => timeStats(sampleTimes(fn, sampling));

  const value = validate(f(...args), { name: "overhead: f(...args)" });
  const scalar = typeof value === "number";
  const ones = mapLeaves(value, () => 1);
  const valueAndGrad = (g: Fn): { value: VValue; gradient: VValue[] } => {
    if (scalar) return valueAndGradient(g, ...args);
    const p = pullback(g, ...args);
    return { value: p.value, gradient: p.back(ones) };
  };

  // jit must compute what f computes before its time means anything
  const jf = withJit ? jit(f) : null;
  if (jf !== null) {
    const eagerResult = valueAndGrad(f);
    same("f(...args)", value, jf(...args));
    const jitResult = valueAndGrad(jf);
    same("the value", eagerResult.value, jitResult.value);
    eagerResult.gradient.forEach((g, i) => same(`the gradient of args[${i}]`, g, jitResult.gradient[i]!));
  }

  const eager = mode(
    time(() => f(...args)),
    time(() => valueAndGrad(f)),
  );
  let jitted: JitOverhead | null = null;
  if (jf !== null) {
    const firstCall = time(() => valueAndGrad(jit(f)));
    const m = mode(
      time(() => jf(...args)),
      time(() => valueAndGrad(jf)),
    );
    jitted = {
      ...m,
      firstCall,
      firstCallOverEagerGradient: firstCall.medianMs / eager.valueAndGradient.medianMs,
      gradientOverEager: m.valueAndGradient.medianMs / eager.valueAndGradient.medianMs,
    };
  }
  return { value, gradientBy: scalar ? "valueAndGradient" : "pullback", eager, jit: jitted, sampling };
}

function mode(forward: TimeStats, valueAndGradient: TimeStats): ModeOverhead {
  return { forward, valueAndGradient, gradientOverForward: valueAndGradient.medianMs / forward.medianMs };
}

/** Throws unless jit's `b` equals eager's `a` leaf by leaf (an absent leaf counts as 0). */
function same(what: string, a: VValue, b: VValue): void {
  const la = new Map(leaves(a).map(([p, x]) => [JSON.stringify(p), x]));
  const lb = new Map(leaves(b).map(([p, x]) => [JSON.stringify(p), x]));
  let scale = 0;
  for (const m of [la, lb]) for (const x of m.values()) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  for (const key of new Set([...la.keys(), ...lb.keys()])) {
    const x = la.get(key) ?? 0;
    const y = lb.get(key) ?? 0;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!(Math.abs(x - y) <= SAME * Math.max(Math.abs(x), Math.abs(y), scale))) {
      const where = formatPath(what, JSON.parse(key) as string[]);
      throw new Error(`overhead: jit(f) and f disagree at ${where}: ${y} under jit, ${x} eagerly`);
    }
  }
}

const OPTION_NAMES = new Set(["minSamples", "maxTime", "jit"]);

function readOptions(options: OverheadOptions): { minSamples: number; maxTime: number; withJit: boolean } {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`overhead: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!OPTION_NAMES.has(k))
      throw new TypeError(`overhead: unknown option ${JSON.stringify(k)} (minSamples, maxTime, jit)`);
  }
  const { minSamples = 5, maxTime = 1, jit: withJit = true } = options;
  if (typeof minSamples !== "number" || !Number.isInteger(minSamples) || minSamples < 1) {
    throw new RangeError(`overhead: option minSamples must be a positive integer, got ${String(minSamples)}`);
  }
  if (typeof maxTime !== "number" || !Number.isFinite(maxTime) || maxTime <= 0) {
    throw new RangeError(`overhead: option maxTime must be a positive number of seconds, got ${String(maxTime)}`);
  }
  if (typeof withJit !== "boolean")
    throw new TypeError(`overhead: option jit must be a boolean, got ${describe(withJit)}`);
  return { minSamples, maxTime, withJit };
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? "an object" : typeof x;
}
