/**
 * immer's `produce` on V-values: plain trees of every kind vgrad makes or accepts
 * (object literals, null-prototype objects, vgrad's own trees), and tracked trees
 * inside a differentiated function (through `unpack`), eager and under `jit`.
 */
import fc from "fast-check";
import { produce, isDraft } from "immer";
import { describe, expect, it } from "vitest";
import {
  add,
  equals,
  fromJSON,
  gradient,
  jit,
  leaves,
  mul,
  relu,
  scale,
  sub,
  sum,
  tanh,
  unpack,
  type VValue,
} from "../../src/index.js";
import { vvalueArb } from "../../src/testing/index.js";
import { RUNS } from "./helpers.js";

type Draft = Record<string, any>;

describe("immer drafts plain trees", () => {
  it("an object literal: a nested edit shares what it does not touch", () => {
    const p = { w: { a: 1, b: 2 }, bias: { c: 3 } };
    const q = produce(p, (d) => {
      d.w.a = 10;
    });
    expect(q).toEqual({ w: { a: 10, b: 2 }, bias: { c: 3 } });
    expect(p.w.a).toBe(1);
    expect(q.bias).toBe(p.bias);
  });

  it("vgrad's own trees (results of operations, fromJSON, gradients) keep their prototype", () => {
    const made: VValue[] = [
      add({ w: { a: 1 } }, { w: { b: 2 } }),
      fromJSON('{"w": {"a": 1, "b": 2}}'),
      gradient((t: VValue) => sum(mul(t, t)), { w: { a: 0.5, b: 1 } })[0]!,
    ];
    for (const v of made) {
      const q = produce(v, (d: Draft) => {
        d["w"].a = 7;
        d["extra"] = 1;
      }) as Draft;
      expect(Object.getPrototypeOf(q)).toBe(Object.getPrototypeOf(v));
      expect(Object.getPrototypeOf(q["w"])).toBe(Object.getPrototypeOf((v as Draft)["w"]));
      expect(q["w"].a).toBe(7);
      expect(q["extra"]).toBe(1);
      expect((v as Draft)["w"].a).not.toBe(7);
    }
  });

  it("hostile keys stay data on vgrad's trees: __proto__, constructor, toString", () => {
    const v = fromJSON('{"__proto__": {"x": 1}, "constructor": 2}');
    const q = produce(v, (d: Draft) => {
      d["__proto__"].x = 5;
      d["constructor"] = 3;
      d["toString"] = 4;
      d["__proto__"]["__proto__"] = 6;
    }) as Draft;
    expect(Object.keys(q)).toEqual(["__proto__", "constructor", "toString"]);
    expect(leaves(q)).toEqual([
      [["__proto__", "x"], 5],
      [["__proto__", "__proto__"], 6],
      [["constructor"], 3],
      [["toString"], 4],
    ]);
  });

  it("a parameter update outside gradient, with vgrad operations on the draft", () => {
    const p = { layer: { a: 1, b: -2 }, out: 0.5 };
    const loss = (t: VValue) => sum(tanh(mul(t, t)));
    const [g] = gradient(loss, p) as [Draft];
    const q = produce(p, (d) => {
      d.layer = sub(d.layer, scale(0.1, g["layer"])) as typeof d.layer;
      d.out -= 0.1 * g["out"];
    });
    expect(equals(q, sub(p, scale(0.1, g)), { tolerance: 1e-15 })).toBe(true);
    expect(isDraft((q as Draft)["layer"])).toBe(false);
    // the frozen result is an ordinary argument of gradient and jit
    expect(gradient(loss, q)).toEqual(gradient(loss, sub(p, scale(0.1, g))));
    expect(jit(loss)(q)).toBe(loss(q));
  });

  it("property: setting every leaf through a draft of a vgrad tree doubles it, any keys", () => {
    fc.assert(
      fc.property(vvalueArb({ maxDepth: 3 }), (literal) => {
        const v = scale(1, literal); // the same value on vgrad's trees
        if (typeof v === "number") return;
        const q = produce(v, (d: Draft) => {
          for (const [path, x] of leaves(v)) {
            let t = d;
            for (const k of path.slice(0, -1)) t = t[k];
            t[path[path.length - 1]!] = 2 * x;
          }
        });
        expect(leaves(q)).toEqual(leaves(v).map(([p, x]) => [p, 2 * x]));
      }),
      RUNS,
    );
  });
});

describe("immer drafts tracked trees through unpack", () => {
  const params = { layer: { a: 0.5, b: -1.5 }, scale: 2 };
  /** An edit written as a mutation: scale one subtree, rectify one leaf. */
  const edit = (d: Draft): void => {
    d["layer"].a = relu(d["layer"].a);
    d["layer"] = scale(d["scale"], d["layer"]);
  };
  const viaImmer = (p: VValue) => sum(tanh(produce(unpack(p), edit) as VValue));
  /** The same function written without immer. */
  const reference = (p: VValue) => {
    const t = p as Draft;
    return sum(tanh({ layer: scale(t["scale"], { a: relu(t["layer"].a), b: t["layer"].b }), scale: t["scale"] }));
  };

  it("produce(unpack(p), recipe) inside gradient differentiates the edit", () => {
    expect(viaImmer(params)).toBe(reference(params));
    expect(gradient(viaImmer, params)).toEqual(gradient(reference, params));
  });

  it("unpack of a plain value is the value itself", () => {
    expect(unpack(params as VValue)).toBe(params);
    expect(unpack(3)).toBe(3);
  });

  it("under jit", () => {
    const f = jit(viaImmer);
    expect(f(params)).toBeCloseTo(viaImmer(params), 14);
    const g = gradient(viaImmer, params);
    expect(gradient(f, params)).toEqual(g);
    expect(gradient(f, params)).toEqual(g);
    expect(f.traces).toBe(2);
  });

  it("produce on a tracked tree without unpack says what to do", () => {
    expect(() => gradient((p: VValue) => sum(produce(p, edit) as VValue), params)).toThrow(
      /converted to a string.*produce\(unpack\(x\)/,
    );
  });

  it("empty subtrees, and the whole draft handed to an operation, under jit", () => {
    const p = { layer: { a: 0.5, b: -1 }, e: {}, k: 2 };
    const f = (q: VValue) =>
      sum(
        tanh(
          produce(unpack(q), (d: Draft) => {
            d["twice"] = scale(2, d);
          }) as VValue,
        ),
      );
    // the same function without immer: tanh of every leaf, once as it is and once doubled
    const reference = (q: VValue) => add(sum(tanh(q)), sum(tanh(scale(2, q))));
    expect(f(p)).toBeCloseTo(reference(p) as number, 14);
    const g = gradient(reference, p);
    const jf = jit(f);
    for (const h of [f, jf, jf]) expect(equals(gradient(h, p)[0]!, g[0]!, { tolerance: 1e-14 })).toBe(true);
    expect(jf(p)).toBeCloseTo(reference(p) as number, 14);
  });
});

describe("drafts of plain trees handed to recorded operations", () => {
  // a network edit inside a differentiated function: the weights scaled by a tracked
  // factor; the trace keeps copies of the drafts it met, as immer revokes them
  const net = { soft: { a: 1, b: { c: -2 } }, hard: { h: 5 } };
  const loss = (alpha: VValue) =>
    sum(
      produce(net, (d) => {
        d.soft = scale(alpha, d.soft) as typeof d.soft;
      }) as VValue,
    );

  it("eager and under jit: d(alpha·Σsoft + Σhard)/dalpha = Σsoft", () => {
    expect(loss(3)).toBe(3 * (1 - 2) + 5);
    expect(gradient(loss, 3)).toEqual([-1]);
    const jl = jit(loss);
    expect(gradient(jl, 3)).toEqual([-1]);
    expect(gradient(jl, 4)).toEqual([-1]);
    expect(jl(4)).toBe(4 * (1 - 2) + 5);
  });
});
