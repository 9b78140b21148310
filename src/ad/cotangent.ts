/**
 * Cotangents that add themselves into an accumulator: the vector-space side of the
 * backward pass, kept out of the sweep (HIPS autograd's `SparseObject`). A rule
 * returns one when building its cotangent as a tree would cost more than adding it in
 * place: `get` returns a one-path cotangent; a fused operation applied every cycle can
 * return a packed one that sums with its twins in a Float64Array.
 */
import { axpyInto, cloneP } from "../vvalue/algebra.js";
import { newTree, type MutableTree } from "../vvalue/tree.js";
import { NUMBER_KEY, type VValue } from "../vvalue/types.js";

/** A cotangent in a form that adds itself into a tree. Rules return fresh ones: the sweep owns them. */
export abstract class SparseCotangent {
  /**
   * Whether this form sums with its twins in place (a packed array): the backward pass
   * then lets plain cotangents that arrived before it wait, and adds them after.
   */
  get packed(): boolean {
    return false;
  }

  /** `acc += this`, where the caller owns every tree inside `acc`. */
  abstract addInto(acc: MutableTree): void;

  /** `this += other` in place when both share a packed form; false when they do not. */
  absorb(_other: SparseCotangent): boolean {
    return false;
  }

  /** The cotangent as a fresh V-value. */
  toVValue(): VValue {
    const t = newTree();
    this.addInto(t);
    return t;
  }
}

/** `g` placed at `path` (the cotangent of a read at that path). */
export class EmbeddedCotangent extends SparseCotangent {
  constructor(
    readonly path: readonly string[],
    readonly g: VValue,
  ) {
    super();
  }

  addInto(acc: MutableTree): void {
    const { path, g } = this;
    if (path.length === 0) {
      axpyInto(acc, 1, g);
      return;
    }
    let t = acc;
    for (let d = 0; d < path.length - 1; d++) t = ownedChild(t, path[d]!);
    const last = path[path.length - 1]!;
    const at = t[last];
    if (at === undefined) t[last] = typeof g === "number" ? g : cloneP(g);
    else if (typeof at === "number" && typeof g === "number") t[last] = at + g;
    else axpyInto(ownedChild(t, last), 1, g);
  }
}

/** `t[k]` as an owned tree, creating it (or lifting a number to its ":number" part). */
function ownedChild(t: MutableTree, k: string): MutableTree {
  const cur = t[k];
  if (cur !== undefined && typeof cur !== "number") return cur as MutableTree;
  const c = newTree();
  if (cur !== undefined) c[NUMBER_KEY] = cur;
  t[k] = c;
  return c;
}
