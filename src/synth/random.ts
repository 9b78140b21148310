/**
 * Seeded randomness for reproducible syntheses, on pure-rand's xoroshiro128+ (a
 * well-kept, small PRNG library whose state can be saved in a checkpoint).
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";

type Gen = ReturnType<typeof xoroshiro128plus>;

/** A seeded generator of uniform and normal numbers with a serializable state. */
export class Rng {
  private gen: Gen;
  private constructor(gen: Gen) {
    this.gen = gen;
  }

  /** A generator for `seed` (an integer). */
  static seeded(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    return new Rng(xoroshiro128plus(seed | (0 ^ Math.floor(seed / 2 ** 32))));
  }

  /** A generator continuing from a saved {@link state}. */
  static fromState(state: readonly number[]): Rng {
    return new Rng(xoroshiro128plusFromState(state));
  }

  /** The state, to save in a checkpoint. */
  state(): number[] {
    return [...this.gen.getState()];
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Standard normal (Box–Muller; one uniform pair per value, so the stream is simple to reason about). */
  normal(): number {
    const u = 1 - this.uniform(); // (0, 1]
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
