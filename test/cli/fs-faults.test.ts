// Filesystem faults while writing outputs are coded errors naming the path, never "INTERNAL":
// an output path that is a directory, a path through a file, a folder the user may not write (the
// command runs as `nobody`: root ignores permission bits), a read-only mount (a read-only bind
// mount) and a full disk (a 64 KiB tmpfs). Real faults where this machine allows the mounts, and
// the errno mapping on synthetic errors always.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabError, instrument } from "../../src/core/index.js";
import { errnoOf, writeError, writeOutputFileSync } from "../../src/core/fs-errors.js";
import { generateTicks, listPartitions, readCatalog, writeCatalog, writeParquet } from "../../src/data/index.js";
import { exportHtml } from "../../src/report/index.js";
import { CLI, ROOT } from "../helpers/paths.js";

const base = mkdtempSync(join(tmpdir(), "fs-faults-"));
chmodSync(base, 0o755);
const ticksFile = join(base, "ticks.parquet");
const runFile = join(base, "run.json");
const aFile = join(base, "a-file.txt");
const aDir = join(base, "a-dir");
const locked = join(base, "locked");
const roSource = join(base, "ro-source");
const ro = join(base, "ro");
const full = join(base, "full");
const mounted: string[] = [];

function mount(args: string[], at: string): boolean {
  mkdirSync(at, { recursive: true });
  const ok = spawnSync("mount", [...args, at], { encoding: "utf8" }).status === 0;
  if (ok) mounted.push(at);
  return ok;
}

// Decided while the tests are collected (it.skipIf reads them then), so done at load time.
const asNobody = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "true"]).status === 0;
mkdirSync(roSource, { mode: 0o777 });
chmodSync(roSource, 0o777);
const readOnlyMount = mount(["--bind", "-o", "ro", roSource], ro);
const tmpfsMount = mount(["-t", "tmpfs", "-o", "size=64k,mode=0777", "tmpfs"], full);
// 60 KiB of the 64 leave one page: every output here is larger than that.
if (tmpfsMount) writeFileSync(join(full, "filler"), Buffer.alloc(60 * 1024, 1));

beforeAll(async () => {
  const ticks = generateTicks({ events: 5_000, seed: 4, mode: "l2", instrument: instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01" }) });
  await writeParquet(ticks, ticksFile);
  const backtest = spawnSync(process.execPath, [CLI, "backtest", "--strategy", "marketMaker", "--data", "generated", "--events", "2000", "--out", runFile, "-q"], { cwd: ROOT, encoding: "utf8" });
  expect(backtest.status, backtest.stderr).toBe(0);
  chmodSync(ticksFile, 0o644);
  chmodSync(runFile, 0o644);
  writeFileSync(aFile, "not a folder\n");
  mkdirSync(aDir);
  mkdirSync(locked, { mode: 0o755 });
});

afterAll(() => {
  for (const at of mounted.reverse()) spawnSync("umount", ["-l", at]);
  rmSync(base, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], nobody = false): Promise<Result> {
  const command = nobody ? "setpriv" : process.execPath;
  const argv = nobody ? ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, CLI, ...args] : [CLI, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, HOME: base }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the commands two at a time (the machine has two cores). */
async function all<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all([lane(), lane()]);
  return out;
}

/** The output-writing commands, given where their output goes. */
const commands: Record<string, (out: string) => string[]> = {
  "generate --out": (out) => ["generate", "--events", "5000", "--out", `${out}.parquet`, "-q"],
  "validate --html": (out) => ["validate", ticksFile, "--html", `${out}.html`, "-q"],
  report: (out) => ["report", runFile, "--capital", "100000", "--out", `${out}.html`],
  "ingest --out": (out) => ["ingest", ticksFile, "--out", out, "-q"],
};
// backtest.ts writes --out with writeOutputFileSync once its owner wires it in; until then its
// faults are not checked here.
const backtestWired = readFileSync(join(ROOT, "src", "cli", "commands", "backtest.ts"), "utf8").includes("writeOutputFileSync");
if (backtestWired) commands["backtest --out"] = (out) => ["backtest", "--strategy", "marketMaker", "--data", "generated", "--events", "2000", "--out", `${out}.json`, "-q"];

/** Exit non-zero, one stderr line `error CODE: ...` naming `path` and what was written, no INTERNAL. */
function expectOneError(name: string, r: Result, code: string, path: string): void {
  const lines = r.stderr.trim().split("\n");
  expect(r.code, `${name}: ${r.stderr}`).not.toBe(0);
  expect(lines, name).toHaveLength(1);
  expect(lines[0], name).toMatch(new RegExp(`^error ${code}: `));
  expect(lines[0], name).toContain(path);
  expect(lines[0], name).toMatch(/\(hint: .+\)$/);
  expect(r.stderr, name).not.toContain("INTERNAL");
}

/** Files (not folders) under `dir`, relative. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), path);
      else out.push(path);
    }
  };
  walk(dir, "");
  return out.sort();
}

describe("output paths through the CLI", () => {
  it("an output that is an existing directory is IS_A_DIRECTORY (a catalog path that is a file, NOT_A_DIRECTORY)", async () => {
    const names = Object.keys(commands).filter((n) => n !== "ingest --out");
    // the extension each command adds makes the path: create those directories
    const results = await all(names.map((name) => () => {
      const out = commands[name]!(join(aDir, "x"));
      const target = out[out.indexOf(name.includes("--html") ? "--html" : "--out") + 1]!;
      mkdirSync(target, { recursive: true });
      return cli(out).then((r) => ({ name, r, target }));
    }));
    for (const { name, r, target } of results) {
      expectOneError(name, r, "IS_A_DIRECTORY", target);
      expect(r.stderr).toContain(`it is a directory (hint: give a file name, e.g. ${target}/`);
    }
    const ingest = await cli(commands["ingest --out"]!(aFile));
    expectOneError("ingest", ingest, "NOT_A_DIRECTORY", aFile);
    expect(ingest.stderr).toContain(`${aFile} is a file, not a folder`);
    expect(readFileSync(aFile, "utf8")).toBe("not a folder\n");
  });

  it("a path through a file is NOT_A_DIRECTORY naming that file; missing parent folders are created", async () => {
    const names = Object.keys(commands);
    const through = await all(names.map((name) => () => cli(commands[name]!(join(aFile, "sub", "x"))).then((r) => ({ name, r }))));
    for (const { name, r } of through) {
      expectOneError(name, r, "NOT_A_DIRECTORY", join(aFile, "sub", "x"));
      expect(r.stderr, name).toContain(`${aFile} is a file, not a folder`);
    }
    const created = await all(names.map((name) => () => cli(commands[name]!(join(base, "new", name.split(" ")[0]!, "deeper", "x"))).then((r) => ({ name, r }))));
    for (const { name, r } of created) expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    expect(statSync(join(base, "new", "generate", "deeper", "x.parquet")).size).toBeGreaterThan(1000);
    expect(readFileSync(join(base, "new", "validate", "deeper", "x.html"), "utf8")).toContain("Data quality");
    expect(readFileSync(join(base, "new", "report", "deeper", "x.html"), "utf8")).toMatch(/^<!DOCTYPE html>/);
    expect((await readCatalog(join(base, "new", "ingest", "deeper", "x"))).length).toBe(5_000);
  });

  it.skipIf(!asNobody)("a folder the user may not write is PERMISSION_DENIED naming the folder (run as nobody)", async () => {
    const names = Object.keys(commands);
    const results = await all(names.map((name) => () => cli(commands[name]!(join(locked, "x")), true).then((r) => ({ name, r }))));
    for (const { name, r } of results) {
      expectOneError(name, r, "PERMISSION_DENIED", join(locked, "x"));
      expect(r.stderr, name).toContain(`(folder ${locked})`);
      expect(r.stderr, name).toContain(`ls -ld ${locked}`);
    }
    expect(readdirSync(locked)).toEqual([]);
  });

  it.skipIf(!asNobody)("API as nobody: writeCatalog and exportHtml name the folder they may not write; a catalog folder they may not write into is named", async () => {
    // A catalog whose root is writable but one partition folder is not (another user made it).
    const catalog = join(base, "shared-catalog");
    await writeCatalog(catalog, generateTicks({ events: 500, seed: 1, mode: "l2", instrument: instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01" }) }));
    chmodSync(catalog, 0o777);
    const [part] = await listPartitions(catalog);
    const script = `
      const { writeCatalog, generateTicks } = await import(${JSON.stringify(join(ROOT, "dist", "data", "index.js"))});
      const { instrument } = await import(${JSON.stringify(join(ROOT, "dist", "core", "index.js"))});
      const { exportHtml } = await import(${JSON.stringify(join(ROOT, "dist", "report", "index.js"))});
      const ticks = generateTicks({ events: 500, seed: 2, mode: "l2", instrument: instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01" }) });
      const out = [];
      for (const call of [() => writeCatalog(${JSON.stringify(join(locked, "cat"))}, ticks), () => writeCatalog(${JSON.stringify(catalog)}, ticks), () => exportHtml("<p>x</p>", ${JSON.stringify(join(locked, "r.html"))})]) {
        try { await call(); out.push({ ok: true }); } catch (e) { out.push({ name: e.name, code: e.code, message: e.message, hint: e.hint }); }
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "--input-type=module", "-e", script], { cwd: base, encoding: "utf8", env: { ...process.env, HOME: base } });
    expect(r.status, r.stderr).toBe(0);
    const [lockedRoot, sharedPartition, page] = JSON.parse(r.stdout) as { code: string; message: string; hint: string }[];
    expect(lockedRoot).toMatchObject({ code: "PERMISSION_DENIED", message: `no permission to write catalog folder ${join(locked, "cat")} (folder ${locked})` });
    expect(lockedRoot!.hint).toContain("nothing was changed in the catalog");
    expect(sharedPartition).toMatchObject({ code: "PERMISSION_DENIED", message: `no permission to write catalog partition ${join(catalog, part!.path)} (folder ${join(catalog, part!.path)})` });
    expect(page).toMatchObject({ code: "PERMISSION_DENIED", message: `no permission to write HTML report ${join(locked, "r.html")} (folder ${locked})` });
    // the refused write left nothing behind: no lock, no pending file
    expect(filesUnder(catalog).filter((f) => !f.endsWith(".parquet") && !f.endsWith("instrument.json"))).toEqual([]);
    expect((await readCatalog(catalog)).length).toBe(500);
  });

  it.skipIf(!readOnlyMount)("a read-only mount is READ_ONLY_FS (bind mount -o ro)", async () => {
    const names = Object.keys(commands);
    const results = await all(names.map((name) => () => cli(commands[name]!(join(ro, "x"))).then((r) => ({ name, r }))));
    for (const { name, r } of results) {
      expectOneError(name, r, "READ_ONLY_FS", join(ro, "x"));
      expect(r.stderr, name).toContain("mounted read-only");
    }
    expect(readdirSync(roSource)).toEqual([]);
    expect(() => writeOutputFileSync(join(ro, "y.json"), "{}", "backtest result")).toThrow(expect.objectContaining({ code: "READ_ONLY_FS" }));
  });

  it.skipIf(!tmpfsMount)("a full disk is DISK_FULL and leaves no partial file (64 KiB tmpfs)", async () => {
    // A catalog write fails on its first partition file (its lock and instrument.json fit).
    const names = Object.keys(commands).filter((n) => n !== "validate --html");
    const results = await all(names.map((name) => () => cli(commands[name]!(join(full, name.split(" ")[0]!))).then((r) => ({ name, r }))));
    for (const { name, r } of results) {
      expectOneError(name, r, "DISK_FULL", join(full, name.split(" ")[0]!));
      expect(r.stderr, name).toContain("no space left on the device");
    }
    expect(results.find((x) => x.name === "ingest --out")!.r.stderr).toContain(`while writing catalog partition ${join(full, "ingest", "venue=SIM", "symbol=SYN", "date=")}`);
    expect(filesUnder(full)).toEqual(["filler"]);
    expect(readdirSync(join(full, "ingest"))).toEqual([]);
    // the quality page is smaller than a page: the last page goes first
    writeFileSync(join(full, "filler-2"), Buffer.alloc(4096, 1));
    const validate = await cli(commands["validate --html"]!(join(full, "validate")));
    expectOneError("validate", validate, "DISK_FULL", join(full, "validate"));
    rmSync(join(full, "filler-2"));
    expect(filesUnder(full)).toEqual(["filler"]);
    // the API: a catalog write and a report
    const ticks = generateTicks({ events: 20_000, seed: 9, mode: "l2", instrument: instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01" }) });
    await expect(writeCatalog(join(full, "cat"), ticks)).rejects.toMatchObject({ code: "DISK_FULL", context: { errno: "ENOSPC" } });
    expect(await listPartitions(join(full, "cat"))).toEqual([]);
    expect(() => exportHtml("<p>" + "x".repeat(10_000) + "</p>", join(full, "r.html"))).toThrow(expect.objectContaining({ code: "DISK_FULL" }));
    expect(filesUnder(full)).toEqual(["filler"]);
  });
});

describe("errno mapping (synthetic errors)", () => {
  const errno = (code: string, message = `${code}: failed`): Error => Object.assign(new Error(message), { code });
  const target = { what: "backtest result", example: "run.json" };

  it("maps each errno to its code, naming path, what was written and the fix", () => {
    const path = join(base, "out", "run.json");
    const cases: [string, string, RegExp][] = [
      ["EACCES", "PERMISSION_DENIED", /^no permission to write backtest result .*run\.json \(folder /],
      ["EPERM", "PERMISSION_DENIED", /^no permission to write backtest result/],
      ["EROFS", "READ_ONLY_FS", /^cannot write backtest result .*run\.json: the file system holding .* is mounted read-only$/],
      ["ENOSPC", "DISK_FULL", /^no space left on the device \(disk full\) while writing backtest result .*run\.json$/],
      ["EDQUOT", "DISK_FULL", /\(disk quota exceeded\)/],
      ["EISDIR", "IS_A_DIRECTORY", /^cannot write backtest result to .*run\.json: it is a directory$/],
      ["ENOENT", "WRITE_FAILED", /does not exist/],
      ["EIO", "WRITE_FAILED", /^cannot write backtest result .*run\.json: EIO EIO: failed$/],
    ];
    for (const [code, expected, message] of cases) {
      const e = writeError(errno(code), path, target);
      expect(e, code).toBeInstanceOf(LabError);
      expect(e.code, code).toBe(expected);
      expect(e.message, code).toMatch(message);
      expect(e.context, code).toMatchObject({ file: path, errno: code, writing: "backtest result" });
      expect(e.hint.length, code).toBeGreaterThan(10);
    }
    expect(writeError(errno("EISDIR"), path, target).hint).toBe(`give a file name, e.g. ${join(path, "run.json")}`);
    expect(writeError(errno("ENOTDIR"), join(aFile, "x", "run.json"), target)).toMatchObject({ code: "NOT_A_DIRECTORY", message: `cannot write backtest result to ${join(aFile, "x", "run.json")}: ${aFile} is a file, not a folder` });
    expect(writeError(errno("ENOSPC"), path, { ...target, note: "nothing was changed" }).hint).toMatch(/; nothing was changed$/);
  });

  it("reads the errno from a query engine's message and along the cause chain; other LabErrors pass unchanged", () => {
    const duck = new Error('IO Error: Cannot open file "/x/y.parquet": Permission denied');
    const wrapped = new LabError({ code: "WRITE_FAILED", message: "cannot write /x/y.parquet: IO Error: ...", cause: duck });
    expect(errnoOf(wrapped)).toBe("EACCES");
    expect(writeError(wrapped, "/x/y.parquet", { what: "table" }).code).toBe("PERMISSION_DENIED");
    expect(errnoOf(new Error('IO Error: Could not write file "/t/f": No space left on device'))).toBe("ENOSPC");
    expect(errnoOf(new Error("IO Error: Read-only file system"))).toBe("EROFS");
    const other = new LabError({ code: "BAD_OPTION", message: "--events must be positive" });
    expect(writeError(other, "/x", { what: "table" })).toBe(other);
    expect(writeError(new Error("something else"), "/x", { what: "table" })).toMatchObject({ code: "WRITE_FAILED", message: "cannot write table /x: something else" });
  });

  it("exportHtml and writeCatalog through the API: a directory, a path through a file", async () => {
    expect(() => exportHtml("<p>x</p>", aDir)).toThrow(expect.objectContaining({ code: "IS_A_DIRECTORY", message: `cannot write HTML report to ${aDir}: it is a directory` }));
    expect(() => exportHtml("<p>x</p>", join(aFile, "r.html"))).toThrow(expect.objectContaining({ code: "NOT_A_DIRECTORY" }));
    const ticks = generateTicks({ events: 100, seed: 1, mode: "l2" });
    await expect(writeCatalog(aFile, ticks)).rejects.toMatchObject({ code: "NOT_A_DIRECTORY", message: `cannot write catalog folder to ${aFile}: ${aFile} is a file, not a folder` });
    expect(existsSync(join(base, "a-dir", "r.html"))).toBe(false);
    // an atomic write leaves no temporary file beside the target
    const written = writeOutputFileSync(join(base, "ok", "r.json"), "{}\n", "backtest result");
    expect(written).toEqual({ file: join(base, "ok", "r.json"), bytes: 3 });
    expect(readdirSync(join(base, "ok"))).toEqual(["r.json"]);
  });
});
