import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join, parse, resolve, sep } from "node:path";

/** The target of a write exists and is not a regular file (a folder, a device, a link…). */
export class NotAFileError extends Error {
  override name = "NotAFileError";
  readonly code = "ENOTREG";
}

/** Temporary files are `.NAME.vgrad-PID-N.tmp` beside their target, so a later run can recognize and remove them. */
const TEMP = /^\.(.+)\.vgrad-(\d+)-(\d+)\.tmp$/;
let counter = 0;

function tempPath(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.vgrad-${process.pid}-${counter}.tmp`);
}

function kind(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a named pipe";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Throws a NotAFileError when something other than a regular file is at `path`. */
function refuseNonFile(path: string): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!st.isFile()) throw new NotAFileError(`${path} is ${kind(st)}, not a regular file; refusing to replace it`);
}

/**
 * Writes a file so that readers see either the old or the whole new content, never
 * a part: write a temporary file beside it, flush, rename over the target. Only a
 * regular file is ever replaced: a folder, device, pipe or symbolic link at `path`
 * gives a NotAFileError and is left alone.
 *
 * @example
 * const file = join(mkdtempSync(join(tmpdir(), "vgrad-")), "network.json");
 * writeFileAtomic(file, JSON.stringify({ a: 1 }));
 * readFileSync(file, "utf8"); // '{"a":1}'
 */
export function writeFileAtomic(path: string, data: string): void {
  refuseNonFile(path);
  const tmp = tempPath(path);
  let fd: number | undefined;
  try {
    // "wx": never follow or reuse something already at the temporary name
    fd = openSync(tmp, "wx");
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    refuseNonFile(path);
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

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // this process writes synchronously: none of its own is in flight
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files that an interrupted {@link writeFileAtomic} left in
 * `dir` (only those of processes no longer running; with `target`, only those of
 * that file) and returns their names.
 *
 * @example
 * removeStaleTempFiles("synth-out"); // the names removed, e.g. [".checkpoint.json.vgrad-4242-17.tmp"]
 */
export function removeStaleTempFiles(dir: string, target?: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (m === null || (target !== undefined && m[1] !== target) || alive(Number(m[2]))) continue;
    try {
      if (lstatSync(join(dir, name)).isFile()) {
        unlinkSync(join(dir, name));
        removed.push(name);
      }
    } catch {
      // removed by someone else meanwhile
    }
  }
  return removed;
}

/**
 * Creates a folder and its missing parents, failing at once when that cannot work (a
 * part of the path is a file, or the file system refuses, as /proc does: Node's own
 * recursive mkdir can loop forever there).
 *
 * @example
 * makeDirectory("synth-out/run-1");
 */
export function makeDirectory(dir: string): void {
  const full = resolve(dir);
  const missing: string[] = [];
  let p = full;
  const root = parse(full).root;
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      // ENOTDIR: a part further up is a file, which the walk up reaches
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    }
    if (st !== undefined) {
      if (!st.isDirectory()) {
        throw Object.assign(new Error(`${p} is not a folder`), { code: "ENOTDIR" });
      }
      break;
    }
    if (p === root) break;
    missing.push(p);
    p = dirname(p);
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(d).isDirectory()) throw e;
    }
  }
}

/**
 * Checks, before any work, that {@link writeFileAtomic} can write `path`: it names a
 * file (not "" and not ending in a separator), its folder exists, nothing but a regular
 * file is there, and a file can be created beside it (which also catches read-only
 * and special file systems such as /proc). Throws an error saying why not.
 *
 * @example
 * checkWritableFile("trained.json");
 */
export function checkWritableFile(path: string): void {
  if (path.length === 0) throw new Error("the file name is empty");
  const endsInFolder = sep === "\\" ? /(^|[\\/])\.{0,2}$/ : /(^|\/)\.{0,2}$/;
  if (endsInFolder.test(path)) {
    throw new Error("it names a folder, not a file");
  }
  const dir = dirname(resolve(path));
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(
      new Error(code === "ENOENT" ? `its folder ${dir} does not exist` : `its folder ${dir}: ${code}`),
      { code },
    );
  }
  if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: "ENOTDIR" });
  refuseNonFile(path);
  const probe = tempPath(resolve(path));
  try {
    closeSync(openSync(probe, "wx"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`cannot create a file in ${dir} (${code ?? (e as Error).message})`), { code });
  }
  unlinkSync(probe);
}
