/** Atomic writes replace only regular files; temporary files are recognizable and cleaned up. */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkWritableFile,
  makeDirectory,
  NotAFileError,
  removeStaleTempFiles,
  writeFileAtomic,
} from "../../src/synth/index.js";

const work = mkdtempSync(join(tmpdir(), "vgrad-atomic-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const fresh = (name: string) => {
  const d = join(work, name);
  mkdirSync(d);
  return d;
};
const mkfifo = (p: string) => spawnSync("mkfifo", [p]).status === 0;

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("writeFileAtomic", () => {
  it("replaces a regular file and leaves nothing else behind", () => {
    const d = fresh("plain");
    writeFileSync(join(d, "a.json"), "old");
    writeFileAtomic(join(d, "a.json"), "new");
    expect(readFileSync(join(d, "a.json"), "utf8")).toBe("new");
    expect(readdirSync(d)).toEqual(["a.json"]);
  });

  it("refuses to replace a folder, a named pipe or a symbolic link, and leaves them alone", () => {
    const d = fresh("special");
    mkdirSync(join(d, "dir"));
    writeFileSync(join(d, "real.json"), "real");
    symlinkSync(join(d, "real.json"), join(d, "link.json"));
    expect(() => writeFileAtomic(join(d, "dir"), "x")).toThrow(NotAFileError);
    expect(() => writeFileAtomic(join(d, "dir"), "x")).toThrow(
      /dir is a folder, not a regular file; refusing to replace it$/,
    );
    expect(() => writeFileAtomic(join(d, "link.json"), "x")).toThrow(/is a symbolic link, not a regular file/);
    expect(lstatSync(join(d, "dir")).isDirectory()).toBe(true);
    expect(lstatSync(join(d, "link.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, "real.json"), "utf8")).toBe("real");
    if (mkfifo(join(d, "pipe"))) {
      expect(() => writeFileAtomic(join(d, "pipe"), "x")).toThrow(/pipe is a named pipe, not a regular file/);
      expect(lstatSync(join(d, "pipe")).isFIFO()).toBe(true);
    }
    expect(readdirSync(d).sort()).toEqual(
      ["dir", "link.json", "real.json", ...(existsSync(join(d, "pipe")) ? ["pipe"] : [])].sort(),
    );
  });
});

describe("removeStaleTempFiles", () => {
  it("removes the temporary files of ended processes only, and only recognizable ones", () => {
    const d = fresh("stale");
    const dead = deadPid();
    const names = [
      `.checkpoint.json.vgrad-${dead}-3.tmp`, // an ended process: stale
      `.network.json.vgrad-${dead}-1.tmp`, // stale
      `.report.md.vgrad-${process.ppid}-2.tmp`, // a running process may still be writing it
      "notes.tmp", // not ours
      ".checkpoint.json.tmp", // not ours
    ];
    for (const n of names) writeFileSync(join(d, n), "partial");
    expect(removeStaleTempFiles(d, "network.json")).toEqual([names[1]]);
    expect(removeStaleTempFiles(d).sort()).toEqual([names[0]]);
    expect(readdirSync(d).sort()).toEqual([names[2], names[3], names[4]].sort());
  });

  it("a missing folder has nothing to remove", () => {
    expect(removeStaleTempFiles(join(work, "nope"))).toEqual([]);
  });
});

describe("makeDirectory", () => {
  it("creates missing parents", () => {
    makeDirectory(join(work, "m", "n", "o"));
    expect(lstatSync(join(work, "m", "n", "o")).isDirectory()).toBe(true);
  });

  it("fails at once where a part of the path is a file", () => {
    writeFileSync(join(work, "file"), "");
    expect(() => makeDirectory(join(work, "file", "x", "y"))).toThrow(/file is not a folder$/);
  });

  it.runIf(existsSync("/proc/self"))(
    "fails at once under /proc (Node's recursive mkdir loops there)",
    { timeout: 5000 },
    () => {
      expect(() => makeDirectory("/proc/vgrad-test/x")).toThrow(/ENOENT/);
    },
  );
});

describe("checkWritableFile", () => {
  it.each([
    ["", /^the file name is empty$/],
    ["newdir/", /^it names a folder, not a file$/],
    ["t.json/", /^it names a folder, not a file$/],
    [".", /^it names a folder, not a file$/],
    ["no-such-folder/t.json", /^its folder .*no-such-folder does not exist$/],
  ])("%j is refused", (path, message) => {
    expect(() => checkWritableFile(path === "" || path === "." ? path : join(work, path))).toThrow(message);
  });

  it("refuses a folder or special file at the target and accepts a regular file, leaving no probe behind", () => {
    const d = fresh("check");
    mkdirSync(join(d, "out.json"));
    expect(() => checkWritableFile(join(d, "out.json"))).toThrow(/is a folder, not a regular file/);
    writeFileSync(join(d, "ok.json"), "");
    checkWritableFile(join(d, "ok.json"));
    checkWritableFile(join(d, "new.json"));
    expect(readdirSync(d).sort()).toEqual(["ok.json", "out.json"]);
  });

  it.runIf(existsSync("/proc/self"))("refuses /proc/t.json", () => {
    expect(() => checkWritableFile("/proc/t.json")).toThrow(/^cannot create a file in \/proc/);
  });
});
