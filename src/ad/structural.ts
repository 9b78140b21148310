/**
 * The primitives the tracer itself needs: `add` (summing tracked cotangents), `get`
 * and `embed` (reading into object literals and trees, and their adjoint), and the
 * projection of a gradient onto its input's key paths. The public `add` and `get` in
 * src/ops are built on these.
 */
import { addP, atPath, getP, projectOntoP } from "../vvalue/algebra.js";
import type { VValue } from "../vvalue/types.js";
import { EmbeddedCotangent } from "./cotangent.js";
import { apply, holdsTracked, readAt, type Primitive } from "./primitive.js";
import { isPlain, type Val } from "./tracked.js";
import { copyKernel, firstSlot, gatherKernel, subtreeKernel, zipKernel } from "./kernels.js";
import { skeletonAt } from "../vvalue/layout.js";

/** `a + b` on the union of key paths. */
export const addPrim: Primitive = {
  name: "add",
  impl: ([a, b]) => addP(a!, b!),
  vjp: (_i, g) => g,
  jvp: (_args, [ta, tb]) => addTangents(ta, tb),
  lower: (at) =>
    zipKernel(
      at,
      (x, y) => x + y,
      (x) => x,
      (y) => y,
    ),
};

/** `a + b` for values that may be tracked. */
export function addVal(a: Val, b: Val): Val {
  return apply(addPrim, [a, b], undefined);
}

/** The sum of two tangents, either of which may be zero (undefined). */
export function addTangents(a: Val | undefined, b: Val | undefined): Val | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return isPlain(a) && isPlain(b) ? addP(a as VValue, b as VValue) : addVal(a, b);
}

/** Reads at a path; its pullback places the cotangent at that path only (sparse). */
export const getPrim: Primitive<readonly string[]> = {
  name: "get",
  impl: ([v], path) => getP(v!, path),
  vjp: (_i, g, _ans, _args, path) => (holdsTracked(g) ? embedVal(path, g) : new EmbeddedCotangent(path, g as VValue)),
  // linear: the tangent read at the same path (none where the tangent has nothing)
  jvp: (_args, [t], path) => readAt(t!, path),
  lower: (at) => subtreeKernel(at, at.params),
  alias: ({ args: [v], params: path }) => {
    const s = skeletonAt(v!.layout.skeleton, path);
    return s === undefined ? undefined : v!.offset + firstSlot(s);
  },
};

/** `v` at `path` for a value that may be tracked (recorded as one read). */
export function getVal(v: Val, path: readonly string[]): Val {
  return apply(getPrim, [v], path);
}

/** The tree holding `v` at `path`: the adjoint of `get`. */
export const embedPrim: Primitive<readonly string[]> = {
  name: "embed",
  impl: ([v], path) => atPath(path, v!),
  vjp: (_i, g, _ans, _args, path) => getVal(g, path),
  jvp: (_args, [t], path) => embedVal(path, t!),
  lower: (at) => copyKernel(at),
  alias: ({ args: [v] }) => v!.offset, // the same leaves in the same order
};

/** `embed(path, v)` for a value that may be tracked. */
export function embedVal(path: readonly string[], v: Val): Val {
  return apply(embedPrim, [v], path);
}

/** Restriction to the key paths (and kinds) of `x`: linear, and its own adjoint. */
const projectPrim: Primitive<VValue> = {
  name: "projectOnto",
  impl: ([g], x) => projectOntoP(g!, x),
  vjp: (_i, h, _ans, _args, x) => projectVal(h, x),
  jvp: (_args, [t], x) => projectVal(t!, x),
  lower: (at) => gatherKernel(at),
  alias: ({ args: [g], out }) => (g!.layout.key === out.layout.key ? g!.offset : undefined),
};

/** `g` restricted to the key paths of the plain value `x`, with `x`'s kind. */
export function projectVal(g: Val, x: VValue): Val {
  if (holdsTracked(g)) return apply(projectPrim, [g], x);
  if (typeof g === "object" && projected.get(g) === x) return g;
  return projectOntoP(g as VValue, x);
}

/**
 * Plain cotangent trees known to be restrictions of themselves to a value: jit's
 * replayed gradients, which a trace computed as projections onto arguments of the same
 * structure. Projecting one again is skipped (it copied every leaf: a tenth of a
 * 1000-leaf replay).
 */
const projected = new WeakMap<object, VValue>();

/** Records that the plain tree `g` is its own projection onto `x` (see {@link projectVal}). */
export function markProjected(g: VValue, x: VValue): void {
  if (typeof g === "object") projected.set(g, x);
}
