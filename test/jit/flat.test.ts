/**
 * Flat training loops: `jit(f).flat(...)` computes on Float64Arrays what
 * `valueAndGradient(jit(f), ...)` computes on trees (gradients scattered densely onto
 * the arguments' layouts), and `adam`/`sgd` on flat arrays take the tree steps.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  adam,
  flatten,
  get,
  jit,
  layoutOf,
  mul,
  neg,
  primal,
  sgd,
  sum,
  tanh,
  unflatten,
  valueAndGradient,
  type VValue,
} from "../../src/index.js";
import { leafArb, vvalueArb } from "../../src/testing/index.js";
import { caseArb, functionsOf, type Case } from "./cases.js";
import { expectAgree } from "./agree.js";
import { flatState } from "../../src/optim/optimizer.js";

const SEED = 20261202;

/** A gradient tree on the layout of `arg`: dense, 0 where the tree has no leaf. */
const dense = (g: VValue, arg: VValue): Float64Array => flatState(layoutOf(arg), g);

describe("jit(f).flat", () => {
  it("gives the value and the gradients of valueAndGradient(jit(f)), on flat arrays, replayed on new values", () => {
    fc.assert(
      fc.property(caseArb(), (c: Case) => {
        const { scalar, describe } = functionsOf(c);
        const j = jit(scalar);
        const fl = j.flat(...c.inputs);
        expect(fl.layouts.map((l) => l.key)).toEqual(c.inputs.map((x) => layoutOf(x).key));
        for (const xs of [c.inputs, c.fresh, c.inputs, c.fresh]) {
          const want = valueAndGradient(scalar, ...xs);
          const grads = xs.map((x) => new Float64Array(layoutOf(x).size).fill(7)); // overwritten
          const value = fl.valueAndGradient(
            xs.map((x) => flatten(x).values),
            grads,
          );
          expectAgree("value", value, want.value, describe());
          xs.forEach((x, i) => {
            const expected = dense(want.gradient[i]!, x);
            expectAgree(
              `gradient[${i}]`,
              unflatten(layoutOf(x), grads[i]!),
              unflatten(layoutOf(x), expected),
              describe(),
            );
          });
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("takes a cotangent for a tree-valued f, and returns f's value", () => {
    const f = (w: VValue): VValue => ({ loss: sum(mul(w, w)), aux: sum(tanh(w)) });
    const w = { a: 1, b: { c: -2 } };
    const fl = jit(f).flat(w);
    const g = new Float64Array(2);
    const value = fl.valueAndGradient([flatten(w).values], [g], { loss: 1 });
    expect(value).toEqual({ loss: 5, aux: Math.tanh(1) + Math.tanh(-2) });
    expect([...g]).toEqual([2, -4]);
  });

  it("leaves a gradient it is not given alone, and fills a leaf f never reads with 0", () => {
    const f = (w: VValue, x: VValue): VValue => mul(get(w, "a"), x);
    const fl = jit(f).flat({ a: 2, unused: 5 }, 3);
    const gw = new Float64Array([9, 9]);
    expect(fl.valueAndGradient([new Float64Array([2, 5]), new Float64Array([3])], [gw, undefined])).toBe(6);
    expect([...gw]).toEqual([3, 0]);
  });

  it("rejects arrays of the wrong number or size, naming which", () => {
    const fl = jit((w: VValue) => sum(w)).flat({ a: 1, b: 2 });
    expect(() => fl.valueAndGradient([], [])).toThrow(/expected 1 argument array/);
    expect(() => fl.valueAndGradient([new Float64Array(3)], [])).toThrow(
      /argument 0 must be a Float64Array of 2 leaves/,
    );
    expect(() => fl.valueAndGradient([new Float64Array(2)], [new Float64Array(1)])).toThrow(/gradient 0 must be/);
  });

  it("catches value-dependent control flow, or traces again with onValueChange: 'retrace'", () => {
    const f = (x: VValue): VValue => ((primal(x) as number) > 0 ? mul(x, x) : neg(x));
    const g = new Float64Array(1);
    const strict = jit(f).flat(2);
    expect(strict.valueAndGradient([new Float64Array([2])], [g])).toBe(4);
    expect(() => strict.valueAndGradient([new Float64Array([-3])], [g])).toThrow(/primal\(\)/);
    const retrace = jit(f, { onValueChange: "retrace" }).flat(2);
    expect(retrace.valueAndGradient([new Float64Array([-3])], [g])).toBe(3);
    expect(g[0]).toBe(-1);
  });
});

describe("optimizers on flat arrays take the tree steps", () => {
  /** A sparse gradient on `params`' structure: each leaf kept or dropped. */
  const sparseOn = (params: VValue, scale: number, keep: boolean[]): VValue => {
    let i = 0;
    const walk = (v: VValue): VValue | undefined => {
      if (typeof v === "number") return keep[i++ % keep.length] ? v * scale + 0.25 : undefined;
      const out: Record<string, VValue> = Object.create(null) as Record<string, VValue>; // "__proto__" is data
      for (const k of Object.keys(v)) {
        const x = walk(v[k]!);
        if (x !== undefined) out[k] = x;
      }
      return out;
    };
    return walk(params) ?? {};
  };

  for (const [name, make] of [
    ["adam", () => adam({ lr: 0.05 })],
    ["sgd with momentum", () => sgd({ lr: 0.1, momentum: 0.9 })],
  ] as const) {
    it(`${name}: bit-identical params and state over several sparse steps`, () => {
      fc.assert(
        fc.property(
          vvalueArb(),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
          fc.array(leafArb({ min: -3, max: 3, specialValues: false }), { minLength: 1, maxLength: 4 }),
          (params, keep, scales) => {
            const opt = make() as ReturnType<typeof adam>;
            const layout = layoutOf(params);
            let tree = params;
            let state = opt.init(params);
            const flat = opt.flat(layout);
            const p = flatten(params).values;
            for (const s of scales) {
              const g = sparseOn(tree, s, keep);
              ({ params: tree, state } = opt.step(tree, g, state));
              flat.step(p, dense(g, params));
            }
            expect([...p]).toEqual([...flatten(tree).values]);
            // the state converts back, and a flat optimizer resumed from it continues identically
            const resumed = opt.flat(layout, flat.state());
            const p2 = p.slice();
            const g = dense(sparseOn(tree, 1.5, keep), params);
            flat.step(p, g);
            resumed.step(p2, g);
            expect([...p2]).toEqual([...p]);
          },
        ),
        { seed: SEED, numRuns: 200 },
      );
    });
  }
});
