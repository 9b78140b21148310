/**
 * `checkGradient`: reverse mode against central finite differences, leaf by leaf and
 * along random tree directions (the dot-product test ⟨v, Jᵀu⟩ = ⟨Jv, u⟩).
 */
import { pullback } from "../ad/pullback.js";
import { dotP, getP, mapLeavesP, maxAbsLeaf } from "../vvalue/algebra.js";
import { leaves } from "../vvalue/leaves.js";
import { hasKey, newTree, numberPart } from "../vvalue/tree.js";
import type { VTree, VValue } from "../vvalue/types.js";
import { formatPath, validate } from "../vvalue/validate.js";
import { makeRng, randomLike } from "./random.js";

/** Options for {@link checkGradient}. */
export interface CheckGradientOptions {
  /**
   * Finite-difference step, relative: a leaf `x` is moved by `±h·max(1, |x|)`, a
   * direction `v` (leaves in [-1, 1)) by `±h·max(1, max |leaf of args|)`. Default 1e-6.
   */
  h?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Seed of the random cotangents and directions (default 0): same seed, same report. */
  seed?: number;
  /** How many random directions the dot-product test uses (default 3; 0 skips it). */
  directions?: number;
  /** Throw an `Error` naming the worst path when the check fails (default false). */
  throwOnMismatch?: boolean;
}

/** One leaf where reverse mode and finite differences disagree. */
export interface LeafMismatch {
  /** Index of the argument. */
  arg: number;
  /** Key path of the leaf inside that argument (`[]` for a number argument). */
  path: string[];
  /** The path rendered for humans, e.g. `args[1].b["__proto__"]`. */
  where: string;
  /** The gradient vgrad computed at this leaf (0 where absent). */
  reverse: number;
  /** The central finite difference. */
  finiteDifference: number;
  absError: number;
  relError: number;
  /** The tolerance this leaf was held to (atol + rtol·scale + estimated rounding noise). */
  tolerance: number;
}

/** A gradient that is not shaped like its argument. */
export interface ShapeError {
  arg: number;
  path: string[];
  where: string;
  message: string;
}

/** One direction of the dot-product test. */
export interface DotProductCheck {
  /** Index of the random direction. */
  direction: number;
  /** `⟨v, Jᵀu⟩`, from vgrad's pullback. */
  reverse: number;
  /** `⟨Jv, u⟩`, with `Jv` by central differences. */
  forward: number;
  absError: number;
  relError: number;
  tolerance: number;
  ok: boolean;
}

/** What {@link checkGradient} found. */
export interface GradientCheckReport {
  /** No leaf mismatch, no shape error and every dot-product test passed. */
  ok: boolean;
  /** `f(...args)`. */
  value: VValue;
  /** The cotangent used for the leaf check: 1 for a scalar f, random for a tree-valued f. */
  cotangent: VValue;
  /** vgrad's `Jᵀ·cotangent`, one per argument (the gradient for a scalar f). */
  gradient: VValue[];
  /** How many leaves were compared with finite differences. */
  leavesChecked: number;
  /** Largest absolute error over all leaves and dot-product tests. */
  maxAbsError: number;
  /** Largest relative error (|a − b| / max(|a|, |b|); 0 when both are 0). */
  maxRelError: number;
  mismatches: LeafMismatch[];
  shapeErrors: ShapeError[];
  dotProducts: DotProductCheck[];
  /** A sentence naming the worst failure, or null when `ok`. */
  worst: string | null;
}

type Fn = (...args: any[]) => VValue;

/**
 * Checks vgrad's reverse-mode derivative of `f` at `args` against central finite
 * differences: (a) per leaf of every argument, and (b) the dot-product test
 * `⟨v, Jᵀu⟩ = ⟨Jv, u⟩` along random directions `v` shaped like the arguments. A
 * tree-valued `f` is checked through `pullback` with a random cotangent. It also checks
 * that every gradient is shaped like its argument (a number for a number, only the
 * argument's keys). Disagreement is reported, not thrown, unless `throwOnMismatch`.
 *
 * Choose points where `f` is differentiable: a finite difference that straddles a kink
 * (relu at 0, a tie in max) disagrees with any one-sided convention.
 *
 * @example
 * import { mul, sum, tanh } from "vgrad";
 * import { checkGradient } from "vgrad/testing";
 * const report = checkGradient((w, x) => sum(tanh(mul(w, x))), [{ a: 0.5, b: -1 }, { a: 2, b: 3 }]);
 * report.ok;          // true
 * report.maxAbsError < 1e-9; // true
 */
export function checkGradient(f: Fn, args: readonly VValue[], options: CheckGradientOptions = {}): GradientCheckReport {
  if (typeof f !== "function") throw new TypeError(`checkGradient: f must be a function, got ${describe(f)}`);
  if (!Array.isArray(args))
    throw new TypeError(`checkGradient: args must be an array of V-values, got ${describe(args)}`);
  args.forEach((a, i) => validate(a, { name: `checkGradient: args[${i}]` }));
  const h = option(options.h, 1e-6, "h", (x) => x > 0);
  const rtol = option(options.rtol, 1e-5, "rtol", (x) => x >= 0);
  const atol = option(options.atol, 1e-6, "atol", (x) => x >= 0);
  const seed = option(options.seed, 0, "seed", () => true);
  const directions = option(options.directions, 3, "directions", (x) => Number.isInteger(x) && x >= 0);

  const rng = makeRng(seed);
  const { value, back } = pullback(f, ...args);
  const scalarOutput = typeof value === "number";
  const cotangent = scalarOutput ? 1 : randomLike(value, rng);
  const gradient = back(cotangent);

  /** ⟨u, f(xs)⟩ evaluated without tracing, and Σ|uᵢ·f(xs)ᵢ| for the rounding estimate. */
  const phi = (xs: readonly VValue[], u: VValue): [number, number] => {
    const y = validate(f(...xs), { name: "checkGradient: f(...args)" });
    return [dotP(u, y), dotP(absLeaves(u), absLeaves(y))];
  };
  let maxAbsError = 0;
  let maxRelError = 0;
  const compare = (reverse: number, fd: number, noise: number) => {
    const scale = Math.max(Math.abs(reverse), Math.abs(fd));
    const tolerance = atol + rtol * scale + noise;
    let absError: number;
    if (Number.isNaN(reverse) && Number.isNaN(fd)) absError = 0;
    else if (reverse === fd)
      absError = 0; // also equal infinities
    else absError = Math.abs(reverse - fd);
    if (Number.isNaN(absError)) absError = Infinity;
    const relError = absError === 0 ? 0 : scale === 0 || !Number.isFinite(scale) ? Infinity : absError / scale;
    maxAbsError = Math.max(maxAbsError, absError);
    maxRelError = Math.max(maxRelError, relError);
    return { absError, relError, tolerance, ok: absError <= tolerance };
  };

  // (a) leaf by leaf
  const mismatches: LeafMismatch[] = [];
  const shapeErrors: ShapeError[] = [];
  let leavesChecked = 0;
  args.forEach((arg, i) => {
    checkShape(gradient[i], arg, i, [], shapeErrors);
    for (const [path, x] of leaves(arg)) {
      const step = h * Math.max(1, Math.abs(x));
      const xs = args.slice();
      xs[i] = setAt(arg, path, x + step);
      const [plus, magPlus] = phi(xs, cotangent);
      xs[i] = setAt(arg, path, x - step);
      const [minus, magMinus] = phi(xs, cotangent);
      const fd = (plus - minus) / (2 * step);
      const reverse = readLeaf(gradient[i], path);
      const c = compare(reverse, fd, roundingNoise(magPlus, magMinus, step));
      leavesChecked++;
      if (!c.ok) {
        mismatches.push({
          arg: i,
          path,
          where: formatPath(`args[${i}]`, path),
          reverse,
          finiteDifference: fd,
          absError: c.absError,
          relError: c.relError,
          tolerance: c.tolerance,
        });
      }
    }
  });

  // (b) dot-product test along random directions
  const dotProducts: DotProductCheck[] = [];
  let biggest = 0;
  for (const a of args) biggest = Math.max(biggest, maxAbsLeaf(a).value);
  const step = h * Math.max(1, Number.isFinite(biggest) ? biggest : 1);
  for (let d = 0; d < directions; d++) {
    const v = args.map((a) => randomLike(a, rng));
    const u = scalarOutput ? 2 * rng() - 1 : randomLike(value, rng);
    const g = back(u);
    let reverse = 0;
    for (let i = 0; i < args.length; i++) reverse += dotP(v[i]!, g[i]!);
    const [plus, magPlus] = phi(
      args.map((a, i) => axpy(a, step, v[i]!)),
      u,
    );
    const [minus, magMinus] = phi(
      args.map((a, i) => axpy(a, -step, v[i]!)),
      u,
    );
    const forward = (plus - minus) / (2 * step);
    dotProducts.push({
      direction: d,
      reverse,
      forward,
      ...compare(reverse, forward, roundingNoise(magPlus, magMinus, step)),
    });
  }

  const ok = mismatches.length === 0 && shapeErrors.length === 0 && dotProducts.every((c) => c.ok);
  const worst = ok ? null : describeWorst(mismatches, shapeErrors, dotProducts);
  if (worst !== null && options.throwOnMismatch === true) throw new Error(`checkGradient: ${worst}`);
  return {
    ok,
    value,
    cotangent,
    gradient,
    leavesChecked,
    maxAbsError,
    maxRelError,
    mismatches,
    shapeErrors,
    dotProducts,
    worst,
  };
}

/**
 * The rounding error of a central difference quotient: each evaluation carries a
 * relative error of a few ulps of the magnitude of what it sums.
 */
function roundingNoise(magPlus: number, magMinus: number, step: number): number {
  return (16 * Number.EPSILON * Math.max(magPlus, magMinus)) / (2 * step);
}

function describeWorst(mismatches: LeafMismatch[], shapes: ShapeError[], dots: DotProductCheck[]): string {
  if (shapes.length > 0) {
    const s = shapes[0]!;
    return `gradient of ${s.where} is not shaped like the argument: ${s.message}`;
  }
  let best: LeafMismatch | null = null;
  for (const m of mismatches) if (best === null || m.absError / m.tolerance > best.absError / best.tolerance) best = m;
  if (best !== null) {
    return (
      `${mismatches.length} leaf mismatch(es); worst at ${best.where}: reverse mode ${best.reverse}, ` +
      `finite differences ${best.finiteDifference} (error ${best.absError}, tolerance ${best.tolerance})`
    );
  }
  let worstDot: DotProductCheck | null = null;
  for (const c of dots)
    if (!c.ok && (worstDot === null || c.absError / c.tolerance > worstDot.absError / worstDot.tolerance)) worstDot = c;
  const c = worstDot!;
  return (
    `dot-product test failed along random direction ${c.direction}: <v, J'u> = ${c.reverse} by reverse mode, ` +
    `<Jv, u> = ${c.forward} by finite differences (error ${c.absError}, tolerance ${c.tolerance})`
  );
}

/** Every way a gradient can fail to be shaped like its argument. */
function checkShape(g: unknown, arg: VValue, i: number, path: string[], out: ShapeError[]): void {
  const err = (message: string) =>
    out.push({ arg: i, path: path.slice(), where: formatPath(`args[${i}]`, path), message });
  if (g === null || g === undefined) return void err(`it is ${g}`);
  if (typeof arg === "number") {
    if (typeof g !== "number") err(`a number was expected, got ${describe(g)}`);
    return;
  }
  if (typeof g !== "object" || Array.isArray(g)) return void err(`a tree was expected, got ${describe(g)}`);
  for (const k of Object.keys(g)) {
    path.push(k);
    if (!hasKey(arg, k)) err(`it has the key ${JSON.stringify(k)}, which the argument lacks`);
    else checkShape((g as Record<string, unknown>)[k], arg[k]!, i, path, out);
    path.pop();
  }
}

/** The gradient's number at a leaf path of the argument (0 when absent). */
function readLeaf(g: VValue | undefined, path: readonly string[]): number {
  if (g === undefined || g === null) return NaN;
  return numberPart(getP(g, path));
}

/** A copy of `v` with the leaf at `path` replaced by `x`. */
function setAt(v: VValue, path: readonly string[], x: number, i = 0): VValue {
  if (i === path.length) return x;
  const t = v as VTree;
  const out = newTree();
  for (const k of Object.keys(t)) out[k] = t[k]!;
  out[path[i]!] = setAt(t[path[i]!]!, path, x, i + 1);
  return out;
}

/** `a + c·v` where `v` has exactly the key paths of `a`. */
function axpy(a: VValue, c: number, v: VValue): VValue {
  if (typeof a === "number") return a + c * (v as number);
  const out = newTree();
  for (const k of Object.keys(a)) out[k] = axpy(a[k]!, c, (v as VTree)[k]!);
  return out;
}

function absLeaves(v: VValue): VValue {
  return mapLeavesP(v, Math.abs);
}

function option(x: unknown, fallback: number, name: string, ok: (x: number) => boolean): number {
  if (x === undefined) return fallback;
  if (typeof x !== "number" || !Number.isFinite(x) || !ok(x)) {
    throw new RangeError(`checkGradient: option ${name} is invalid: ${String(x)}`);
  }
  return x;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? "an object" : typeof x;
}
