/**
 * Helpers of the forward-mode tests: tangents drawn for given primals, directional
 * finite differences, and comparisons of V-values with a tolerance (a missing leaf is 0).
 */
import fc from "fast-check";
import { expect } from "vitest";
import { dot, get, jvp, leaves, mapLeaves, maxNorm, pullback, scale, sub, type VValue } from "../../src/index.js";
import { leafArb } from "../../src/testing/index.js";
import { makeRng, randomLike } from "../../src/testing/random.js";
import { mismatch } from "../jit/agree.js";
import { show } from "../model/programs.js";
import { relabelArb, sparsify } from "../jit/relabel.js";

type Fn = (...args: any[]) => VValue;

/** Finite-difference step, relative to the largest |leaf| of the arguments (at least 1). */
export const H = 1e-6;

/** A tangent for `v`: its structure, leaves in [-1, 1] (zeros and ties among them), dense or with leaves left out. */
export function tangentArb(v: VValue): fc.Arbitrary<VValue> {
  return fc
    .tuple(
      relabelArb(v, leafArb({ min: -1, max: 1 })),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
    )
    .map(([t, keep, dense]) => (dense ? t : sparsify(t, keep)));
}

/** One tangent per argument. */
export function tangentsArb(args: readonly VValue[]): fc.Arbitrary<VValue[]> {
  return fc.tuple(...args.map(tangentArb)) as fc.Arbitrary<VValue[]>;
}

/** The number at `path` of `v` (0 where missing; a tree's ":number" part, as `x ≡ {":number": x}`). */
export function leafAt(v: VValue, path: readonly string[]): number {
  let g = get(v, ...path);
  while (typeof g !== "number") g = get(g, ":number");
  return g;
}

/** `x + s·t` on x's structure (t's leaves lie on x's; a missing one is 0). */
export function shifted(x: VValue, t: VValue, s: number): VValue {
  return mapLeaves(x, (xv, path) => xv + s * leafAt(t, path));
}

/** The largest |leaf| (NaN if a leaf is NaN), 0 for no leaves. */
export function magnitude(v: VValue): number {
  return maxNorm(v);
}

/**
 * The central difference of `f` at `args` along `tangents`, its step, and the
 * magnitude of f's value there (for the rounding part of a tolerance).
 */
export function directionalDifference(
  f: Fn,
  args: readonly VValue[],
  tangents: readonly VValue[],
): { fd: VValue; step: number; size: number } {
  const step = H * Math.max(1, ...args.map(magnitude));
  const plus = f(...args.map((x, i) => shifted(x, tangents[i]!, step)));
  const minus = f(...args.map((x, i) => shifted(x, tangents[i]!, -step)));
  return {
    fd: scale(1 / (2 * step), sub(plus, minus)),
    step,
    size: Math.max(1, magnitude(plus), magnitude(minus)),
  };
}

/** Throws, with both values, unless `|actual − expected|∞ ≤ tol` (a missing leaf is 0; NaN fails). */
export function expectNear(what: string, actual: VValue, expected: VValue, tol: number, context = ""): void {
  const d = magnitude(sub(actual, expected));
  if (!(d <= tol)) {
    throw new Error(
      `${what}: differ by ${d} (tolerance ${tol})\n  got:      ${show(actual)}\n  expected: ${show(expected)}${context ? `\n${context}` : ""}`,
    );
  }
}

/** `|a − b|∞ ≤ rtol · max(1, |a|∞, |b|∞)`: the same up to rounding. */
export function expectSame(what: string, a: VValue, b: VValue, context = "", rtol = 1e-9): void {
  expectNear(what, a, b, rtol * Math.max(1, magnitude(a), magnitude(b)), context);
}

/** A path without its trailing ":number" keys (x and {":number": x} are the same leaf). */
const normal = (p: readonly string[]): string => {
  let n = p.length;
  while (n > 0 && p[n - 1] === ":number") n--;
  return JSON.stringify(p.slice(0, n));
};

/** Throws unless every leaf of `t` is at a leaf path of `v` and `t` is of `v`'s kind. */
export function expectShapedLike(what: string, t: VValue, v: VValue): void {
  expect(typeof t === "number", `${what}: kind (${show(t)} for ${show(v)})`).toBe(typeof v === "number");
  const paths = new Set(leaves(v).map(([p]) => normal(p)));
  for (const [p] of leaves(t)) {
    if (!paths.has(normal(p))) throw new Error(`${what}: leaf ${JSON.stringify(p)} is not a leaf of ${show(v)}`);
  }
}

/** ⟨a, b⟩ bounded by Σ|aᵢ||bᵢ|: the rounding scale of a dot product. */
function absDot(a: VValue, b: VValue): number {
  const abs = (v: VValue) => mapLeaves(v, Math.abs);
  return dot(abs(a), abs(b));
}

/**
 * Forward mode of `f` at `args` along `tangents`, checked four ways: the value is f's
 * exactly (same leaves, same bits); the tangent is shaped like the value; it agrees
 * with central finite differences; and ⟨u, J·t⟩ = Σᵢ ⟨Jᵢᵀ·u, tᵢ⟩ against reverse mode
 * for a random `u`. Call at points where f is differentiable.
 */
export function expectJvpOk(f: Fn, args: VValue[], tangents: VValue[], context = ""): void {
  const { value, tangent } = jvp(f, args, tangents);
  const exact = mismatch(value, f(...args), 0);
  if (exact !== null) throw new Error(`jvp's value is not f's: ${exact}\n${context}`);
  expectShapedLike("jvp's tangent", tangent, value);
  const { fd, step, size } = directionalDifference(f, args, tangents);
  const tol = 1e-6 * Math.max(1, magnitude(fd), magnitude(tangent)) + (1e3 * Number.EPSILON * size) / step;
  expectNear("jvp's tangent vs finite differences", tangent, fd, tol, context);
  expectDotTest(f, args, tangents, value, tangent, context);
}

/** ⟨u, J·t⟩ (forward) = Σᵢ ⟨Jᵢᵀ·u, tᵢ⟩ (reverse) for a random u shaped like the value. */
export function expectDotTest(
  f: Fn,
  args: VValue[],
  tangents: VValue[],
  value: VValue,
  tangent: VValue,
  context = "",
): void {
  const u = randomLike(value, makeRng(leaves(value).length + 17));
  const back = pullback(f, ...args).back(u);
  const forward = dot(u, tangent);
  let reverse = 0;
  let size = absDot(u, tangent);
  back.forEach((g, i) => {
    reverse += dot(g, tangents[i]!);
    size += absDot(g, tangents[i]!);
  });
  if (!(Math.abs(forward - reverse) <= 1e-9 * Math.max(1, size))) {
    throw new Error(`⟨u, J·t⟩ = ${forward} by jvp, ${reverse} by pullback\n${context}`);
  }
}

/** `(H·v)_q = Σ_r H[q][r]·v_r`: a Hessian (shaped like x, a gradient tree at each leaf) times a tangent of x. */
export function hessianTimes(h: VValue, x: VValue, v: VValue): VValue {
  const rs = leaves(x).map(([r]) => r);
  return mapLeaves(x, (_y, q) => {
    const row = get(h, ...q);
    let s = 0;
    for (const r of rs) s += leafAt(row, r) * leafAt(v, r);
    return s;
  });
}
