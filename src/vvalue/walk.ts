/**
 * Depth-first walks over trees without recursion (so the helpers work at any nesting
 * depth), keeping the trees on the current path, so that a cycle is caught where it
 * closes (a subtree shared under two keys is not one).
 */

/** Depths checked by scanning rather than hashing (cheaper for the usual shallow trees). */
const SCAN = 16;

/** The objects on a walk's current path, one per depth (null for none). */
export class PathObjects {
  /** `at[i]`: the object at depth i (entries deeper than the current depth are stale). */
  readonly at: Array<object | null> = [];
  /** The objects deeper than `SCAN`, where a scan would cost O(depth) per lookup. */
  private deep: Set<object> | null = null;

  /** Records `x` at depth `d` (the path's new end). */
  enter(d: number, x: object | null): void {
    this.at[d] = x;
    if (d >= SCAN && x !== null) (this.deep ??= new Set()).add(x);
  }

  /** Forgets depth `d` (the path's end). */
  leave(d: number): void {
    const x = this.at[d]!;
    if (d >= SCAN && x !== null) this.deep!.delete(x);
  }

  /** Whether `x` is at one of the depths 0..d. */
  has(x: object, d: number): boolean {
    const at = this.at;
    const n = d < SCAN ? d : SCAN - 1;
    for (let i = 0; i <= n; i++) if (at[i] === x) return true;
    return d >= SCAN && this.deep!.has(x);
  }

  /** The objects at depths 0..d (for messages). */
  upTo(d: number): Array<object | null> {
    return this.at.slice(0, d + 1);
  }
}

/** The stack of a depth-first walk over one tree, in key order. */
export class Walk {
  /** The trees on the current path: `trees.at[i]` is at depth i (the root at 0). */
  readonly trees = new PathObjects();
  /** `keyLists[i]`: the own keys of the tree at depth i. */
  readonly keyLists: string[][] = [];
  /** `next[i]`: the index in `keyLists[i]` where the walk of the tree at depth i resumes. */
  readonly next: number[] = [];
  /** `path[i]`: the key taken from the tree at depth i (kept by the user of the walk). */
  readonly path: string[] = [];
  /** The depth of the current tree; -1 when the walk is over. */
  depth = -1;

  /** Starts with `root`. */
  constructor(root: object) {
    this.push(root);
  }

  /** Descends into `t`, a child of the current tree, to walk it from its first key. */
  push(t: object): void {
    const d = ++this.depth;
    this.trees.enter(d, t);
    this.keyLists[d] = Object.keys(t);
    this.next[d] = 0;
  }

  /** Leaves the current tree. */
  pop(): void {
    this.trees.leave(this.depth--);
  }

  /** Whether `x` is one of the trees on the current path (then it closes a cycle). */
  onPath(x: object): boolean {
    return this.trees.has(x, this.depth);
  }
}
