import type { VValue } from "../vvalue/types.js";

/**
 * A cotangent in packed form: a Float64Array over a fixed layout, with the function
 * that unpacks it into a V-value. A rule that is applied many times to the same
 * large argument (a DMM's matrix, once per cycle) returns these; the backward pass
 * sums them in place and unpacks once, instead of building and adding a tree per use.
 */
export class PackedCotangent {
  constructor(
    readonly data: Float64Array,
    /** Identifies the layout: only cotangents with the same layout are summed packed. */
    readonly layout: object,
    readonly unpack: (data: Float64Array) => VValue,
  ) {}

  /** `this += other` in place (the backward pass owns every packed cotangent it holds). */
  addInPlace(other: PackedCotangent): void {
    const a = this.data, b = other.data;
    for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
  }

  toVValue(): VValue {
    return this.unpack(this.data);
  }
}
