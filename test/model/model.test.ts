/**
 * The reference model reproduces the documented examples (README.md, docs/guide.md,
 * the operations' TSDoc, and the values issue 8 states), so that agreeing with it
 * means agreeing with the docs. Expected values are the docs', not vgrad's output.
 */
import { describe, expect, it } from "vitest";
import { disagreement } from "./compare.js";
import * as M from "./model.js";

const m = (v: unknown): M.MValue => M.fromVValue(v);

/** The model's result has exactly the leaves of `expected` (a V-value), to 1e-15. */
function expectModel(result: M.MValue, expected: unknown): void {
  const e = m(expected);
  expect([...result.leaves.keys()].sort()).toEqual([...e.leaves.keys()].sort());
  for (const [k, l] of e.leaves) {
    const x = result.leaves.get(k)!.x;
    expect(Math.abs(x - l.x) <= 1e-15 * Math.max(1, Math.abs(l.x)) || Object.is(x, l.x), `${k}: ${x} vs ${l.x}`).toBe(
      true,
    );
  }
}

describe("values as flat maps", () => {
  it("a number is the vector {':number': x}, at every depth", () => {
    expect([...m(3).leaves.keys()]).toEqual(["[]"]);
    expect([...m({ ":number": { ":number": 3 } }).leaves.keys()]).toEqual(["[]"]);
    expect([...m({ a: { ":number": 1 } }).leaves.keys()]).toEqual(['["a"]']);
  });

  it("a ':number' key holding a tree is an ordinary key", () => {
    expect([...m({ ":number": { a: 1 } }).leaves.keys()]).toEqual(['[":number","a"]']);
  });

  it("empty subtrees hold no leaves; hostile keys are data", () => {
    expect(m({ a: {}, b: { c: {} } }).leaves.size).toBe(0);
    const v = JSON.parse('{"__proto__": 1, "constructor": {"toString": 2}}') as unknown;
    expect([...m(v).leaves.keys()].sort()).toEqual(['["__proto__"]', '["constructor","toString"]']);
  });

  it("rejects what is not a V-value, naming the path", () => {
    expect(() => m({ a: [1] })).toThrow(/value\["a"\] is not a V-value: an array/);
    expect(() => m({ a: { b: null } })).toThrow(/value\["a"\]\["b"\] is not a V-value: null/);
    expect(() => m(new Map())).toThrow(/an instance of Map/);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => m(cyclic)).toThrow(/deeper than 1000 levels/);
  });
});

describe("documented examples", () => {
  it("linear", () => {
    expectModel(M.add(m({ a: 1 }), m({ a: 2, b: 3 })), { a: 3, b: 3 });
    expectModel(M.add(m(1), m({ a: 2 })), { ":number": 1, a: 2 });
    expectModel(M.sub(m({ a: 3 }), m({ a: 1, b: 1 })), { a: 2, b: -1 });
    expectModel(M.neg(m({ a: 1, b: { c: -2 } })), { a: -1, b: { c: 2 } });
    expectModel(M.scale(m(2), m({ a: 1, b: { c: 3 } })), { a: 2, b: { c: 6 } });
    expectModel(M.div(m({ a: 3 }), m(2)), { a: 1.5 });
    expectModel(M.linearCombination([m(2), m(-1)], [m({ a: 1 }), m({ a: 1, b: 1 })]), { a: 1, b: -1 });
  });

  it("div divides (issue 8)", () => {
    expectModel(M.div(m(0.3), m(0.1)), 2.9999999999999996);
    expectModel(M.div(m(1e-310), m(1e-310)), 1);
    expectModel(M.div(m(0), m(5e-324)), 0);
  });

  it("products on common key paths", () => {
    expectModel(M.mul(m({ a: 2, b: 3 }), m({ a: 5 })), { a: 10 });
    expectModel(M.dot(m({ a: 1, b: { c: 2 } }), m({ a: 3, b: { c: 4 } })), 11);
    expectModel(M.mul(m(2), m({ a: 3 })), {});
  });

  it("reductions", () => {
    expectModel(M.sum(m({ a: 1, b: { c: 2 } })), 3);
    expectModel(M.l1Norm(m({ a: -1, b: { c: 2 } })), 3);
    expectModel(M.l2Norm(m({ a: 3, b: { c: 4 } })), 5);
    expectModel(M.maxNorm(m({ a: -3, b: { c: 2 } })), 3);
    expectModel(M.maxNorm(m({})), 0);
    expectModel(M.sum(m({})), 0);
  });

  it("leafwise ops act on present leaves", () => {
    expectModel(M.relu(m({ a: -1, b: 2 })), { a: 0, b: 2 });
    expectModel(M.tanh(m({ a: 0 })), { a: 0 });
    expectModel(M.sigmoid(m(0)), 0.5);
    expectModel(M.exp(m({ a: 0 })), { a: 1 });
    expectModel(M.exp(m({})), {});
    expectModel(M.log(m({ a: 1 })), { a: 0 });
    expectModel(M.square(m({ a: 3 })), { a: 9 });
    expectModel(M.sqrt(m({ a: 4 })), { a: 2 });
    expectModel(M.abs(m({ a: -2 })), { a: 2 });
  });

  it("max, min and clip over the union of key paths, inventing no leaves (issue 8)", () => {
    expectModel(M.max(m({ a: 1, b: -1 }), m({ a: 2 })), { a: 2, b: 0 });
    expectModel(M.min(m({ a: 1 }), m({ a: 2, b: 3 })), { a: 1, b: 0 });
    expectModel(M.clip(m({ a: -5, b: 0.5, c: 9 }), -1, 1), { a: -1, b: 0.5, c: 1 });
    expectModel(M.max(m({ a: { b: 1 } }), m({})), { a: { b: 1 } });
    expectModel(M.sum(M.sigmoid(M.min(m({ c: {} }), m({})))), 0);
    expectModel(M.sum(M.exp(M.max(m({ a: { b: 1 } }), m({})))), Math.E);
  });

  it("get: missing keys and inherited names read as 0, ':number' continues past a number", () => {
    expectModel(M.get(m({ a: { b: 2 } }), ["a", "b"]), 2);
    expectModel(M.get(m({ a: 1 }), ["toString"]), 0);
    expectModel(M.get(m(2), [":number", ":number"]), 2);
    expectModel(M.get(m({ a: 5 }), ["a", "b"]), 0);
    expectModel(M.get(m({ a: { ":number": 3, b: 1 } }), ["a", ":number"]), 3);
    expectModel(M.get(m({ ":number": { a: 2 }, b: 3 }), [":number"]), { a: 2 });
  });

  it("get: an empty subtree is {}, a missing key the number 0", () => {
    expectModel(M.get(m({ a: {} }), ["a"]), {});
    expectModel(M.exp(M.get(m({ a: {} }), ["a"])), {});
    expectModel(M.exp(M.get(m({}), ["a"])), 1);
    expectModel(M.get(m({ a: { ":number": {} } }), ["a", ":number"]), {});
    expectModel(M.get(m({ a: {} }), ["a", ":number"]), 0);
  });

  it("get on a result whose empty subtrees the docs leave open is refused", () => {
    // mul({a: 1}, {a: {b: 2}}) has no leaves; whether it keeps a subtree at "a" is not documented
    expect(() => M.get(M.mul(m({ a: 1 }), m({ a: { b: 2 } })), ["a"])).toThrow(M.AmbiguousStructure);
    expectModel(M.get(M.mul(m({ a: 1 }), m({ a: { b: 2 } })), ["c"]), 0);
  });

  it("object literals: a computed '__proto__' key is data", () => {
    expectModel(
      M.literal([
        ["__proto__", m(1)],
        ["x", m({ ":number": 2 })],
      ]),
      JSON.parse('{"__proto__": 1, "x": 2}'),
    );
    expectModel(M.get(M.literal([["k", m({})]]), ["k"]), {});
  });
});

describe("comparing with the model", () => {
  it("exact leaves must match to the last bit", () => {
    const model = M.div(m(0.3), m(0.1));
    expect(disagreement(2.9999999999999996, model)).toBeNull();
    expect(disagreement(3, model)).toMatch(/exact/);
  });

  it("inexact leaves within 1e-12 of the terms they come from", () => {
    const model = M.sum(M.tanh(m({ a: 1, b: 2 })));
    const x = Math.tanh(1) + Math.tanh(2);
    expect(disagreement(x * (1 + 1e-14), model)).toBeNull();
    expect(disagreement(x * (1 + 1e-10), model)).toMatch(/model/);
  });

  it("NaN equals NaN; a leaf set must match, explicit zeros included", () => {
    expect(disagreement(NaN, M.sqrt(m(-1)))).toBeNull();
    expect(disagreement(0, M.sqrt(m(-1)))).toMatch(/NaN/);
    expect(disagreement({ a: 0 }, m({}))).toMatch(/leaf set differs: extra \["a"\]/);
    expect(disagreement({}, m({ a: 0 }))).toMatch(/missing \["a"\]/);
    expect(disagreement({ a: { ":number": 1 } }, m({ a: 1 }))).toBeNull();
  });
});
