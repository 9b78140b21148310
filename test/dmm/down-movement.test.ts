/**
 * The fused down movement x[t][f] = Σ W[t][f][s][sf]·y[s][sf] (soft, then hard):
 * against a reference written from the formula, plain vs tracked, and its gradient
 * (with respect to W and the outputs y) vs central finite differences, on random
 * networks with flat source values (the dense path) and nested ones (the tree path).
 */
import { describe, expect, it } from "vitest";
import { downMovement, linksOf, matrixFromLinks, type Link } from "../../src/dmm/index.js";
import { compiled, denseForward } from "../../src/dmm/dense-down.js";
import { add, dot, equals, leaves, pullback, scale, valueAndGradient, type VValue } from "../../src/index.js";
import { makeRng } from "../../src/testing/random.js";

const SOURCES = ["a", "b", "c", "d"];
const SOURCE_FIELDS = ["f", "g"];
const TARGETS = ["a", "p", "q"]; // "a" is both a source and a target
const TARGET_FIELDS = ["i", "j"];
const KEYS = ["k", "m", ":number", "__proto__"];

interface Case {
  soft: VValue;
  hard: VValue;
  y: VValue;
}

/** A random source value: flat (a number or key → number) or nested (some key → tree). */
function randomValue(rand: () => number, nested: boolean): VValue {
  const r = () => Math.round((rand() * 4 - 2) * 1000) / 1000;
  if (!nested && rand() < 0.25) return r();
  const v: Record<string, VValue> = Object.create(null);
  for (const k of KEYS) if (rand() < 0.6) v[k] = r();
  if (nested) v["n"] = { x: r(), y: { z: r(), ":number": r() } };
  return v as VValue;
}

function randomCase(seed: number, nested: boolean): Case {
  const rand = makeRng(seed);
  const w = () => Math.round((rand() * 2 - 1) * 1000) / 1000;
  const soft: Link[] = [],
    hard: Link[] = [];
  for (const t of TARGETS)
    for (const f of TARGET_FIELDS)
      for (const s of SOURCES)
        for (const sf of SOURCE_FIELDS) {
          if (rand() < 0.4) soft.push([t, f, s, sf, w()]);
          if (rand() < 0.15) hard.push([t, f, s, sf, w()]); // may share a link with soft
        }
  soft.push(["p", "i", "ghost", "f", 0.5]); // a source with no output
  const y: Record<string, Record<string, VValue>> = Object.create(null);
  for (const s of SOURCES) {
    if (s === "d") continue; // d has no output at all
    y[s] = Object.create(null);
    for (const sf of SOURCE_FIELDS) if (rand() < 0.8) y[s]![sf] = randomValue(rand, nested);
  }
  if (nested) y["a"]!["f"] = randomValue(rand, true); // make sure one value is nested
  return { soft: matrixFromLinks(soft), hard: matrixFromLinks(hard), y: y as VValue };
}

/** The formula, term by term, with the core's plain add/scale (soft terms first). */
function reference({ soft, hard, y }: Case): VValue {
  let x: VValue = {};
  for (const [t, f, s, sf, w] of [...linksOf(soft), ...linksOf(hard)]) {
    const ys = (y as Record<string, Record<string, VValue>>)[s];
    if (ys === undefined || !Object.prototype.hasOwnProperty.call(ys, sf)) continue;
    x = add(x, { [t]: { [f]: scale(w, ys[sf]!) } });
  }
  return x;
}

/** A fixed cotangent-like tree over every place x can have a value. */
function probe(seed: number): VValue {
  const rand = makeRng(seed);
  const out: Record<string, Record<string, VValue>> = {};
  for (const t of TARGETS) {
    out[t] = {};
    for (const f of TARGET_FIELDS) {
      const v: Record<string, VValue> = Object.create(null);
      for (const k of KEYS) v[k] = rand() - 0.5;
      v["n"] = { x: rand() - 0.5, y: { z: rand() - 0.5, ":number": rand() - 0.5 } };
      out[t]![f] = v as VValue;
    }
  }
  return out as VValue;
}

/** Copies a V-value with the leaf at `path` shifted by d (keys like "__proto__" kept). */
function shiftLeaf(v: VValue, path: readonly string[], d: number): VValue {
  if (path.length === 0) return (v as number) + d;
  const out: Record<string, VValue> = Object.create(null);
  for (const k of Object.keys(v as object)) out[k] = (v as Record<string, VValue>)[k]!;
  out[path[0]!] = shiftLeaf(out[path[0]!]!, path.slice(1), d);
  return out as VValue;
}

/** Reads a leaf of a gradient tree (absent = 0; a number at a tree's place is its ":number"). */
function leafAt(v: VValue | undefined, path: readonly string[]): number {
  let cur: VValue | undefined = v;
  for (const k of path) {
    if (cur === undefined) return 0;
    if (typeof cur === "number") return k === ":number" ? cur : 0;
    cur = Object.prototype.hasOwnProperty.call(cur, k) ? (cur as Record<string, VValue>)[k] : undefined;
  }
  if (cur === undefined) return 0;
  return typeof cur === "number" ? cur : leafAt(cur, [":number"]);
}

for (const nested of [false, true]) {
  describe(`downMovement, ${nested ? "nested V-values (tree path)" : "flat V-values (dense path)"}`, () => {
    const seeds = [1, 2, 3, 4, 5, 6];

    it(`the cases take the ${nested ? "tree" : "dense"} path`, () => {
      for (const seed of seeds) {
        const c = randomCase(seed, nested);
        const comp = compiled(c.soft, c.hard);
        const values = comp.sources.map(([s, sf]) => {
          const ys = (c.y as Record<string, Record<string, VValue>>)[s];
          return ys !== undefined && Object.prototype.hasOwnProperty.call(ys, sf) ? ys[sf] : undefined;
        });
        expect(denseForward(comp, values, comp.w) === null, `seed ${seed}`).toBe(nested);
      }
    });

    it("equals the formula term by term (soft and hard, absent sources skipped)", () => {
      for (const seed of seeds) {
        const c = randomCase(seed, nested);
        const x = downMovement(c.soft, c.hard, c.y);
        expect(equals(x, reference(c), { tolerance: 1e-12 }), `seed ${seed}`).toBe(true);
      }
    });

    it("plain and tracked runs give the same x", () => {
      for (const seed of seeds) {
        const c = randomCase(seed, nested);
        const plain = downMovement(c.soft, c.hard, c.y);
        const tracked = pullback((w: VValue, y: VValue) => downMovement(w, c.hard, y), c.soft, c.y).value;
        expect(equals(tracked, plain), `seed ${seed}`).toBe(true);
        const trackedW = pullback((w: VValue) => downMovement(w, c.hard, c.y), c.soft).value;
        expect(equals(trackedW, plain), `seed ${seed}`).toBe(true);
      }
    });

    it("its gradient with respect to W and y agrees with central finite differences", () => {
      for (const seed of seeds) {
        const c = randomCase(seed, nested);
        const u = probe(seed + 100);
        // a quadratic loss, so that the gradient depends on x itself
        const f = (w: VValue, y: VValue): VValue => {
          const x = downMovement(w, c.hard, y);
          return add(dot(u, x), scale(0.5, dot(x, x)));
        };
        const { value, gradient } = valueAndGradient(f, c.soft, c.y);
        expect(value).toBeCloseTo(f(c.soft, c.y) as number, 12);
        const h = 1e-6;
        const args = [c.soft, c.y];
        args.forEach((arg, i) => {
          for (const [path] of leaves(arg)) {
            const at = (d: number) => {
              const a = [...args];
              a[i] = shiftLeaf(arg, path, d);
              return f(a[0]!, a[1]!) as number;
            };
            const fd = (at(h) - at(-h)) / (2 * h);
            const g = leafAt(gradient[i], path);
            expect(
              Math.abs(g - fd),
              `seed ${seed}, ${i === 0 ? "W" : "y"}.${path.join(".")}: ${g} vs ${fd}`,
            ).toBeLessThanOrEqual(
              1e-7 * Math.max(1, Math.abs(fd)), // the loss is quadratic: only rounding error
            );
          }
        });
      }
    });
  });
}

describe("downMovement, details", () => {
  it("the example of its documentation", () => {
    expect(downMovement({ b: { in: { a: { out: 2 } } } }, {}, { a: { out: { k: 1 } } })).toEqual({
      b: { in: { k: 2 } },
    });
  });

  it("a number meets a tree as its ':number' part", () => {
    const W = matrixFromLinks([
      ["t", "i", "a", "f", 2],
      ["t", "i", "b", "f", 3],
    ]);
    const x = downMovement(W, {}, { a: { f: 1.5 }, b: { f: { ":number": 1, k: 4 } } });
    expect(equals(x, { t: { i: { ":number": 6, k: 12 } } })).toBe(true);
  });

  it("the gradient with respect to W has the sparsity of W (an absent source gives 0)", () => {
    const W = matrixFromLinks([
      ["t", "i", "a", "f", 2],
      ["t", "i", "ghost", "f", 3],
    ]);
    const [gW] = valueAndGradient(
      (w: VValue) => dot({ t: { i: { k: 1 } } }, downMovement(w, {}, { a: { f: { k: 5 } } })),
      W,
    ).gradient;
    expect(leafAt(gW, ["t", "i", "a", "f"])).toBe(5);
    expect(leafAt(gW, ["t", "i", "ghost", "f"])).toBe(0);
  });
});
