/**
 * Runs an example module: written to a temporary file and imported (vitest compiles
 * it), with console and stdout output captured and os.tmpdir() pointing into `dir`
 * (removed afterwards by the caller). Fails on a throw, a broken result comment, or
 * printed text that differs from the example's "Output:" block.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { format } from "node:util";
import type { ExampleModule } from "./modules.js";
import { checkThrow, checkValue, show, type Expectation } from "./results.js";

/** What the result checks in a running module call (installed as `globalThis.__doctest`). */
interface Runtime {
  value(actual: unknown, id: number): unknown;
  throws(f: () => Promise<void>, id: number): Promise<void>;
}

/** The failures of running `m` ("<file>:<line> <message>"), empty when it passes. */
export async function runModule(m: ExampleModule, dir: string, name: string): Promise<string[]> {
  const failures: string[] = [];
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, m.runText);
  const expectation = (id: number): Expectation => {
    const e = m.expectations.get(id);
    if (!e) throw new Error(`doctest: no expectation ${id}`);
    return e;
  };
  const lineOf = (id: number) => m.where(m.checkLines.get(id));
  const runtime: Runtime = {
    value(actual, id) {
      const why = checkValue(actual, expectation(id));
      if (why) failures.push(`${lineOf(id)} ${why}`);
      return actual;
    },
    async throws(f, id) {
      try {
        await f();
      } catch (e) {
        const why = checkThrow(e, expectation(id));
        if (why) failures.push(`${lineOf(id)} ${why}`);
        return;
      }
      failures.push(`${lineOf(id)} expected ${expectation(id).text}, but nothing was thrown`);
    },
  };
  const g = globalThis as { __doctest?: Runtime };
  g.__doctest = runtime;
  let printed = "";
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const saved = methods.map((k) => console[k]);
  for (const k of methods) console[k] = (...args: unknown[]) => void (printed += `${format(...args)}\n`);
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  const tmp = process.env["TMPDIR"];
  process.env["TMPDIR"] = dir;
  try {
    await import(/* @vite-ignore */ file);
  } catch (e) {
    failures.push(`${m.where(thrownAt(e, file))} threw ${e instanceof Error ? `${e.name}: ${e.message}` : show(e)}`);
  } finally {
    methods.forEach((k, i) => (console[k] = saved[i]!));
    process.stdout.write = write;
    if (tmp === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = tmp;
    delete g.__doctest;
  }
  if (m.example.output !== undefined && failures.length === 0) {
    const why = outputDifference(printed, m.example.output);
    if (why) failures.push(`${m.example.file}:${m.example.line} printed output differs from its Output block: ${why}`);
  }
  return failures;
}

/** The module line a stack trace places a throw at. */
function thrownAt(e: unknown, file: string): number | undefined {
  const stack = e instanceof Error ? (e.stack ?? "") : "";
  const at = stack.split(file)[1];
  const m = at === undefined ? null : /^:(\d+):\d+/.exec(at);
  return m ? Number(m[1]) : undefined;
}

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/gi;

/**
 * How printed text differs from an Output block: the same text up to white space,
 * numbers to 1e-9 relative.
 */
export function outputDifference(printed: string, expected: string): string | undefined {
  const split = (s: string) => {
    const numbers = [...s.matchAll(NUMBER)].map((m) => Number(m[0]));
    const words = s.split(NUMBER).map((w) => w.replace(/\s+/g, " ").trim());
    return { numbers, words };
  };
  const a = split(printed);
  const b = split(expected);
  const words = a.words.join("#") === b.words.join("#");
  const numbers =
    a.numbers.length === b.numbers.length &&
    a.numbers.every((x, i) => {
      const y = b.numbers[i]!;
      return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
    });
  return words && numbers ? undefined : `printed\n${printed}\nexpected\n${expected}`;
}
