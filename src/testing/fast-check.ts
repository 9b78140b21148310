/**
 * fast-check, loaded so that its absence says what to do. It is an optional peer
 * dependency: only vgrad/testing needs it, and a plain `import fc from "fast-check"`
 * fails without it with a bare "Cannot find module 'fast-check'".
 *
 * It is loaded with `require`, synchronously: the arbitraries are built synchronously,
 * and an ES module cannot catch the failure of its own static import. fast-check ships
 * CommonJS, so in an ES program that imports fast-check itself there are two copies of
 * it (its ES and CommonJS builds). They mix: fast-check recognizes an arbitrary by its
 * methods, not its class. Only `fc.configureGlobal` settings that shape arbitraries
 * (`baseSize`) made on the program's copy do not reach the arbitraries built here.
 */
import { createRequire } from "node:module";
import type * as FastCheck from "fast-check";

function load(): typeof FastCheck {
  try {
    return createRequire(import.meta.url)("fast-check") as typeof FastCheck;
  } catch (e) {
    // only fast-check itself missing; a broken install of it keeps its own error
    if (
      (e as { code?: unknown })?.code === "MODULE_NOT_FOUND" &&
      String((e as Error).message).startsWith("Cannot find module 'fast-check'")
    ) {
      throw new Error(
        "vgrad/testing needs fast-check, an optional peer dependency: npm install --save-dev fast-check",
        { cause: e },
      );
    }
    throw e;
  }
}

/** The fast-check module (its CommonJS build). */
export const fc = load();

/** fast-check's types under the same name, as with `import fc from "fast-check"`. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace fc {
  export type Arbitrary<T> = FastCheck.Arbitrary<T>;
  export type WeightedArbitrary<T> = FastCheck.WeightedArbitrary<T>;
}
