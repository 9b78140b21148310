/**
 * `unpack`: a tracked tree as an object literal of its tracked leaves, for code that
 * walks objects by their own keys — immer's `produce` above all, which drafts objects,
 * and cannot see inside a tracked value.
 */
import { holdsTracked, isNumberLike } from "../ad/primitive.js";
import { shapeOf } from "../ad/stop-gradient.js";
import { Tracked } from "../ad/tracked.js";
import type { VValue } from "../vvalue/types.js";
import { zipLeaves } from "../vvalue/zip-leaves.js";
import { get } from "./access.js";

const isTrackedNumber = (y: unknown): boolean => y instanceof Tracked && isNumberLike(y);

/**
 * `v` as a tree of its leaves: inside a differentiated function, a tracked tree (or an
 * object literal holding tracked trees) becomes a tree of vgrad's with `v`'s keys,
 * empty subtrees included, whose leaves are the tracked numbers `get(v, ...path)`
 * (recorded, so gradients flow through them). Such a tree is an ordinary object to
 * immer's `produce`, `Object.keys`, spread and `for…in`, and an ordinary argument to
 * every operation. A plain value is returned as it is (it is one already), so the same
 * code runs inside and outside `gradient`. Costs one recorded read per leaf.
 *
 * @example
 * import { produce } from "immer";
 * import { gradient, relu, sum, unpack, type VValue } from "vgrad";
 * const clipA = (p: VValue) => produce(unpack(p), (d: any) => { d.layer.a = relu(d.layer.a); });
 * clipA({ layer: { a: -1, b: 2 } });                                 // { layer: { a: 0, b: 2 } }
 * gradient((p: VValue) => sum(clipA(p)), { layer: { a: 3, b: 2 } }); // [{ layer: { a: 1, b: 1 } }]
 */
export function unpack(v: VValue): VValue {
  if (!holdsTracked(v)) return v;
  return zipLeaves([shapeOf(v)], (_xs, path) => get(v, ...path), isTrackedNumber);
}
