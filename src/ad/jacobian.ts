/**
 * Jacobians of functions of V-values, as trees of trees (JAX's jacobian of a pytree
 * function): column by column in forward mode, row by row in reverse mode, whichever
 * needs fewer passes.
 */
import { atPath } from "../vvalue/algebra.js";
import { leaves } from "../vvalue/leaves.js";
import { newTree, type MutableTree } from "../vvalue/tree.js";
import type { VValue } from "../vvalue/types.js";
import { checkValue, finishTangent, forwardTangent } from "./forward.js";
import { readAt } from "./primitive.js";
import { pullback } from "./pullback.js";
import { shapeOf } from "./stop-gradient.js";
import type { Val } from "./tracked.js";

type Fn = (...args: any[]) => VValue;

/** `f`, with a result that is not a V-value reported as `where`'s error (not a deeper function's). */
export function checkedResult(f: Fn, where: string): Fn {
  return (...xs) => {
    const out = f(...xs) as unknown;
    if (out === undefined || out === null || (typeof out !== "number" && typeof out !== "object")) {
      throw new TypeError(`${where}: f returned ${out === null ? "null" : typeof out}; it must return a V-value`);
    }
    return out as VValue;
  };
}

/** `shape` (plain) with each leaf replaced by `at(path)`; empty subtrees kept. */
export function mapLeafPaths(shape: VValue, at: (path: readonly string[]) => Val, path: string[] = []): Val {
  if (typeof shape === "number") return at(path);
  const out = newTree() as Record<string, Val>;
  for (const k in shape) {
    path.push(k);
    out[k] = mapLeafPaths(shape[k]!, at, path);
    path.pop();
  }
  return out as VValue;
}

/** The leaf paths of a plain value (`[[]]` for a number). */
function leafPaths(v: VValue): string[][] {
  return leaves(v).map(([p]) => p);
}

/**
 * The tree of `entries` (leaf path of `arg` → a number, undefined for none): a
 * gradient tree of `arg` (`0` or `{}` when empty), sparse like a gradient.
 */
function gradientTree(arg: VValue, paths: readonly string[][], entries: ReadonlyArray<Val | undefined>): Val {
  if (typeof arg === "number") return entries[0] ?? 0;
  const out = newTree();
  paths.forEach((p, j) => {
    const x = entries[j];
    if (x === undefined) return;
    let t = out;
    for (let d = 0; d < p.length - 1; d++) t = (t[p[d]!] ??= newTree()) as MutableTree;
    (t as Record<string, Val>)[p[p.length - 1]!] = x;
  });
  return out;
}

/**
 * The Jacobian in forward mode: one jvp per leaf of the arguments (a column). The
 * result follows the plain shape `outShape` (f's value's when null): its leaves are
 * the rows, read from each column at their paths.
 */
export function jacobianForward(f: Fn, args: readonly Val[], outShape: VValue | null, where: string): Val[] {
  const shapes = args.map((a) => shapeOf(a as VValue));
  const inPaths = shapes.map(leafPaths);
  const columns: Array<Array<Val | undefined>> = [];
  let out = outShape;
  args.forEach((_, i) => {
    columns[i] = inPaths[i]!.map((p) => {
      const tangents = args.map((_a, k) => (k === i ? atPath(p, 1) : undefined));
      const r = forwardTangent(f, args, tangents, where);
      out ??= shapeOf(r.value as VValue);
      return r.tangent === undefined ? undefined : finishTangent(r.tangent, r.value);
    });
  });
  // no leaves at all: one run for the value's shape
  out ??= shapeOf(forwardTangent(f, args, [], where).value as VValue);
  const outShapeFinal = out;
  return shapes.map((s, i) =>
    mapLeafPaths(outShapeFinal, (q) =>
      gradientTree(
        s,
        inPaths[i]!,
        columns[i]!.map((c) => (c === undefined ? undefined : readAt(c, q))),
      ),
    ),
  );
}

/**
 * The Jacobian of `f` at `args`: one V-value per argument, shaped like f's value, each
 * of its leaves replaced by the gradient of that leaf with respect to that argument
 * (a tree of trees, sparse as gradients are: `{}` or `0` where a leaf does not depend
 * on the argument). Forward mode (one jvp per input leaf) when the arguments have no
 * more leaves than the value, reverse mode (one pullback per value leaf) otherwise.
 *
 * @example
 * jacobian((x) => ({ s: sum(x), p: mul(x, x) }), { a: 1, b: 2 });
 * // [{ s: { a: 1, b: 1 }, p: { a: { a: 2 }, b: { b: 4 } } }]
 * jacobian((x, y) => mul(x, y), 2, 3); // [3, 2]
 */
export function jacobian(f: Fn, ...args: VValue[]): VValue[] {
  if (typeof f !== "function") throw new TypeError(`jacobian: f must be a function, got ${typeof f}`);
  args.forEach((a, i) => checkValue("jacobian", a, `argument ${i}`));
  const g = checkedResult(f, "jacobian");
  const n = args.reduce<number>((s, a) => s + leaves(shapeOf(a)).length, 0);
  // the value's shape decides: its leaves are the rows, the arguments' the columns
  const { value, back } = pullback(g, ...args);
  const outShape = shapeOf(value);
  const outPaths = leafPaths(outShape);
  if (n <= outPaths.length) return jacobianForward(g, args, outShape, "jacobian") as VValue[];
  const rows = new Map<string, VValue[]>();
  for (const q of outPaths) rows.set(JSON.stringify(q), back(atPath(q, 1)));
  return args.map((_, i) => mapLeafPaths(outShape, (q) => rows.get(JSON.stringify(q))![i]!) as VValue);
}
