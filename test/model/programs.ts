/**
 * Random straight-line programs over vgrad's operations, one interpreter for two
 * backends: vgrad itself and the reference model. Inputs come from vgrad/testing's
 * arbitraries (hostile keys, sparse and empty trees, ":number" parts holding numbers
 * and trees, zeros and ties); the model never sees src/.
 */
import fc from "fast-check";
import * as V from "../../src/index.js";
import { keyArb, leafArb, vvalueArb, vvaluePairArb } from "../../src/testing/index.js";
import * as M from "./model.js";

export const UNARY = ["neg", "relu", "tanh", "sigmoid", "exp", "log", "square", "sqrt", "abs"] as const;
export const BINARY = ["add", "sub", "mul", "max", "min", "dot", "mapLeaves"] as const;
export const REDUCTIONS = ["sum", "l1Norm", "l2Norm", "maxNorm"] as const;
export const OTHER = ["scale", "div", "clip", "linearCombination", "get", "literal"] as const;
export const OPS = [...UNARY, ...BINARY, ...REDUCTIONS, ...OTHER] as const;
export type Op = (typeof OPS)[number];

/** The operations of a backend, on its own kind of value. */
export interface Backend<T> {
  constant(x: number): T;
  unary: Record<(typeof UNARY)[number], (v: T) => T>;
  binary: Record<(typeof BINARY)[number], (a: T, b: T) => T>;
  reduce: Record<(typeof REDUCTIONS)[number], (v: T) => T>;
  scale(s: T, v: T): T;
  div(v: T, s: T): T;
  clip(v: T, lo: number, hi: number): T;
  linearCombination(cs: T[], vs: T[]): T;
  get(v: T, path: string[]): T;
  literal(entries: Array<[string, T]>): T;
}

export const vgradBackend: Backend<V.VValue> = {
  constant: (x) => x,
  unary: {
    neg: V.neg,
    relu: V.relu,
    tanh: V.tanh,
    sigmoid: V.sigmoid,
    exp: V.exp,
    log: V.log,
    square: V.square,
    sqrt: V.sqrt,
    abs: V.abs,
  },
  binary: {
    add: V.add,
    sub: V.sub,
    mul: V.mul,
    max: V.max,
    min: V.min,
    dot: V.dot,
    mapLeaves: (a, b) => V.mapLeaves((x, y) => V.add(V.mul(x, y), x), a, b),
  },
  reduce: { sum: V.sum, l1Norm: V.l1Norm, l2Norm: V.l2Norm, maxNorm: V.maxNorm },
  scale: V.scale,
  div: V.div,
  clip: V.clip,
  linearCombination: V.linearCombination,
  get: (v, path) => V.get(v, ...path),
  // an ordinary object literal: a computed "__proto__" key is an own key
  literal: ([e0, e1]) => (e1 === undefined ? { [e0![0]]: e0![1] } : { [e0![0]]: e0![1], [e1[0]]: e1[1] }) as V.VValue,
};

/** The model, recording kinks and poles into `watch` when given. */
export function modelBackend(watch?: M.Watch): Backend<M.MValue> {
  return {
    constant: M.constant,
    unary: {
      neg: M.neg,
      relu: (v) => M.relu(v, watch),
      tanh: M.tanh,
      sigmoid: M.sigmoid,
      exp: M.exp,
      log: (v) => M.log(v, watch),
      square: M.square,
      sqrt: (v) => M.sqrt(v, watch),
      abs: (v) => M.abs(v, watch),
    },
    binary: {
      add: M.add,
      sub: M.sub,
      mul: M.mul,
      max: (a, b) => M.max(a, b, watch),
      min: (a, b) => M.min(a, b, watch),
      dot: M.dot,
      mapLeaves: M.mapLeavesXyPlusX,
    },
    reduce: {
      sum: M.sum,
      l1Norm: (v) => M.l1Norm(v, watch),
      l2Norm: (v) => M.l2Norm(v, watch),
      maxNorm: (v) => M.maxNorm(v, watch),
    },
    scale: M.scale,
    div: (v, s) => M.div(v, s, watch),
    clip: (v, lo, hi) => M.clip(v, lo, hi, watch),
    linearCombination: M.linearCombination,
    get: M.get,
    literal: M.literal,
  };
}

/** One drawn instruction; register indices are taken modulo the registers so far. */
export interface Instr {
  op: Op;
  a: number;
  b: number;
  c: number;
  /** How many terms a linear combination has (1–3). */
  n: number;
  /** A constant scalar (scale, div, the first coefficient). */
  k: number;
  /** clip's bounds (ordered when used), also further coefficients. */
  lo: number;
  hi: number;
  /** get's path, literal's keys (distinct). */
  keys: string[];
  /** Take the scalar of scale/div (and a coefficient) from a number register if any. */
  scalarReg: boolean;
}

/** A program: instructions, then a scalar (`sum` of the last register, or its `dot` with register `b`). */
export interface Program {
  instrs: Instr[];
  final: { dot: boolean; b: number };
}

type Operand = { reg: number } | { num: number };

/** An instruction with its operands resolved to registers and constants. */
export interface Step {
  op: Op;
  args: Operand[];
  lo: number;
  hi: number;
  keys: string[];
}

const REDUCING: ReadonlySet<Op> = new Set<Op>([...REDUCTIONS, "dot"]);

/**
 * Resolves a program for inputs of which `numeric[i]` says whether input i is a bare
 * number: scalar operands (of scale, div and coefficients) only come from registers
 * known to hold numbers, whatever the backend.
 */
export function resolve(program: Program, numeric: readonly boolean[]): Step[] {
  const isNum = [...numeric];
  const steps: Step[] = [];
  const reg = (i: number): Operand => ({ reg: i % isNum.length });
  const scalar = (ins: Instr, fallback: number): Operand => {
    const nums = isNum.flatMap((x, i) => (x ? [i] : []));
    return ins.scalarReg && nums.length > 0 ? { reg: nums[ins.c % nums.length]! } : { num: fallback };
  };
  const push = (s: Step) => {
    steps.push(s);
    isNum.push(REDUCING.has(s.op));
  };
  for (const ins of program.instrs) {
    const base = { op: ins.op, lo: Math.min(ins.lo, ins.hi), hi: Math.max(ins.lo, ins.hi), keys: ins.keys };
    switch (ins.op) {
      case "add":
      case "sub":
      case "mul":
      case "max":
      case "min":
      case "dot":
      case "mapLeaves":
        push({ ...base, args: [reg(ins.a), reg(ins.b)] });
        break;
      case "scale":
        push({ ...base, args: [scalar(ins, ins.k), reg(ins.a)] });
        break;
      case "div":
        push({ ...base, args: [reg(ins.a), scalar(ins, ins.k)] });
        break;
      case "linearCombination": {
        const cs = [{ num: ins.k }, scalar(ins, ins.lo), { num: ins.hi }].slice(0, ins.n);
        const vs = [reg(ins.a), reg(ins.b), reg(ins.c)].slice(0, ins.n);
        push({ ...base, args: [...cs, ...vs] });
        break;
      }
      case "literal":
        push({ ...base, args: ins.keys.map((_, i) => reg(i === 0 ? ins.a : ins.b)) });
        break;
      default: // unary ops, reductions, clip, get
        push({ ...base, args: [reg(ins.a)] });
    }
  }
  const last = { reg: isNum.length - 1 };
  const finalOp: Op = program.final.dot ? "dot" : "sum";
  push({ op: finalOp, lo: 0, hi: 0, keys: [], args: program.final.dot ? [last, reg(program.final.b)] : [last] });
  return steps;
}

/** Runs resolved steps on `inputs`; returns every register (inputs first, the scalar last). */
export function run<T>(be: Backend<T>, steps: readonly Step[], inputs: readonly T[]): T[] {
  const regs = [...inputs];
  const val = (o: Operand): T => ("reg" in o ? regs[o.reg]! : be.constant(o.num));
  for (const s of steps) {
    const args = s.args.map(val);
    const [x, y] = args as [T, T];
    let r: T;
    switch (s.op) {
      case "add":
      case "sub":
      case "mul":
      case "max":
      case "min":
      case "dot":
      case "mapLeaves":
        r = be.binary[s.op](x, y);
        break;
      case "sum":
      case "l1Norm":
      case "l2Norm":
      case "maxNorm":
        r = be.reduce[s.op](x);
        break;
      case "scale":
        r = be.scale(x, y);
        break;
      case "div":
        r = be.div(x, y);
        break;
      case "clip":
        r = be.clip(x, s.lo, s.hi);
        break;
      case "get":
        r = be.get(x, s.keys);
        break;
      case "literal":
        r = be.literal(s.keys.map((k, i) => [k, args[i]!]));
        break;
      case "linearCombination": {
        const n = args.length / 2;
        r = be.linearCombination(args.slice(0, n), args.slice(n));
        break;
      }
      default:
        r = be.unary[s.op](x);
    }
    regs.push(r);
  }
  return regs;
}

/** The steps as code, for counterexamples. */
export function renderProgram(steps: readonly Step[], inputs: readonly V.VValue[]): string {
  const lines = inputs.map((v, i) => `const r${i} = ${show(v)};`);
  const o = (a: Operand): string => ("reg" in a ? `r${a.reg}` : String(a.num));
  const str = (k: string) => JSON.stringify(k);
  steps.forEach((s, j) => {
    const a = s.args.map(o);
    let e: string;
    switch (s.op) {
      case "clip":
        e = `clip(${a[0]}, ${s.lo}, ${s.hi})`;
        break;
      case "get":
        e = `get(${a[0]}, ${s.keys.map(str).join(", ")})`;
        break;
      case "mapLeaves":
        e = `mapLeaves((x, y) => add(mul(x, y), x), ${a[0]}, ${a[1]})`;
        break;
      case "literal":
        e = `{ ${s.keys.map((k, i) => `[${str(k)}]: ${a[i]}`).join(", ")} }`;
        break;
      case "linearCombination": {
        const n = a.length / 2;
        e = `linearCombination([${a.slice(0, n).join(", ")}], [${a.slice(n).join(", ")}])`;
        break;
      }
      default:
        e = `${s.op}(${a.join(", ")})`;
    }
    lines.push(`const r${inputs.length + j} = ${e};`);
  });
  return lines.join("\n");
}

/** A V-value as JSON, with non-finite numbers written out (JSON would print null). */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === "number" && !Number.isFinite(x) ? `\u0000${x}` : x,
  ).replace(/"\\u0000([^"]*)"/g, "$1");
}

// ---------------------------------------------------------------------------------
// Arbitraries.

/** All keys used anywhere in `vs` (so that `get` and literals meet existing keys). */
function keysOf(vs: readonly V.VValue[]): string[] {
  const out = new Set<string>();
  const stack = [...vs];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (typeof v === "number") continue;
    for (const k of Object.keys(v)) {
      out.add(k);
      stack.push(v[k]!);
    }
  }
  return [...out];
}

/** Scalars for scale, div and coefficients: moderate ones, and ones that expose v·(1/s) or overflow. */
const extremeScalars = [0, 0.1, 0.3, 3, 1e-310, 5e-324, -1e-300, 1e300, -7];

export interface ProgramOptions {
  /** The operations to draw from. */
  ops: readonly Op[];
  /** Most instructions before the final scalar. */
  maxLength: number;
  /** Leaves of the inputs. */
  leaf: fc.Arbitrary<number>;
  /** Draw scalars from {@link extremeScalars} too. */
  extremes: boolean;
}

/** 1–3 inputs that share keys, and a program over them. */
export function programArb(options: ProgramOptions): fc.Arbitrary<{ inputs: V.VValue[]; program: Program }> {
  const shape = { maxDepth: 3, maxKeys: 3, leaf: options.leaf, treesUnderNumberKey: true };
  const inputs = fc
    .tuple(fc.integer({ min: 1, max: 3 }), vvaluePairArb(shape), vvalueArb(shape))
    .map(([n, [a, b], c]) => [a, b, c].slice(0, n));
  const small = leafArb({ min: -2, max: 2 });
  const k = options.extremes
    ? fc.oneof({ weight: 3, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom(...extremeScalars) })
    : small;
  return inputs.chain((vs) => {
    const instr: fc.Arbitrary<Instr> = fc.record({
      op: fc.constantFrom(...options.ops),
      a: fc.nat(),
      b: fc.nat(),
      c: fc.nat(),
      n: fc.integer({ min: 1, max: 3 }),
      k,
      lo: small,
      hi: small,
      keys: fc.uniqueArray(keyArb({ pool: keysOf(vs) }), { minLength: 1, maxLength: 2 }),
      scalarReg: fc.boolean(),
    });
    const program = fc.record({
      instrs: fc.array(instr, { minLength: 1, maxLength: options.maxLength }),
      final: fc.record({ dot: fc.boolean(), b: fc.nat() }),
    });
    return program.map((p) => ({ inputs: vs, program: p }));
  });
}
