/**
 * Random straight-line programs (test/model/programs.ts) as functions for jit, with a
 * second set of inputs of the same structure and cotangents, and the rendering of a
 * counterexample.
 */
import fc from "fast-check";
import * as V from "../../src/index.js";
import { leafArb } from "../../src/testing/index.js";
import {
  OPS,
  programArb,
  renderProgram,
  resolve,
  run,
  show,
  vgradBackend,
  type Program,
  type Step,
} from "../model/programs.js";
import { relabelArb } from "./relabel.js";

/** Leaves with zeros and ties, and now and then one that over- or underflows. */
export const hostileLeaf: fc.Arbitrary<number> = fc.oneof(
  { weight: 9, arbitrary: leafArb() },
  { weight: 1, arbitrary: fc.constantFrom(0.1, 0.3, 1e-310, 5e-324, 1e300, -1e300) },
);

type Fn = (...xs: V.VValue[]) => V.VValue;

/** One drawn case: a program, its inputs, and new inputs of the same structure. */
export interface Case {
  program: Program;
  inputs: V.VValue[];
  /** Same key paths, key order and kinds as `inputs`, other leaves. */
  fresh: V.VValue[];
  /** Cotangent leaves (cycled over an output's leaves) and which to keep in a sparse one. */
  cotangent: number[];
  cotangent2: number[];
  keep: boolean[];
}

/** Cases of programs over all operations, with hostile inputs. */
export function caseArb(maxLength = 6): fc.Arbitrary<Case> {
  const small = leafArb({ min: -2, max: 2 });
  return programArb({ ops: OPS, maxLength, leaf: hostileLeaf, extremes: true }).chain(({ inputs, program }) =>
    fc.record({
      program: fc.constant(program),
      inputs: fc.constant(inputs),
      fresh: fc.tuple(...inputs.map((v) => relabelArb(v, hostileLeaf))),
      cotangent: fc.array(small, { minLength: 1, maxLength: 40 }),
      cotangent2: fc.array(small, { minLength: 1, maxLength: 40 }),
      keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
    }),
  );
}

/** The program of a case as functions of its inputs. */
export interface Functions {
  steps: Step[];
  /** Every register the program computes, as an object literal `{ r<i>: ... }`. */
  registers: Fn;
  /** The program's final scalar. */
  scalar: Fn;
  /** The program and a case's inputs as code, for a counterexample. */
  describe(extra?: Record<string, unknown>): string;
}

export function functionsOf(c: Case): Functions {
  const steps = resolve(
    c.program,
    c.inputs.map((v) => typeof v === "number"),
  );
  const n = c.inputs.length;
  const registers: Fn = (...xs) => {
    const regs = run(vgradBackend, steps, xs);
    const out: Record<string, V.VValue> = {};
    for (let r = n; r < regs.length; r++) out[`r${r}`] = regs[r]!;
    return out as V.VValue;
  };
  const scalar: Fn = (...xs) => run(vgradBackend, steps, xs).at(-1)!;
  const describe = (extra: Record<string, unknown> = {}): string =>
    [
      "program:",
      renderProgram(steps, c.inputs),
      `fresh inputs: ${c.fresh.map(show).join(", ")}`,
      ...Object.entries(extra).map(([k, v]) => `${k}: ${show(v)}`),
    ].join("\n");
  return { steps, registers, scalar, describe };
}
