// A piscina worker: evaluates one antithetic ES pair.
import { evaluatePair, type EsTask } from "./es-pair.js";

export default function (task: EsTask): [number, number] {
  return evaluatePair(task);
}
