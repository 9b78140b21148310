/**
 * A piscina worker running one seed of `vgrad synth --seeds N`: it continues the run
 * from the seed's checkpoint, writes the checkpoint as it goes (atomically), and on
 * its end the seed's network.json. Also callable in the main thread ({@link runSeed}).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toJSON } from "../vvalue/json.js";
import { removeStaleTempFiles, writeFileAtomic } from "./atomic-write.js";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import { sameConfig, seedResult, type SeedEvent, type SeedResult, type SeedTask } from "./seeds.js";
import { phaseSteps, synthesize, type SynthState } from "./synthesize.js";
import { NonFiniteError } from "./train.js";

/** Progress is sent at most this often (and at every stage boundary). */
const EVENT_MS = 200;

/**
 * Runs one seed to its end, or until `task.stop` is set: from `task.dir/checkpoint.json`,
 * which must hold a run of `task.config`. Returns how it ended; a NaN or infinite
 * number ends it as "diverged" with its last finite state checkpointed.
 *
 * @example
 * const config = defaultConfig({
 *   network: { layers: 1, perType: 1, types: ["accum", "norm", "dot", "compare"] },
 *   samples: [{ text: "ab.", cycles: 12 }], baseSteps: 5, stageSteps: 2, finalSteps: 1, targetWeights: 30,
 * });
 * const dir = mkdtempSync(join(tmpdir(), "vgrad-seed-"));
 * writeFileSync(join(dir, "checkpoint.json"), encodeCheckpoint(startSynthesis(config)));
 * const result = await runSeed({ config, dir, jit: true, stop: new SharedArrayBuffer(4), port: null });
 * result.status; // "done"
 */
export async function runSeed(task: SeedTask): Promise<SeedResult> {
  const file = join(task.dir, "checkpoint.json");
  removeStaleTempFiles(task.dir);
  let state: SynthState = decodeCheckpoint(readFileSync(file, "utf8"), file);
  if (!sameConfig(state.config, task.config))
    throw new Error(`${file} holds a run of another configuration than the run of seeds it belongs to`);
  const checkpoint = (s: SynthState) => writeFileAtomic(file, encodeCheckpoint(s));
  const stop = new Int32Array(task.stop);
  const seed = task.config.seed;
  const post = (e: SeedEvent) => task.port?.postMessage(e);
  let last = 0;
  try {
    state = await synthesize(state, {
      jit: task.jit,
      shouldStop: () => Atomics.load(stop, 0) !== 0,
      onCheckpoint: checkpoint,
      onStep: (s, e) => {
        const now = Date.now();
        if (now - last < EVENT_MS && s.stepInPhase < phaseSteps(s)) return;
        last = now;
        post({
          kind: "step",
          seed,
          phase: s.phase,
          stage: s.stage,
          stepInPhase: s.stepInPhase,
          phaseSteps: phaseSteps(s),
          prereg: e.prereg,
          weights: e.weights,
          targetWeights: s.config.targetWeights,
          elapsedSeconds: s.elapsedSeconds,
        });
      },
      onStage: (s, record) =>
        post({
          kind: "stage",
          seed,
          record,
          prereg: s.accepted.prereg,
          weights: s.accepted.weights,
          baseSteps: s.config.baseSteps,
          elapsedSeconds: s.elapsedSeconds,
        }),
    });
  } catch (e) {
    if (!(e instanceof NonFiniteError)) throw e;
    // synthesize stops before a non-finite number enters the state: keep the last finite one
    checkpoint(state);
    return seedResult(state, "diverged", e.message);
  }
  if (state.phase !== "done") return seedResult(state, "stopped");
  checkpoint(state);
  writeFileAtomic(join(task.dir, "network.json"), `${toJSON(state.accepted.soft, { space: 1 })}\n`);
  return seedResult(state, "done");
}

export default runSeed;
