/** `vgrad dmm run | loss | train` (SPEC-DMM §8). */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import {
  countLinks,
  detectorAnswers,
  detectorLoss,
  handcraftedDetector,
  layeredNetwork,
  liveNetwork,
  parseMatrix,
  withSoft,
} from "../dmm/index.js";
import { LIMITS } from "../synth/config.js";
import { NonFiniteError, train } from "../synth/train.js";
import { checkWritableFile, removeStaleTempFiles, writeFileAtomic } from "../synth/atomic-write.js";
import { toJSON } from "../vvalue/json.js";
import type { VValue } from "../vvalue/types.js";
import { intArg, numArg, textArg } from "./args.js";
import { fsReason, UsageError } from "./errors.js";
import { makeProgress } from "./progress.js";

const layered = () => layeredNetwork().network;

/** Reads and validates a soft matrix of the layered layout; errors name the file. */
export function loadMatrix(file: string): VValue {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : fsReason(e);
    throw new UsageError(`cannot read matrix file ${file}: ${why}`);
  }
  try {
    return parseMatrix(text, layered(), "matrix");
  } catch (e) {
    throw new UsageError(`bad matrix file ${file}: ${(e as Error).message}`);
  }
}

/** Throws a NonFiniteError when a reported number is NaN or infinite (JSON would print null). */
function requireFinite(what: string, x: number, hint: string): void {
  if (!Number.isFinite(x)) throw new NonFiniteError(`${what} is ${x}: ${hint}`);
}

function print(json: boolean, doc: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(doc)}\n` : `${human()}\n`);
}

/** Adds `vgrad dmm run | loss | train` to the program. */
export function addDmmCommands(program: Command): void {
  const dmm = program
    .command("dmm")
    .description("run, score and train dataflow matrix machines (the duplicate detector)");

  dmm
    .command("run")
    .description("run a network on a text and print its answers [y1, y2] for every cycle")
    .option("--network <name>", "a built-in network: handcrafted")
    .option("--matrix <file>", "soft links of the layered trainable network (JSON)")
    .requiredOption("--text <s>", "the input text", textArg)
    .requiredOption("--cycles <n>", `number of cycles (at most ${LIMITS.cycles})`, intArg(1, LIMITS.cycles))
    .option("--json", "print one JSON document")
    .action((o: { network?: string; matrix?: string; text: string; cycles: number; json?: boolean }) => {
      if ((o.network === undefined) === (o.matrix === undefined)) {
        throw new UsageError("give exactly one of --network handcrafted or --matrix FILE");
      }
      if (o.network !== undefined && o.network !== "handcrafted") {
        throw new UsageError(`unknown network "${o.network}"; the built-in one is "handcrafted"`);
      }
      const net =
        o.matrix === undefined ? handcraftedDetector() : liveNetwork(withSoft(layered(), loadMatrix(o.matrix)));
      const outputs = detectorAnswers(net, o.text, o.cycles);
      const bad = outputs.findIndex(([y1, y2]) => !Number.isFinite(y1) || !Number.isFinite(y2));
      if (bad >= 0) {
        throw new NonFiniteError(
          `the answer at cycle ${bad + 1} is [${outputs[bad]!.join(", ")}]: the weights are too large for the network`,
        );
      }
      print(!!o.json, { outputs }, () =>
        ["cycle\ty1\ty2", ...outputs.map(([a, b], i) => `${i + 1}\t${fmt(a)}\t${fmt(b)}`)].join("\n"),
      );
    });

  dmm
    .command("loss")
    .description("score a soft matrix against the hand-crafted detector")
    .requiredOption("--matrix <file>", "soft links of the layered trainable network (JSON)")
    .requiredOption("--text <s>", "the input text", textArg)
    .requiredOption("--cycles <n>", `number of cycles (at most ${LIMITS.cycles})`, intArg(1, LIMITS.cycles))
    .option("--lambda <l>", "L1 coefficient λ", numArg(0), 0.001)
    .option("--json", "print one JSON document")
    .action((o: { matrix: string; text: string; cycles: number; lambda: number; json?: boolean }) => {
      const soft = loadMatrix(o.matrix);
      const r = detectorLoss(liveNetwork(withSoft(layered(), soft)), soft, {
        samples: [{ text: o.text, cycles: o.cycles }],
        lambda: o.lambda,
      });
      const doc = {
        prereg: r.prereg as number,
        regL1: r.regL1 as number,
        loss: r.loss as number,
        weights: countLinks(soft),
      };
      for (const k of ["prereg", "regL1", "loss"] as const)
        requireFinite(`the ${k} loss`, doc[k], "the weights are too large for the network");
      print(
        !!o.json,
        doc,
        () => `prereg ${doc.prereg}\nregL1  ${doc.regL1}\nloss   ${doc.loss}\nweights ${doc.weights}`,
      );
    });

  dmm
    .command("train")
    .description("train a soft matrix with Adam on the detector loss")
    .requiredOption("--matrix <file>", "starting soft links (JSON)")
    .requiredOption("--steps <k>", `number of Adam steps (at most ${LIMITS.steps})`, intArg(1, LIMITS.steps))
    .option("--text <s>", "the training text", textArg, "test string.")
    .option("--cycles <n>", `cycles per evaluation (at most ${LIMITS.cycles})`, intArg(1, LIMITS.cycles), 140)
    .option("--lambda <l>", "L1 coefficient λ", numArg(0), 0.001)
    .option("--lr <r>", "Adam learning rate", numArg(0), 0.001)
    .option("--compat-2022", "cut gradients at accumulator memory, as the 2022 runs did")
    .option("--save <file>", "write the trained soft matrix here (atomically)")
    .option("--no-jit", "differentiate with eager reverse mode instead of the compiled (jit) program")
    .option("--json", "print one JSON document")
    .action(
      (o: {
        matrix: string;
        steps: number;
        text: string;
        cycles: number;
        lambda: number;
        lr: number;
        compat2022?: boolean;
        save?: string;
        json?: boolean;
        jit: boolean;
      }) => {
        const soft = loadMatrix(o.matrix);
        if (o.save !== undefined) checkWritable(o.save);
        // a diverging run throws a NonFiniteError (exit 3) and writes nothing
        const samples = [{ text: o.text, cycles: o.cycles }];
        const bar = makeProgress(!o.json, "train", o.steps);
        const r = train(layered(), soft, {
          samples,
          steps: o.steps,
          lambda: o.lambda,
          lr: o.lr,
          compat2022: !!o.compat2022,
          jit: o.jit,
          onStep: (s) => bar.update(s.step, `prereg ${s.prereg.toPrecision(6)}`),
        });
        bar.stop();
        const final = detectorLoss(liveNetwork(withSoft(layered(), r.soft)), r.soft, { samples }).prereg as number;
        requireFinite("the final prereg loss", final, "training diverged; lower --lr");
        if (o.save !== undefined) {
          try {
            writeFileAtomic(o.save, `${toJSON(r.soft, { space: 1 })}\n`);
          } catch (e) {
            throw new UsageError(
              `cannot write --save ${o.save}: ${e instanceof Error && !("errno" in e) ? e.message : fsReason(e)}`,
            );
          }
        }
        print(!!o.json, { prereg: r.prereg, final }, () =>
          [...r.prereg.map((p, i) => `before step ${i + 1}: prereg ${p}`), `final: prereg ${final}`].join("\n"),
        );
      },
    );
}

/**
 * Fails before any work when `file` cannot be written (no name, a folder's name, a
 * missing or read-only folder, something other than a regular file there), and
 * removes temporary files an interrupted earlier save of it left.
 */
function checkWritable(file: string): void {
  try {
    checkWritableFile(file);
  } catch (e) {
    throw new UsageError(`cannot write --save ${JSON.stringify(file)}: ${(e as Error).message}`);
  }
  removeStaleTempFiles(dirname(resolve(file)), basename(file));
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}
