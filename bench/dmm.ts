/**
 * DMM suite: the 140-cycle detector loss on "test string." (SPEC-DMM §5) for three 2022
 * soft matrices — forward, loss + gradient, and a full Adam training step — beside the
 * speed limit: the same loss + gradient as hand-written loops over Float64Arrays; and
 * the loss and its gradient under jit.
 */
import { readFileSync } from "node:fs";
import { adam, flatten, get, jit, valueAndGradient, type AdamState, type VValue } from "../src/index.js";
import { countLinks, detectorLoss, layeredNetwork, liveNetwork, parseMatrix, withSoft } from "../src/dmm/index.js";
import { lossAndGradient } from "../src/synth/train.js";
import { JIT_SAME, jitTargets, programInfo, relClose } from "./core.js";
import { compileFlatDmm, type FlatDmm } from "./flat-dmm.js";
import { measure, type Settings } from "./harness.js";
import type { DmmRow, Measurement, TargetCheck } from "./report.js";

const DATA = new URL("../data/dmm-2022/", import.meta.url);
const TEXT = "test string.",
  CYCLES = 140,
  LAMBDA = 0.001;
const SAMPLES = [{ text: TEXT, cycles: CYCLES }];
/** The networks measured: id, file. */
export const NETWORKS: ReadonlyArray<readonly [string, string]> = [
  ["dmm-1486", "initial-matrix.json"],
  ["dmm-109", "sparse16-after-2500-steps-matrix.json"],
  ["dmm-19", "sparse20-after-100-steps-matrix.json"],
];

/** Targets of the brief: a full training step of the 1486-weight network, and gradient/forward. */
export const STEP_TARGET_MS = 150;
export const RATIO_TARGET = 3;
/** Issue 7's targets for loss + gradient under jit ÷ the flat limit, by network. */
export const JIT_FLAT_TARGETS: Readonly<Record<string, number>> = { "dmm-1486": 2, "dmm-19": 5 };

/** The limit must compute what vgrad computes: the loss to 1e-12, the gradient to 1e-9 relative. */
function checkFlat(file: string, flat: FlatDmm, vgrad: { loss: number; gradient: VValue }): void {
  const r = flat.lossAndGradient(flat.weights);
  if (!(Math.abs(r.loss - vgrad.loss) <= 1e-12 * Math.abs(vgrad.loss))) {
    throw new Error(`${file}: the flat limit's loss ${r.loss} differs from vgrad's ${vgrad.loss}`);
  }
  flat.links.forEach(([t, fi, s, sf], i) => {
    const v = get(vgrad.gradient, t, fi, s, sf) as number,
      g = r.grad[i]!;
    if (!(Math.abs(g - v) <= 1e-9 * Math.max(Math.abs(g), Math.abs(v)))) {
      throw new Error(`${file}: the flat limit's gradient at ${t}.${fi} ← ${s}.${sf} is ${g}, vgrad's ${v}`);
    }
  });
}

export function runDmm(
  settings: Settings,
  filter: (id: string) => boolean,
): { rows: DmmRow[]; targets: TargetCheck[] } {
  const net = layeredNetwork().network;
  const rows: DmmRow[] = [];
  for (const [id, file] of NETWORKS) {
    if (!filter(id)) continue;
    const soft = parseMatrix(readFileSync(new URL(file, DATA), "utf8"), net, file);
    const options = { samples: SAMPLES, lambda: LAMBDA };
    // eager: lossAndGradient without its jit (a variable, not a literal: an option it may not have is ignored)
    const eager = { ...options, jit: false };
    const forward = (): number => detectorLoss(liveNetwork(withSoft(net, soft)), soft, options).loss as number;
    const gradient = (): unknown => lossAndGradient(net, soft, eager);

    // the training step trains for real: weights and Adam state carry over between calls
    const opt = adam({ lr: 0.001 });
    let w: VValue = soft;
    let state: AdamState = opt.init(soft);
    const step = (): number => {
      const r = lossAndGradient(net, w, eager);
      ({ params: w, state } = opt.step(w, r.gradient, state));
      return r.loss;
    };

    // the limit: compiled once (outside the timing), then plain loops per call
    const flatDmm = compileFlatDmm(net, soft, { text: TEXT, cycles: CYCLES, lambda: LAMBDA });
    const flat = (): unknown => flatDmm.lossAndGradient(flatDmm.weights);

    const loss = forward();
    const check = lossAndGradient(net, soft, eager);
    if (Math.abs(check.loss - loss) > 1e-9 * Math.max(1, Math.abs(loss))) {
      throw new Error(`${file}: forward loss ${loss} differs from lossAndGradient's ${check.loss}`);
    }
    checkFlat(file, flatDmm, check);
    // under jit: the same loss (else the row is meaningless), and the flat limit's gradient
    const jitLoss = jit((w: VValue) => detectorLoss(liveNetwork(withSoft(net, w)), w, options).loss);
    const jitForward = (): VValue => jitLoss(soft);
    const jitGradient = (): { value: number; gradient: VValue[] } => valueAndGradient(jitLoss, soft);
    const jr = jitGradient();
    const jf = jitForward() as number;
    if (!relClose(jr.value, check.loss, JIT_SAME) || !relClose(jf, check.loss, JIT_SAME)) {
      throw new Error(
        `${file}: the loss under jit (${jr.value}, plain call ${jf}) differs from eager mode's ${check.loss} by more than ${JIT_SAME} relative`,
      );
    }
    checkFlat(`${file} under jit`, flatDmm, { loss: jr.value, gradient: jr.gradient[0]! });
    // on flat arrays, as the synthesis trains: the loss + gradient, and a training step
    // (for real, like the eager one: weights and Adam state carry over between calls)
    const flatLoss = jitLoss.flat(soft);
    const w0 = flatten(soft).values;
    const g0 = new Float64Array(w0.length);
    const jitFlatGradient = (): VValue => flatLoss.valueAndGradient([w0], [g0]);
    const wj = w0.slice();
    const gj = new Float64Array(wj.length);
    const optJ = opt.flat(flatLoss.layouts[0]!);
    const jitStep = (): VValue => {
      const value = flatLoss.valueAndGradient([wj], [gj]);
      optJ.step(wj, gj);
      return value;
    };

    const label = `${file} (${countLinks(soft)} weights)`;
    const [f, g, fl, s, jfw, jgr, jflat, js, jfirst] = measure(
      label,
      [
        { name: "forward", fn: forward },
        { name: "loss + gradient", fn: gradient },
        { name: "flat limit: loss + gradient", fn: flat },
        { name: "Adam step", fn: step },
        { name: "jit forward", fn: jitForward },
        { name: "jit loss + gradient", fn: jitGradient },
        { name: "jit loss + gradient on flat arrays", fn: jitFlatGradient },
        { name: "jit Adam step", fn: jitStep },
        {
          name: "jit first call (trace + compile)",
          fn: () =>
            valueAndGradient(
              jit((w: VValue) => detectorLoss(liveNetwork(withSoft(net, w)), w, options).loss),
              soft,
            ),
        },
      ],
      settings,
    ) as [
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
      Measurement,
    ];
    rows.push({
      id,
      file,
      weights: countLinks(soft),
      liveNeurons: Object.keys(liveNetwork(withSoft(net, soft)).neurons).length,
      loss,
      forward: f,
      gradient: g,
      step: s,
      gradientOverForward: g.medianMs / f.medianMs,
      stepOverForward: s.medianMs / f.medianMs,
      flat: fl,
      gradientOverFlat: g.medianMs / fl.medianMs,
      jit: {
        forward: jfw,
        gradient: jgr,
        firstCall: jfirst,
        gradientOverForward: jgr.medianMs / jfw.medianMs,
        gradientOverEager: jgr.medianMs / g.medianMs,
        gradientOverFlat: jgr.medianMs / fl.medianMs,
        flatGradient: jflat,
        flatGradientOverFlat: jflat.medianMs / fl.medianMs,
        step: js,
        stepOverFlat: js.medianMs / fl.medianMs,
        firstCallOverEagerGradient: jfirst.medianMs / g.medianMs,
        program: programInfo(jitLoss),
      },
    });
  }
  const targets: TargetCheck[] = [];
  const big = rows.find((r) => r.id === "dmm-1486");
  if (big !== undefined) {
    targets.push({
      what: "full Adam step, 1486-weight network",
      target: `≤ ${STEP_TARGET_MS} ms`,
      measured: `${big.step.medianMs.toFixed(1)} ms`,
      ratio: big.step.medianMs / STEP_TARGET_MS,
      met: big.step.medianMs <= STEP_TARGET_MS,
    });
  }
  for (const r of rows) {
    targets.push({
      what: `gradient/forward, ${r.weights}-weight network`,
      target: `≤ ${RATIO_TARGET}`,
      measured: r.gradientOverForward.toFixed(2),
      ratio: r.gradientOverForward / RATIO_TARGET,
      met: r.gradientOverForward <= RATIO_TARGET,
    });
  }
  for (const r of rows) {
    if (r.jit === undefined) continue;
    const limit = JIT_FLAT_TARGETS[r.id];
    if (limit !== undefined) {
      targets.push({
        what: `jit loss + gradient ÷ flat limit, ${r.weights}-weight network`,
        target: `≤ ${limit}`,
        measured: r.jit.gradientOverFlat.toFixed(2),
        ratio: r.jit.gradientOverFlat / limit,
        met: r.jit.gradientOverFlat <= limit,
      });
      if (r.jit.flatGradientOverFlat !== undefined) {
        targets.push({
          what: `jit loss + gradient on flat arrays ÷ flat limit, ${r.weights}-weight network`,
          target: `≤ ${limit}`,
          measured: r.jit.flatGradientOverFlat.toFixed(2),
          ratio: r.jit.flatGradientOverFlat / limit,
          met: r.jit.flatGradientOverFlat <= limit,
        });
      }
      targets.push({
        what: `jit Adam step ÷ flat loss + gradient, ${r.weights}-weight network`,
        target: `≤ ${limit}`,
        measured: r.jit.stepOverFlat.toFixed(2),
        ratio: r.jit.stepOverFlat / limit,
        met: r.jit.stepOverFlat <= limit,
      });
    }
    targets.push(
      ...jitTargets(`${r.weights}-weight network`, r.jit.gradientOverForward, r.jit.firstCallOverEagerGradient),
    );
  }
  return { rows, targets };
}
