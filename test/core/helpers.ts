/** Shared helpers of the core tests: gradient assertions and kink filters. */
import { expect } from "vitest";
import { dot, equals, gradient, leaves, maxNorm, pullback, sub, type VValue } from "../../src/index.js";
import { checkGradient, type CheckGradientOptions, type GradientCheckReport } from "../../src/testing/index.js";

/** Distance kept from points where an op is not differentiable (≫ the FD step). */
export const MARGIN = 1e-3;

/**
 * fast-check runs per property: enough to hit the corners, small enough for ~60 s.
 * `VGRAD_RUNS=5000 npx vitest run test/core` stresses the suite.
 */
export const RUNS = { numRuns: Number(process.env["VGRAD_RUNS"] ?? 100) };

type Fn = (...args: any[]) => VValue;

/**
 * Asserts that reverse mode agrees with finite differences for `f` at `args`, that the
 * traced value equals the plain one, and that
 * `gradient` (scalar f) or `pullback` scalarized by the same cotangent gives the same
 * answer as the report.
 */
export function expectGradientOk(f: Fn, args: VValue[], options: CheckGradientOptions = {}): GradientCheckReport {
  const report = checkGradient(f, args, options);
  expect(report.ok, report.worst ?? "").toBe(true);
  // the traced value is the plain value (plain calls take the fast paths)
  expect(equals(report.value, f(...args))).toBe(true);
  const u = report.cotangent;
  const g =
    typeof report.value === "number" ? gradient(f, ...args) : gradient((...xs: VValue[]) => dot(u, f(...xs)), ...args);
  expect(g.length).toBe(args.length);
  g.forEach((gi, i) => {
    expect(gi).not.toBeNull();
    expect(gi).not.toBeUndefined();
    const scale = Math.max(1, maxNorm(gi), maxNorm(report.gradient[i]!));
    expect(equals(gi, report.gradient[i]!, { tolerance: 1e-12 * scale })).toBe(true);
  });
  return report;
}

/** Whether every leaf of `v` is farther than `margin` from each of `points`. */
export function awayFrom(v: VValue, points: readonly number[], margin = MARGIN): boolean {
  return leaves(v).every(([, x]) => points.every((p) => Math.abs(x - p) > margin));
}

/** No ties between `a` and `b` on the union of their key paths (a missing key is 0). */
export function noTies(a: VValue, b: VValue, margin = MARGIN): boolean {
  return awayFrom(sub(a, b), [0], margin);
}

/** The largest |leaf| is unique (by a margin) and not 0, so maxNorm is differentiable. */
export function uniqueMaxAbs(v: VValue, margin = MARGIN): boolean {
  const abs = leaves(v)
    .map(([, x]) => Math.abs(x))
    .sort((p, q) => q - p);
  if (abs.length === 0) return true;
  return abs[0]! > margin && (abs.length === 1 || abs[0]! - abs[1]! > margin);
}

/** The value and cotangents of `f` through `pullback`, for direct assertions. */
export function vjp(f: Fn, args: VValue[], cotangent: VValue): VValue[] {
  return pullback(f, ...args).back(cotangent);
}

/** Deep-freezes a V-value so that any mutation throws (ES modules are strict). */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object") {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** A JSON-ish copy preserving own keys such as "__proto__" (for before/after comparisons). */
export function snapshot(v: VValue): string {
  return JSON.stringify(v);
}
