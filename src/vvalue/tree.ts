import { NUMBER_KEY, type VTree, type VValue } from "./types.js";

/** A mutable tree under construction (null prototype, so any key is data). */
export type MutableTree = { [key: string]: VValue };

/**
 * A fresh empty tree with a null prototype: keys such as `"__proto__"` or
 * `"toString"` are ordinary data on it and never reach `Object.prototype`.
 */
export function newTree(): MutableTree {
  return Object.create(null) as MutableTree;
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Own-key lookup: inherited names (`"toString"`, `"__proto__"`) read as absent. */
export function child(t: VTree, key: string): VValue | undefined {
  return hasOwnProperty.call(t, key) ? t[key] : undefined;
}

/** Whether `t` has `key` as an own property. */
export function hasKey(t: VTree, key: string): boolean {
  return hasOwnProperty.call(t, key);
}

/**
 * Sets `t[key] = v` as an own data property even for `"__proto__"` on a tree that
 * may have `Object.prototype` (user input); null-prototype trees take plain assignment.
 */
export function setChild(t: MutableTree, key: string, v: VValue): void {
  if (key === "__proto__" && Object.getPrototypeOf(t) !== null) {
    Object.defineProperty(t, key, { value: v, enumerable: true, writable: true, configurable: true });
  } else {
    t[key] = v;
  }
}

/** The scalar part of a V-value: `x` for a number, `t[":number"]` (or 0) for a tree. */
export function numberPart(v: VValue): number {
  if (typeof v === "number") return v;
  const n = child(v, NUMBER_KEY);
  if (n === undefined) return 0;
  return typeof n === "number" ? n : numberPart(n);
}

/** Whether `v` is a (non-number) tree. */
export function isTree(v: VValue): v is VTree {
  return typeof v !== "number";
}
