/**
 * vgrad against the reference model of its documented semantics (./model.ts): each
 * operation and random straight-line programs agree with the model in value and leaf
 * set, plain and traced, and gradients agree with central differences of the model.
 * Finite differences alone cannot judge values (an invented leaf, a last-bit error in
 * a division), and values alone cannot judge gradients: both are needed.
 *
 * Deterministic: a fixed seed and explicit run counts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { leafArb } from "../../src/testing/index.js";
import { checkGradient, checkValues, type Verdict } from "./checks.js";
import { OPS, programArb } from "./programs.js";

const SEED = 8;

/** Leaves with zeros and ties, and now and then one that over- or underflows. */
const hostileLeaf = fc.oneof(
  { weight: 9, arbitrary: leafArb() },
  { weight: 1, arbitrary: fc.constantFrom(0.1, 0.3, 1e-310, 5e-324, 1e300, -1e300) },
);

/** The property's verdict: a skip is a precondition, a message a failure. */
function holds(v: Verdict): void {
  fc.pre(v !== "skip");
  if (v !== null) throw new Error(v);
}

describe("vgrad agrees with the reference model", () => {
  it.each(OPS)("%s: value and leaf set, plain and traced", (op) => {
    const arb = programArb({ ops: [op], maxLength: 1, leaf: hostileLeaf, extremes: true });
    fc.assert(
      fc.property(arb, ({ inputs, program }) => holds(checkValues(inputs, program))),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("random programs: every register's value and leaf set, plain and traced", () => {
    const arb = programArb({ ops: OPS, maxLength: 6, leaf: hostileLeaf, extremes: true });
    fc.assert(
      fc.property(arb, ({ inputs, program }) => holds(checkValues(inputs, program))),
      { seed: SEED, numRuns: 10_000 },
    );
  });

  it("random programs: gradients equal central differences of the model away from kinks", () => {
    const arb = programArb({ ops: OPS, maxLength: 6, leaf: leafArb({ min: -2, max: 2 }), extremes: false });
    fc.assert(
      fc.property(arb, ({ inputs, program }) => holds(checkGradient(inputs, program))),
      { seed: SEED, numRuns: 5_000 },
    );
  });
});
