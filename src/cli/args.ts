import { InvalidArgumentError } from "commander";

/** Parses a whole number >= min for commander, with a clear message. */
export function intArg(min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${v}"`);
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
