/**
 * The two checks of vgrad against the reference model, on one program: values and
 * leaf sets (plain and traced), and gradients against finite differences of the model.
 * Each returns `null` when vgrad agrees, `"skip"` when the model cannot judge the
 * program, or a message with the program as code.
 */
import * as V from "../../src/index.js";
import { disagreement } from "./compare.js";
import * as M from "./model.js";
import {
  modelBackend,
  renderProgram,
  resolve,
  run,
  show,
  vgradBackend,
  type Backend,
  type Program,
  type Step,
} from "./programs.js";

export type Verdict = null | "skip" | string;

const modelOf = (inputs: readonly V.VValue[]): M.MValue[] => inputs.map((v) => M.fromVValue(v));

/** Runs the model, or undefined when a `get` hits structure the docs leave open. */
function runModel(steps: readonly Step[], inputs: readonly M.MValue[], watch?: M.Watch): M.MValue[] | undefined {
  try {
    return run(modelBackend(watch), steps, inputs);
  } catch (e) {
    if (e instanceof M.AmbiguousStructure) return undefined;
    throw e;
  }
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function fail(what: string, steps: readonly Step[], inputs: readonly V.VValue[]): string {
  return `${what}\nprogram:\n${renderProgram(steps, inputs)}`;
}

/**
 * Every register of the program, plain and traced, against the model. `be` is vgrad
 * (another backend only to show that the check can fail).
 */
export function checkValues(
  inputs: readonly V.VValue[],
  program: Program,
  be: Backend<V.VValue> = vgradBackend,
): Verdict {
  const steps = resolve(
    program,
    inputs.map((v) => typeof v === "number"),
  );
  const expected = runModel(steps, modelOf(inputs));
  if (expected === undefined) return "skip";
  const n = inputs.length;
  let plain: V.VValue[];
  try {
    plain = run(be, steps, inputs);
  } catch (e) {
    return fail(`plain run throws: ${message(e)}`, steps, inputs);
  }
  for (let r = n; r < plain.length; r++) {
    const d = disagreement(plain[r], expected[r]!);
    if (d !== null)
      return fail(`r${r} (plain) = ${show(plain[r])}; model ${M.render(expected[r]!)}: ${d}`, steps, inputs);
  }
  // traced: the registers returned as an object literal of tracked values
  let traced: V.VValue;
  try {
    traced = V.pullback(
      (...xs: V.VValue[]) => {
        const regs = run(be, steps, xs);
        const out: Record<string, V.VValue> = {};
        for (let r = n; r < regs.length; r++) out[`r${r}`] = regs[r]!;
        return out as V.VValue;
      },
      ...inputs,
    ).value;
  } catch (e) {
    return fail(`traced run throws: ${message(e)}`, steps, inputs);
  }
  for (let r = n; r < plain.length; r++) {
    const got = (traced as Record<string, V.VValue>)[`r${r}`];
    const d = disagreement(got, expected[r]!);
    if (d !== null) return fail(`r${r} (traced) = ${show(got)}; model ${M.render(expected[r]!)}: ${d}`, steps, inputs);
  }
  return null;
}

/** Distance from kinks (relu, abs, ties, clip bounds, maxNorm) for finite differences. */
export const KINK_MARGIN = 1e-3;
/** Distance from poles (sqrt, log, a divisor, l2Norm at 0). */
export const POLE_MARGIN = 0.1;
/** Largest intermediate |value| for finite differences. */
export const VALUE_BOUND = 1e3;
/** Finite-difference step. */
export const H = 1e-6;

/**
 * vgrad's gradient of the program (ending in a scalar) against central differences of
 * the model at every input leaf, where the model's function is smooth: programs that
 * come within a margin of a kink or a pole, or whose values are not finite or large,
 * are skipped. Also the gradient's shape: its leaves are leaves of the input.
 */
export function checkGradient(
  inputs: readonly V.VValue[],
  program: Program,
  be: Backend<V.VValue> = vgradBackend,
  tolerance: (e: FdError) => number = fdTolerance,
): Verdict {
  const steps = resolve(
    program,
    inputs.map((v) => typeof v === "number"),
  );
  const base = modelOf(inputs);
  const watch = M.newWatch();
  const regs = runModel(steps, base, watch);
  if (regs === undefined) return "skip";
  if (!(watch.kink > KINK_MARGIN && watch.pole > POLE_MARGIN)) return "skip";
  for (const r of regs) for (const l of r.leaves.values()) if (!(Math.abs(l.x) < VALUE_BOUND)) return "skip";
  const model = regs[regs.length - 1]!.leaves.get(M.pathKey([]))!;

  let value: number;
  let gradient: V.VValue[];
  try {
    ({ value, gradient } = V.valueAndGradient((...xs: V.VValue[]) => run(be, steps, xs).at(-1)!, ...inputs));
  } catch (e) {
    return fail(`valueAndGradient throws: ${message(e)}`, steps, inputs);
  }
  const d = disagreement(value, regs[regs.length - 1]!);
  if (d !== null) return fail(`value ${value}: ${d}`, steps, inputs);

  const f = (args: M.MValue[]): number => run(modelBackend(), steps, args).at(-1)!.leaves.get(M.pathKey([]))!.x;
  for (let i = 0; i < inputs.length; i++) {
    let g: M.MValue;
    try {
      g = M.fromVValue(gradient[i], `gradient[${i}]`);
    } catch (e) {
      return fail(message(e), steps, inputs);
    }
    const outside = [...g.leaves.keys()].filter((k) => !base[i]!.leaves.has(k));
    if (outside.length > 0)
      return fail(`gradient[${i}] has leaves the input lacks: ${outside.join(" ")}`, steps, inputs);
    for (const [k, l] of base[i]!.leaves) {
      const at = (x: number) => f(base.map((v, j) => (j === i ? M.withLeaf(v, k, x) : v)));
      const fd = (at(l.x + H) - at(l.x - H)) / (2 * H);
      const rev = g.leaves.get(k)?.x ?? 0;
      const e = { fd, rev, m: model.m };
      if (!(Math.abs(rev - fd) <= tolerance(e))) {
        const what = `gradient[${i}] at ${k}: ${rev}, finite differences of the model ${fd} (tolerance ${tolerance(e)})`;
        return fail(what, steps, inputs);
      }
    }
  }
  return null;
}

/** What a finite-difference tolerance may depend on. */
export interface FdError {
  /** The central difference. */
  fd: number;
  /** vgrad's gradient leaf. */
  rev: number;
  /** The model's magnitude bound of the function's value (its rounding is ≈ ε·m). */
  m: number;
}

/**
 * Central differences with step h are off by ≈ h²·f‴/6 (truncation) plus the rounding
 * of two evaluations over 2h (≈ ε·m/h). Measured on the gradient property's programs:
 * relative error below 1e-8, so 1e-6 leaves room and still sees any wrong rule.
 */
export function fdTolerance(e: FdError): number {
  return 1e-6 * Math.max(1, Math.abs(e.fd), Math.abs(e.rev)) + (100 * Number.EPSILON * e.m) / H;
}
