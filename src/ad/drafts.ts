/**
 * immer drafts met by a recorded operation. A draft is a proxy that immer revokes when
 * its `produce` returns, but a trace keeps an operation's arguments for its pullback
 * (and jit for lowering): an argument that is a draft, or a draft inside an object
 * literal of tracked values, is recorded as a copy of its current value instead.
 */
import { newTree } from "../vvalue/tree.js";
import { Tracked, type Val } from "./tracked.js";

/** immer's draft brand: a registered symbol, so vgrad needs no import of immer. */
const IMMER_STATE = Symbol.for("immer-state");

/** Whether `x` (no tracked value) is an immer draft. */
export function isDraft(x: object): boolean {
  return (x as { [IMMER_STATE]?: unknown })[IMMER_STATE] !== undefined;
}

/** `v`, or a copy of its current value if it is an immer draft (tracked leaves kept). */
export function undrafted<T extends Val>(v: T): T {
  return typeof v === "object" && !(v instanceof Tracked) && isDraft(v) ? (copy(v) as T) : v;
}

function copy(v: Val): Val {
  if (typeof v !== "object" || v instanceof Tracked) return v;
  const out = newTree();
  for (const k in v) out[k] = copy((v as Record<string, Val>)[k]!) as never;
  return out;
}
