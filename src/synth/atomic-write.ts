import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file so that readers see either the old or the whole new content, never
 * a part: write a temporary file beside it, flush, rename over the target.
 *
 * @example
 * const file = join(mkdtempSync(join(tmpdir(), "vgrad-")), "network.json");
 * writeFileAtomic(file, JSON.stringify({ a: 1 }));
 * readFileSync(file, "utf8"); // '{"a":1}'
 */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written, or it is gone already
    }
    throw e;
  }
}
