/** An error caused by the user's input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The exit codes of `vgrad` (also listed by `vgrad --help`).
 *
 * - 0: done
 * - 1: internal error (a bug: the message has a stack trace)
 * - 2: bad input (one line on stderr naming what is wrong)
 * - 3: a loss, gradient or weight became NaN or infinite (training diverged, or a
 *   network's answers overflow); `vgrad synth` keeps the last finite checkpoint
 * - 130: interrupted (Ctrl-C or SIGTERM; `vgrad synth` saved a checkpoint to resume)
 */
export const EXIT = { done: 0, internal: 1, usage: 2, nonFinite: 3, interrupted: 130 } as const;

/** A file system error code in words, for one-line messages. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case "ENOENT":
      return "no such file or folder";
    case "EISDIR":
      return "it is a folder";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return err?.message ?? String(e);
  }
}
