import { InvalidArgumentError } from "commander";

/** Parses a whole number in [min, max] for commander, with a clear message. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a whole number ${range}, got "${v}"`);
    }
    return n;
  };
}

/** Parses a finite number >= min for commander. */
export function numArg(min = -Infinity): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < min) {
      throw new InvalidArgumentError(`expected a finite number${min > -Infinity ? ` >= ${min}` : ""}, got "${v}"`);
    }
    return n;
  };
}

/** Checks a text for the input driver. */
export function textArg(v: string): string {
  if (v.length === 0) throw new InvalidArgumentError("the text must not be empty");
  return v;
}

/** Collects a repeatable option. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), textArg(v)];
}
