/**
 * A V-value: a number, or a tree (nested map) whose leaves are numbers.
 *
 * A bare number `x` is the same vector as `{":number": x}`; a missing key is 0;
 * `{}` is the zero vector.
 */
export type VValue = number | VTree;

/** A tree-shaped V-value: string keys, V-value children. Treat as immutable. */
export interface VTree {
  readonly [key: string]: VValue;
}

/** The reserved key that holds a tree's scalar part. */
export const NUMBER_KEY = ":number";

/**
 * The brand of tracked values (the AD layer sets `[TRACKED] = true` on their
 * prototype), so that the plain helpers can name one without importing the AD layer.
 * A registered symbol: two copies of vgrad in one program agree on it.
 */
export const TRACKED = Symbol.for("vgrad.tracked");
