/**
 * Second order through the DMM's down movement (eager and under jit): gradients of
 * gradients against central finite differences of gradients, on random networks with
 * flat source values (the dense path) and nested ones (the tree path), and on the
 * detector loss of the 19-weight 2022 network, whose Hessian must also be symmetric.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  detectorLoss,
  downMovement,
  layeredNetwork,
  linksOf,
  liveNetwork,
  matrixFromLinks,
  parseMatrix,
  withSoft,
  type Link,
} from "../../src/dmm/index.js";
import { compiled, denseForward } from "../../src/dmm/dense-down.js";
import { add, dot, get, gradient, jit, scale, sum, tanh, type VValue } from "../../src/index.js";
import { checkGradient } from "../../src/testing/index.js";
import { makeRng } from "../../src/testing/random.js";

const SOURCES = ["a", "b", "c", "d"];
const TARGETS = ["a", "p", "__proto__"]; // "a" is both a source and a target
const FIELDS = ["f", "g"];
const KEYS = ["k", ":number", "__proto__"];

interface Case {
  soft: VValue;
  hard: VValue;
  y: VValue;
}

/**
 * A random down movement: soft links (one from a source with no output, some also
 * hard), and outputs y that are flat (numbers, or keys → numbers) or nested, with
 * absent sources and fields.
 */
function randomCase(seed: number, nested: boolean): Case {
  const rand = makeRng(seed);
  const r = () => Math.round((rand() * 2 - 1) * 1000) / 1000;
  const soft: Link[] = [],
    hard: Link[] = [];
  for (const t of TARGETS)
    for (const f of FIELDS)
      for (const s of SOURCES)
        for (const sf of FIELDS) {
          if (rand() < 0.35) soft.push([t, f, s, sf, r()]);
          if (rand() < 0.15) hard.push([t, f, s, sf, r()]);
        }
  soft.push(["p", "f", "ghost", "f", 0.5]);
  const value = (): VValue => {
    if (!nested && rand() < 0.3) return r();
    const v: Record<string, VValue> = Object.create(null);
    for (const k of KEYS) if (rand() < 0.7) v[k] = r();
    if (nested) v["n"] = { x: r(), y: { z: r(), ":number": r() } };
    return v as VValue;
  };
  const y: Record<string, Record<string, VValue>> = Object.create(null);
  for (const s of SOURCES.slice(0, 3)) {
    y[s] = Object.create(null);
    for (const sf of FIELDS) if (rand() < 0.8) y[s]![sf] = value();
  }
  return { soft: matrixFromLinks(soft), hard: matrixFromLinks(hard), y: y as VValue };
}

/** Whether the down movement of `c` takes the dense path. */
function dense(c: Case): boolean {
  const comp = compiled(c.soft, c.hard);
  const values = comp.sources.map(([s, sf]) => {
    const ys = (c.y as Record<string, Record<string, VValue>>)[s];
    return ys !== undefined && Object.hasOwn(ys, sf) ? ys[sf] : undefined;
  });
  return denseForward(comp, values, comp.w) !== null;
}

/** A scalar of x with non-zero second derivatives in x (so the Hessian is not just bilinear terms). */
const lossOf =
  (c: Case) =>
  (w: VValue, y: VValue): VValue => {
    const x = downMovement(w, c.hard, y);
    return add(sum(tanh(x)), scale(0.5, dot(x, x)));
  };

/** (W, y) ↦ the gradient of f at (W, y), as one tree. */
const gradientOf =
  (f: (w: VValue, y: VValue) => VValue) =>
  (w: VValue, y: VValue): VValue => {
    const [gw, gy] = gradient(f, w, y);
    return { w: gw!, y: gy! };
  };

/** Asserts that reverse mode agrees with central finite differences for `f` at `args`. */
function expectAgrees(f: (...args: VValue[]) => VValue, args: VValue[], what: string): void {
  const report = checkGradient(f, args, { h: 1e-5, rtol: 1e-6, atol: 1e-7, directions: 2 });
  expect(report.ok, `${what}: ${JSON.stringify(report.worst)}`).toBe(true);
}

for (const nested of [false, true]) {
  describe(`second order through downMovement, ${nested ? "nested values (tree path)" : "flat values (dense path)"}`, () => {
    const seeds = [1, 2, 3, 4, 5];

    it(`the cases take the ${nested ? "tree" : "dense"} path`, () => {
      for (const seed of seeds) expect(dense(randomCase(seed, nested)), `seed ${seed}`).toBe(!nested);
    });

    it("the gradient of the gradient (in W and y) agrees with finite differences of the gradient", () => {
      for (const seed of seeds) {
        const c = randomCase(seed, nested);
        expectAgrees(gradientOf(lossOf(c)), [c.soft, c.y], `seed ${seed}`);
      }
    });

    it("third order: the gradient of a Hessian-vector product agrees with finite differences", () => {
      const c = randomCase(7, nested);
      const v = { w: c.soft, y: c.y }; // any fixed direction
      const hvp = (w: VValue, y: VValue): VValue => {
        const [hw, hy] = gradient((p: VValue, q: VValue) => dot(v, gradientOf(lossOf(c))(p, q)), w, y);
        return { w: hw!, y: hy! };
      };
      expectAgrees(hvp, [c.soft, c.y], "third order");
    });

    it("differentiating the pullback in its cotangent gives the forward directional derivative", () => {
      // ⟨back(u), v⟩ is linear in u, with gradient J·v: the fused rules' linearity in x̄
      for (const seed of seeds) {
        const c = randomCase(seed, nested);
        const u0 = downMovement(c.soft, c.hard, c.y); // a cotangent shaped like x
        const jv = (u: VValue): VValue =>
          gradient((uu: VValue) => {
            const [gw, gy] = gradient((w: VValue, y: VValue) => dot(uu, downMovement(w, c.hard, y)), c.soft, c.y);
            return add(dot(gw!, c.soft), dot(gy!, c.y));
          }, u)[0]!;
        // J·v for v = (W, y) itself, by central differences (exact up to rounding: x is
        // at most quadratic along that line)
        const h = 1e-3;
        const at = (e: number) => downMovement(scale(1 + e, c.soft), c.hard, scale(1 + e, c.y) as VValue) as VValue;
        const fd = scale(1 / (2 * h), add(at(h), scale(-1, at(-h))));
        const got = jv(u0);
        const diff = add(got, scale(-1, fd));
        expect(Math.sqrt(dot(diff, diff) as number), `seed ${seed}`).toBeLessThan(1e-8);
      }
    });
  });
}

const layered = layeredNetwork().network;
const sparse20 = parseMatrix(
  readFileSync(new URL("../../data/dmm-2022/sparse20-after-100-steps-matrix.json", import.meta.url), "utf8"),
  layered,
  "sparse20",
);

describe("the Hessian of the detector loss (2022's 19-weight network, 40 cycles)", () => {
  const net = liveNetwork(withSoft(layered, sparse20));
  const samples = [{ text: "test string.", cycles: 40 }];
  const loss = (w: VValue): VValue => detectorLoss(net, w, { samples }).prereg;
  const links = linksOf(sparse20);
  const at = (g: VValue, l: Link): number => get(g, l[0], l[1], l[2], l[3]) as number;
  const shifted = (i: number, d: number): VValue =>
    matrixFromLinks(links.map((l, k) => (k === i ? [l[0], l[1], l[2], l[3], l[4] + d] : l)));
  const unit = (i: number): VValue => matrixFromLinks(links.map((l, k) => [l[0], l[1], l[2], l[3], k === i ? 1 : 0]));
  const hvp = (w: VValue, v: VValue): VValue => gradient((u: VValue) => dot(gradient(loss, u)[0]!, v), w)[0]!;
  const rows = links.map((_, i) => hvp(sparse20, unit(i)));

  it("every row (reverse over reverse) agrees with central differences of the gradient", () => {
    const h = 1e-5;
    links.forEach((_, i) => {
      const gp = gradient(loss, shifted(i, h))[0]!,
        gm = gradient(loss, shifted(i, -h))[0]!;
      links.forEach((l, j) => {
        const fd = (at(gp, l) - at(gm, l)) / (2 * h);
        const got = at(rows[i]!, l);
        expect(Math.abs(got - fd), `H[${i}][${j}]: ${got} vs ${fd}`).toBeLessThanOrEqual(
          1e-5 * Math.max(1, Math.abs(fd)),
        );
      });
    });
  });

  it("is symmetric, and its diagonal is not all zero", () => {
    links.forEach((li, i) =>
      links.forEach((lj, j) => {
        const a = at(rows[i]!, lj),
          b = at(rows[j]!, li);
        expect(Math.abs(a - b), `H[${i}][${j}] = ${a}, H[${j}][${i}] = ${b}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(a)),
        );
      }),
    );
    expect(links.some((l, i) => at(rows[i]!, l) > 1)).toBe(true);
  });

  it("under jit, a traced Hessian-vector product replays with eager's numbers, bit for bit", () => {
    const jitted = jit(hvp);
    for (const i of [0, 7, 18]) {
      const got = jitted(sparse20, unit(i));
      links.forEach((l, j) => expect(at(got, l), `H[${i}][${j}]`).toBe(at(rows[i]!, l)));
    }
    expect(jitted.traces).toBe(1);
  });
});
