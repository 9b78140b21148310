/**
 * The checks against the model can fail: each kind of defect they exist to find,
 * planted in an otherwise correct backend, is reported (and vgrad's own backend passes
 * the same programs).
 */
import { describe, expect, it } from "vitest";
import * as V from "../../src/index.js";
import { checkGradient, checkValues } from "./checks.js";
import { vgradBackend, type Backend, type Instr, type Op, type Program } from "./programs.js";

/** A one-instruction program ending in `sum`. */
function program(op: Op, fields: Partial<Instr> = {}): Program {
  const ins: Instr = { op, a: 0, b: 1, c: 0, n: 1, k: 1, lo: -1, hi: 1, keys: ["a"], scalarReg: false, ...fields };
  return { instrs: [ins], final: { dot: false, b: 0 } };
}

const planted = (change: (be: Backend<V.VValue>) => Partial<Backend<V.VValue>>): Backend<V.VValue> => ({
  ...vgradBackend,
  ...change(vgradBackend),
});

describe("the value check", () => {
  it("sees an invented leaf", () => {
    const p = program("add");
    const inputs: V.VValue[] = [{ a: 1 }, { b: 2 }];
    expect(checkValues(inputs, p)).toBeNull();
    const be = planted((b) => ({ binary: { ...b.binary, add: (x, y) => V.add(V.add(x, y), { ":number": 0 }) } }));
    expect(checkValues(inputs, p, be)).toMatch(/r2 \(plain\).*leaf set differs: extra \[\]/);
  });

  it("sees a division done as a product with the reciprocal", () => {
    const p = program("div", { k: 0.1 });
    const be = planted(() => ({ div: (v, s) => V.scale(V.div(1, s), v) }));
    expect(checkValues([0.3], p, be)).toMatch(/at \[\]: 3, model 2\.9999999999999996 \(exact\)/);
  });

  it("sees an error of 1e-9 in a transcendental function", () => {
    const p = program("tanh");
    const be = planted((b) => ({ unary: { ...b.unary, tanh: (v) => V.scale(1 + 1e-9, V.tanh(v)) } }));
    expect(checkValues([{ a: 0.5 }], p)).toBeNull();
    expect(checkValues([{ a: 0.5 }], p, be)).toMatch(/r1 \(plain\)/);
  });

  it("sees a traced value that differs from the plain one", () => {
    const p = program("exp");
    const traced = (v: V.VValue) => V.primal(v) !== v;
    const be = planted((b) => ({
      unary: { ...b.unary, exp: (v) => (traced(v) ? V.scale(1 + 1e-9, V.exp(v)) : V.exp(v)) },
    }));
    expect(checkValues([{ a: 0.5 }], p, be)).toMatch(/r1 \(traced\)/);
  });
});

describe("the gradient check", () => {
  it("sees a wrong derivative", () => {
    const p = program("tanh");
    const badTanh = V.defineOp(
      "tanh",
      (x: V.VValue) => V.tanh(x),
      (g, _ans, x) => [V.mul(g, x)],
    );
    const be = planted((b) => ({ unary: { ...b.unary, tanh: badTanh } }));
    expect(checkGradient([{ a: 0.7 }], p)).toBeNull();
    expect(checkGradient([{ a: 0.7 }], p, be)).toMatch(
      /gradient\[0\] at \["a"\]: 0\.7, finite differences of the model 0\.63/,
    );
  });

  it("skips kinks, where finite differences cannot judge", () => {
    expect(checkGradient([{ a: 0 }], program("relu"))).toBe("skip");
    expect(checkGradient([{ a: 0.5 }, { a: 0.5 }], program("max"))).toBe("skip");
  });
});
