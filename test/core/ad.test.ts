/**
 * Reverse mode as users meet it: ordinary JavaScript inside f, object literals of
 * tracked values, several arguments, tree-valued outputs, nested differentiation,
 * long loops, sparsity, checkpoint, defineOp, stopGradient/primal, misuse.
 */
import { describe, expect, it } from "vitest";
import {
  add,
  checkpoint,
  defineOp,
  dot,
  equals,
  exp,
  get,
  gradient,
  keys,
  l2Norm,
  mapLeaves,
  mul,
  neg,
  primal,
  pullback,
  relu,
  scale,
  sigmoid,
  square,
  stopGradient,
  sub,
  sum,
  tanh,
  valueAndGradient,
  type VValue,
} from "../../src/index.js";
import { checkGradient } from "../../src/testing/index.js";
import { deepFreeze, expectGradientOk } from "./helpers.js";

const close = (a: number, b: number, tol = 1e-12) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe("ordinary JavaScript inside f", () => {
  it("control flow on primal values picks the branch's derivative", () => {
    const f = (x: VValue) => ((primal(x) as number) > 0 ? square(x) : neg(x));
    expect(gradient(f, 3)).toEqual([6]);
    expect(gradient(f, -2)).toEqual([-1]);
  });

  it("loops: x^n by repeated multiplication has derivative n·x^(n-1)", () => {
    const pow = (x: VValue, n: number) => {
      let y: VValue = 1;
      for (let i = 0; i < n; i++) y = mul(y, x);
      return y;
    };
    for (const n of [0, 1, 2, 5]) {
      const [g] = gradient((x) => pow(x, n), 1.5);
      close(g as number, n === 0 ? 0 : n * 1.5 ** (n - 1));
    }
  });

  it("while loops whose trip count depends on the value", () => {
    // halve until below 1: f(x) = x / 2^k for the k the loop chose
    const f = (x: VValue) => {
      let y = x;
      while ((primal(y) as number) >= 1) y = scale(0.5, y);
      return y;
    };
    expect(gradient(f, 5)).toEqual([0.125]);
    expect(gradient(f, 0.5)).toEqual([1]);
  });

  it("recursion over a tree of unknown shape", () => {
    // Σ depth(leaf) · leaf², by structural recursion with keys/get
    const weighted = (v: VValue, depth: number): VValue => {
      if (typeof primal(v) === "number") return scale(depth, square(v));
      let acc: VValue = 0;
      for (const k of keys(v)) acc = add(acc, weighted(get(v, k), depth + 1));
      return acc;
    };
    const t = { a: 1, b: { c: 2, d: { e: 3 } } };
    const [g] = gradient((x) => weighted(x, 0), t);
    expect(g).toEqual({ a: 2, b: { c: 8, d: { e: 18 } } });
  });

  it("recursion: a recursive power function", () => {
    const pow = (x: VValue, n: number): VValue => (n === 0 ? 1 : mul(x, pow(x, n - 1)));
    close(gradient((x) => pow(x, 4), 2)[0] as number, 32);
  });

  it("closures: a layer built outside f, parameters captured inside", () => {
    const layer = (w: VValue) => (x: VValue) => tanh(mul(w, x));
    const x0 = { a: 0.3, b: -1.2 };
    const report = expectGradientOk((w: VValue) => sum(layer(w)(layer(w)(x0))), [{ a: 0.7, b: 0.2 }]);
    expect(Object.keys(report.gradient[0]!).sort()).toEqual(["a", "b"]);
  });

  it("a value used many times accumulates every use", () => {
    expect(gradient((a) => sum(add(a, a)), { x: 1, y: 2 })).toEqual([{ x: 2, y: 2 }]);
    expect(gradient((a) => add(a, a), 5)).toEqual([2]);
    expect(gradient((a) => mul(a, a), 3)).toEqual([6]);
    const [g] = gradient(
      (a) => {
        let s: VValue = 0;
        for (let i = 0; i < 10; i++) s = add(s, sum(a));
        return s;
      },
      { x: 1, y: { z: 2 } },
    );
    expect(g).toEqual({ x: 10, y: { z: 10 } });
  });

  it("using a tracked value in JavaScript arithmetic throws a TypeError", () => {
    const misuse: Array<(x: any) => unknown> = [(x) => x + 1, (x) => x * 2, (x) => x > 0, (x) => `${x}`, (x) => -x];
    for (const m of misuse) {
      expect(() => gradient((x) => m(x) as VValue, 1)).toThrow(TypeError);
      expect(() => gradient((x) => m(x) as VValue, 1)).toThrow(/primal/);
      expect(() => gradient((t) => m(get(t, "a")) as VValue, { a: 1 })).toThrow(TypeError);
      expect(() => gradient((t) => m(t) as VValue, { a: 1 })).toThrow(TypeError);
    }
    expect(() => gradient((x) => Number(x), 1)).toThrow(TypeError);
    expect(() => gradient((x) => Math.sin(x as number), 1)).toThrow(TypeError);
  });

  it("NaN propagates like IEEE arithmetic instead of throwing", () => {
    const [g] = gradient((x) => square(x), NaN);
    expect(Number.isNaN(g)).toBe(true);
    const [gt] = gradient((t) => dot(t, t), { a: NaN, b: 1 });
    expect(Number.isNaN(get(gt!, "a"))).toBe(true);
    expect(get(gt!, "b")).toBe(2);
  });
});

describe("object literals of tracked values", () => {
  it("a result built as an object literal, then read with get", () => {
    const f = (a: VValue, b: VValue) => {
      const o = { true: relu(sub(a, b)), false: relu(sub(b, a)) };
      return add(get(o, "true"), scale(2, get(o, "false")));
    };
    expect(gradient(f, 3, 1)).toEqual([1, -1]);
    expect(gradient(f, 1, 3)).toEqual([-2, 2]);
  });

  it("an object literal passed to an operation", () => {
    const [gx, gy] = gradient((x, y) => sum({ p: x, q: { r: square(y) }, c: 5 } as VValue), 2, 3);
    expect(gx).toBe(1);
    expect(gy).toBe(6);
    const [g] = gradient((t) => dot({ u: get(t, "a"), v: get(t, "b") } as VValue, { u: 3, v: -1 }), { a: 1, b: 2 });
    expect(g).toEqual({ a: 3, b: -1 });
  });

  it("an object literal returned from f, through pullback", () => {
    const { value, back } = pullback((x, t) => ({ s: square(x), t: { inner: scale(x, t) } }) as VValue, 2, {
      a: 1,
      b: 3,
    });
    expect(equals(value, { s: 4, t: { inner: { a: 2, b: 6 } } })).toBe(true);
    const [gx, gt] = back({ s: 1, t: { inner: { a: 1, b: 1 } } });
    expect(gx).toBe(4 + 4); // d(x²)/dx + <1, t>
    expect(gt).toEqual({ a: 2, b: 2 });
  });

  it("object literal keys like __proto__ are data", () => {
    const [g] = gradient((x) => {
      const o: Record<string, VValue> = Object.create(null);
      o["__proto__"] = square(x);
      o["constructor"] = x;
      return add(get(o as VValue, "__proto__"), get(o as VValue, "constructor"));
    }, 3);
    expect(g).toBe(7);
  });
});

describe("arguments", () => {
  it("several arguments mixing numbers and trees", () => {
    const f = (s: VValue, t: VValue, c: VValue) => add(mul(s, dot(t, t)), scale(c, get(t, "a")));
    const [gs, gt, gc] = gradient(f, 2, { a: 1, b: { c: 3 } }, 5);
    expect(gs).toBe(10);
    expect(gt).toEqual({ a: 2 * 2 * 1 + 5, b: { c: 2 * 2 * 3 } });
    expect(gc).toBe(1);
    expectGradientOk(f, [2, { a: 1, b: { c: 3 } }, 5]);
  });

  it("arguments never read get the zero of their kind, never null/undefined", () => {
    const g = gradient((x, _t, _y, _e) => square(x), 3, { a: 1 }, 4, {});
    expect(g).toEqual([6, {}, 0, {}]);
    expect(typeof g[2]).toBe("number");
    const c = gradient(() => 1, 1, { a: { b: 2 } });
    expect(c[0]).toBe(0);
    expect(c[1]).toEqual({});
    const { back } = pullback((_x, t) => t, 1, { a: 2 });
    expect(back({ a: 1 })).toEqual([0, { a: 1 }]);
  });

  it("an argument read only through stopGradient gets a zero gradient", () => {
    expect(gradient((x, y) => mul(x, stopGradient(y)), 2, 3)).toEqual([3, 0]);
  });

  it("f returning an argument unchanged", () => {
    expect(gradient((x) => x, 2)).toEqual([1]);
    const { back } = pullback((t) => t, { a: 1, b: { c: 2 } });
    expect(back({ b: { c: 5 } })).toEqual([{ b: { c: 5 } }]);
  });

  it("gradient requires a scalar result; pullback does not", () => {
    expect(() => gradient((t) => t, { a: 1 })).toThrow(TypeError);
    expect(() => gradient(42 as unknown as () => VValue)).toThrow(TypeError);
    expect(() => pullback((() => undefined) as unknown as () => VValue)).toThrow(TypeError);
  });

  it("valueAndGradient returns both", () => {
    const r = valueAndGradient((x, t) => mul(x, get(t, "a")), 3, { a: 2, b: 5 });
    expect(r.value).toBe(6);
    expect(r.gradient).toEqual([2, { a: 3 }]);
  });
});

describe("gradients are sparse and shaped like the inputs", () => {
  it("the README example", () => {
    expect(gradient((t) => dot(t, t), { a: 1, b: { c: 2 } })).toEqual([{ a: 2, b: { c: 4 } }]);
  });

  it("get of one key gives a gradient with only that key", () => {
    const [g] = gradient((t) => get(t, "a"), { a: 1, b: 2 });
    expect(g).toEqual({ a: 1 });
    expect(Object.keys(g!)).toEqual(["a"]);
  });

  it("leafwise ops and products keep untouched keys absent", () => {
    const t = { a: 0.5, b: 2, c: { d: 1 } };
    for (const op of [tanh, sigmoid, exp, square, relu, neg]) {
      const [g] = gradient((x) => get(op(x), "a"), t);
      expect(Object.keys(g!), op.name).toEqual(["a"]);
    }
    const [gm] = gradient((x) => get(mul(x, x), "c", "d"), t);
    expect(gm).toEqual({ c: { d: 2 } });
  });

  it("a tree-valued f with a sparse cotangent gives a sparse result", () => {
    const { back } = pullback((t) => ({ u: mul(t, t), v: get(t, "a") }) as VValue, { a: 2, b: 3 });
    const [g] = back({ u: { b: 1 } });
    expect(g).toEqual({ b: 6 });
  });

  it("gradient keys never leave the input's shape", () => {
    // the output has keys the input lacks; the gradient must not
    const [g] = gradient((t) => dot(add(t, { z: 1, a: 1 }), { z: 5, a: 2 }), { a: 1 });
    expect(g).toEqual({ a: 2 });
    // a number input gets a number even when f treats it as a tree
    const [gn] = gradient((x) => dot(add(x, { b: 1 }), { ":number": 3, b: 1 }), 2);
    expect(gn).toBe(3);
  });

  it("a big tree read at one key costs one key of gradient", () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) big[`k${i}`] = i;
    const [g] = gradient((t) => square(get(t, "k7")), big);
    expect(g).toEqual({ k7: 14 });
  });

  it("missing keys and inherited names read as 0 with gradient {}", () => {
    for (const k of ["missing", "toString", "__proto__", "constructor", "hasOwnProperty"]) {
      expect(gradient((t) => get(t, k), { a: 1 })).toEqual([{}]);
    }
  });
});

describe("pullback of tree-valued functions", () => {
  const f = (w: VValue, x: VValue) => ({ y: tanh(mul(w, x)), n: l2Norm(w) }) as VValue;
  const w = { a: 0.5, b: -1 };
  const x = { a: 2, b: 3 };

  it("agrees with finite differences and the dot-product test", () => {
    expectGradientOk(f, [w, x], { directions: 5 });
  });

  it("back may be called twice, and detached from its object", () => {
    const { back } = pullback(f, w, x);
    const u1 = deepFreeze({ y: { a: 1, b: 2 }, n: 3 });
    const u2 = deepFreeze({ y: { b: -1 } });
    const first = back(u1);
    const other = back(u2);
    const again = back(u1);
    expect(again).toEqual(first);
    expect(equals(other[0]!, first[0]!)).toBe(false);
    // linearity: back(u1 + u2) = back(u1) + back(u2)
    const sumBack = back(add(u1, u2));
    for (let i = 0; i < 2; i++) expect(equals(sumBack[i]!, add(first[i]!, other[i]!), { tolerance: 1e-12 })).toBe(true);
  });

  it("back does not mutate the cotangent or the arguments", () => {
    const wf = deepFreeze({ a: 0.5, b: -1 });
    const xf = deepFreeze({ a: 2, b: 3 });
    const { back } = pullback((p, q) => add(add(p, q), mul(p, q)), wf, xf);
    const u = deepFreeze({ a: 1, b: 1 });
    expect(() => back(u)).not.toThrow();
    expect(() => back(u)).not.toThrow();
  });
});

describe("nested differentiation", () => {
  it("d/dx [x · d/dy (x·y)] = 2x", () => {
    const inner = (x: VValue) => gradient((y) => mul(x, y), 7)[0]!;
    const [g] = gradient((x) => mul(x, inner(x)), 3);
    expect(g).toBe(6);
  });

  it("no perturbation confusion: d/dx [x · (d/dy (x + y))] = 1", () => {
    const [g] = gradient((x) => mul(x, gradient((y) => add(x, y), 1)[0]!), 5);
    expect(g).toBe(1);
  });

  it("second derivatives of leafwise ops", () => {
    const d = (f: (x: VValue) => VValue) => (x: VValue) => gradient(f, x)[0]!;
    close(d(d(tanh))(0.4) as number, -2 * Math.tanh(0.4) * (1 - Math.tanh(0.4) ** 2), 1e-12);
    close(d(d(exp))(0.4) as number, Math.exp(0.4));
    close(d(d((x) => mul(square(x), x)))(2) as number, 12);
    close(d(d(d((x) => mul(square(x), x))))(2) as number, 6);
  });

  it("an inner gradient is shaped like its input, also while differentiated", () => {
    // inner: ∇_a ⟨a, b⟩ = b restricted to a's keys = { p: b.p }; outer: d/db Σ = { p: 1 }
    let inner: VValue | undefined;
    const [g] = gradient(
      (b) => {
        const [ga] = gradient((a) => dot(a, b), { p: 1 });
        inner = primal(ga!);
        return sum(ga!);
      },
      { p: 2, q: 3 },
    );
    expect(inner).toEqual({ p: 2 });
    expect(g).toEqual({ p: 1 });
    // a number input gets a number gradient inside too
    const [gx] = gradient(
      (b) => {
        const [gn] = gradient((x) => dot(x, b), 1);
        expect(typeof primal(gn!)).toBe("number");
        return gn!;
      },
      { ":number": 2, q: 3 },
    );
    expect(gx).toEqual({ ":number": 1 });
  });

  it("the gradient of a gradient norm (a tree-valued inner gradient)", () => {
    // h(w) = ‖∇_x (w·x)‖² = ‖w‖² summed as a dot: ∇h = 2w
    const h = (w: VValue) => {
      const [gx] = gradient((x) => dot(w, x), { a: 1, b: 1 });
      return dot(gx!, gx!);
    };
    const [g] = gradient(h, { a: 3, b: -2 });
    expect(g).toEqual({ a: 6, b: -4 });
  });
});

describe("long computations", () => {
  it("a 100 000-step loop is differentiated without stack overflow", () => {
    const n = 100_000;
    const [g] = gradient((x) => {
      let y = x;
      for (let i = 0; i < n; i++) y = add(scale(1 - 1e-5, y), 1e-6);
      return y;
    }, 1);
    close(g as number, (1 - 1e-5) ** n, 1e-9);
  });

  it("a 100 000-step loop over a tree", () => {
    const [g] = gradient(
      (t) => {
        let acc: VValue = 0;
        for (let i = 0; i < 100_000; i++) acc = add(acc, get(t, i % 2 === 0 ? "a" : "b"));
        return acc;
      },
      { a: 1, b: 2, c: 3 },
    );
    expect(g).toEqual({ a: 50_000, b: 50_000 });
  });
});

describe("checkpoint", () => {
  const block = (w: VValue, x: VValue) => tanh(add(mul(w, x), scale(0.5, square(w))));
  const wrapped = checkpoint(block);
  const w = { a: 0.3, b: -0.8, c: { d: 1.1 } };
  const x = { a: 2, b: 1, c: { d: -0.5 } };

  it("gives the same values as the unwrapped function", () => {
    expect(wrapped(w, x)).toEqual(block(w, x));
    const inside = pullback((p, q) => wrapped(p, q), w, x).value;
    expect(equals(inside, block(w, x))).toBe(true);
  });

  it("gives the same gradients as the unwrapped function", () => {
    const plain = gradient((p, q) => sum(block(p, q)), w, x);
    const ck = gradient((p, q) => sum(wrapped(p, q)), w, x);
    expect(ck).toEqual(plain);
    const u = { a: 1, b: -2, c: { d: 0.5 } };
    expect(pullback(wrapped, w, x).back(u)).toEqual(pullback(block, w, x).back(u));
  });

  it("recomputes f during the backward pass (stores only inputs)", () => {
    let calls = 0;
    const counted = checkpoint((p: VValue) => {
      calls++;
      return square(p);
    });
    const { back } = pullback((p) => sum(counted(p)), { a: 2 });
    expect(calls).toBe(1);
    expect(back(1)).toEqual([{ a: 4 }]);
    expect(calls).toBe(2);
  });

  it("checks against finite differences, chained many times", () => {
    expectGradientOk(
      (p) => {
        let y: VValue = p;
        for (let i = 0; i < 20; i++) y = wrapped(y, x);
        return sum(y);
      },
      [w],
    );
  });
});

describe("defineOp", () => {
  const cube = defineOp(
    "cube",
    (v: VValue) => mapLeaves(v, (t) => t ** 3),
    (g, _ans, v) => [mul(g, scale(3, square(v)))],
  );

  it("computes on plain values and has its name", () => {
    expect(cube({ a: 2 })).toEqual({ a: 8 });
    expect(cube.name).toBe("cube");
  });

  it("its gradient checks", () => {
    expect(gradient((x) => sum(cube(x)), { a: 2 })).toEqual([{ a: 12 }]);
    expectGradientOk(cube, [{ a: 0.5, b: { c: -1.5 } }]);
  });

  it("can be differentiated twice when backward uses vgrad ops", () => {
    const d = (f: (x: VValue) => VValue) => (x: VValue) => gradient(f, x)[0]!;
    close(d(d(cube))(2) as number, 12);
  });

  it("binary ops, with undefined meaning no cotangent", () => {
    const firstOnly = defineOp(
      "firstOnly",
      (a: VValue, b: VValue) => mul(a, b),
      (g, _ans, _a, b) => [mul(g, b), undefined],
    );
    expect(gradient((a, b) => sum(firstOnly(a, b)), { x: 2 }, { x: 3 })).toEqual([{ x: 3 }, {}]);
  });

  it("a wrong hand-written pullback is caught by checkGradient", () => {
    const wrong = defineOp(
      "wrongCube",
      (v: VValue) => mapLeaves(v, (t) => t ** 3),
      (g, _a, v) => [mul(g, scale(2, square(v)))],
    );
    expect(checkGradient(wrong, [{ a: 1.5 }]).ok).toBe(false);
  });
});

describe("stopGradient and primal", () => {
  it("stopGradient blocks the gradient but keeps the value", () => {
    expect(gradient((x) => mul(x, stopGradient(x)), 3)).toEqual([3]);
    const { value } = pullback((t) => add(t, stopGradient(t)), { a: 1 });
    expect(equals(value, { a: 2 })).toBe(true);
  });

  it("stopGradient blocks every enclosing differentiation", () => {
    const [g] = gradient((x) => mul(x, gradient((y) => mul(stopGradient(x), square(y)), 2)[0]!), 3);
    // inner gradient is 2·x·y = 4x but x is stopped: the outer sees 4·stop(x) ⇒ d/dx [x · 4·x_stopped] = 4·3
    expect(g).toBe(12);
  });

  it("primal gives plain values inside f and leaves plain values alone", () => {
    let seen: VValue | undefined;
    gradient(
      (t) => {
        seen = primal(t);
        return sum(t);
      },
      { a: 1, b: { c: 2 } },
    );
    expect(equals(seen!, { a: 1, b: { c: 2 } })).toBe(true);
    expect(JSON.stringify(seen)).toBe('{"a":1,"b":{"c":2}}');
    expect(primal(5)).toBe(5);
    expect(primal({ a: 1 })).toEqual({ a: 1 });
  });

  it("primal of an inner tracked value is plain at every level", () => {
    gradient((x) => {
      gradient((y) => {
        const p = primal(mul(x, y));
        expect(typeof p).toBe("number");
        expect(p).toBe(6);
        return y;
      }, 3);
      return x;
    }, 2);
  });
});
