/**
 * Writing output files the same way everywhere: a filesystem fault (a folder without write
 * permission, a read-only mount, a full disk, a path that is a directory) becomes a LabError that
 * names the path, what was being written and the fix, never an uncaught errno error.
 *
 * Parent folders of an output are created (as `mkdir -p`), so a missing folder is not an error;
 * a path component that is a file is (NOT_A_DIRECTORY). Files are written to a temporary name
 * beside the target and renamed into place, so a failure (a full disk) never leaves a partial file
 * under the target's name.
 *
 * Codes: IS_A_DIRECTORY, NOT_A_DIRECTORY, PERMISSION_DENIED, READ_ONLY_FS, DISK_FULL,
 * WRITE_FAILED (anything else, with the errno).
 */
import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { LabErrorCode } from "./error-codes.js";
import { LabError, isLabError } from "./errors.js";

/** What is being written, for messages: `what` ("HTML report"), and extra text for the hint. */
export interface WriteTarget {
  /** Short noun phrase: "backtest result", "HTML report", "catalog partition file". */
  what: string;
  /** A file name to suggest inside a directory given by mistake (IS_A_DIRECTORY). */
  example?: string;
  /** Appended to every hint, e.g. "nothing was changed in the catalog". */
  note?: string;
  /** `path` is a folder written into (a catalog), not a file: permission messages name it. */
  directory?: boolean;
}

// DuckDB and other native writers report the C library's strerror text, not an errno code.
const STRERROR: readonly (readonly [RegExp, string])[] = [
  [/permission denied/i, "EACCES"],
  [/operation not permitted/i, "EPERM"],
  [/read-only file system/i, "EROFS"],
  [/no space left on device/i, "ENOSPC"],
  [/disk quota exceeded/i, "EDQUOT"],
  [/is a directory/i, "EISDIR"],
  [/not a directory/i, "ENOTDIR"],
  [/no such file or directory/i, "ENOENT"],
  [/file exists/i, "EEXIST"],
  [/file too large/i, "EFBIG"],
  [/input\/output error/i, "EIO"],
];

/**
 * The errno code behind `error` (e.g. "EACCES"): its `code` property, or the strerror text in its
 * message, looked up along its `cause` chain (a LabError wrapping a DuckDB error wrapping the OS's).
 */
export function errnoOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
    const message = current instanceof Error ? current.message : typeof current === "string" ? current : "";
    for (const [pattern, errno] of STRERROR) if (pattern.test(message)) return errno;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

/** The nearest ancestor of `path` that exists (to say which component is a file, or not writable). */
function existingAncestor(path: string): { path: string; isDirectory: boolean } {
  let current = resolve(path);
  for (;;) {
    try {
      return { path: current, isDirectory: statSync(current).isDirectory() };
    } catch {
      const parent = dirname(current);
      if (parent === current) return { path: current, isDirectory: true };
      current = parent;
    }
  }
}

/**
 * Maps a failure while writing `path` to a coded LabError naming the path, what was written and
 * the fix. A LabError with no filesystem cause is returned unchanged.
 */
export function writeError(error: unknown, path: string, target: WriteTarget): LabError {
  const errno = errnoOf(error);
  if (errno === undefined && isLabError(error)) return error;
  const { what } = target;
  const resolved = resolve(path);
  const folder = dirname(resolved);
  const note = target.note ? `; ${target.note}` : "";
  const context = { file: path, resolved, errno: errno ?? "unknown", writing: what };
  const make = (code: LabErrorCode, message: string, hint: string): LabError => new LabError({ code, message, hint: hint + note, context, cause: error });
  switch (errno) {
    case "EISDIR":
      return make("IS_A_DIRECTORY", `cannot write ${what} to ${path}: it is a directory`, `give a file name${target.example ? `, e.g. ${join(path, target.example)}` : " inside it"}`);
    case "ENOTDIR":
    case "EEXIST": {
      const blocker = existingAncestor(path);
      if (!blocker.isDirectory) {
        return make("NOT_A_DIRECTORY", `cannot write ${what} to ${path}: ${blocker.path} is a file, not a folder`, `choose another path, or move the file ${blocker.path} away`);
      }
      return make("WRITE_FAILED", `cannot write ${what} to ${path}: ${firstLine(error)}`, "choose another path");
    }
    case "EACCES":
    case "EPERM": {
      const near = existingAncestor(target.directory ? resolved : folder).path;
      return make("PERMISSION_DENIED", `no permission to write ${what} ${path} (folder ${near})`, `write into a folder you own, or fix its owner and mode (ls -ld ${near})`);
    }
    case "EROFS":
      return make("READ_ONLY_FS", `cannot write ${what} ${path}: the file system holding ${existingAncestor(target.directory ? resolved : folder).path} is mounted read-only`, "write to a writable location (e.g. a folder under your home or the project)");
    case "ENOSPC":
    case "EDQUOT":
      return make("DISK_FULL", `no space left on the device (${errno === "EDQUOT" ? "disk quota exceeded" : "disk full"}) while writing ${what} ${path}`, `free space (df -h ${existingAncestor(folder).path}) or write to another disk`);
    case "ENOENT":
      return make("WRITE_FAILED", `cannot write ${what} ${path}: folder ${folder} does not exist (removed while writing?)`, "check the path and write again");
    default:
      return make("WRITE_FAILED", `cannot write ${what} ${path}: ${errno ? `${errno} ` : ""}${firstLine(error)}`, "check that the folder is writable and the disk is healthy");
  }
}

function refuseDirectory(path: string, isDirectory: boolean, target: WriteTarget): void {
  if (!isDirectory) return;
  const error = Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: "EISDIR" });
  throw writeError(error, path, target);
}

/**
 * Checks that a file can be written at `path` before the work that produces it: creates its
 * parent folders, refuses a directory, and asks the OS whether the folder is writable (permission,
 * read-only mount). For writers that open the file themselves (DuckDB's COPY); returns the
 * absolute path.
 */
export function prepareOutputFile(path: string, target: WriteTarget): string {
  const resolved = resolve(path);
  try {
    mkdirSync(dirname(resolved), { recursive: true });
  } catch (error) {
    throw writeError(error, path, target);
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(resolved).isDirectory();
  } catch {
    // does not exist yet: the common case
  }
  refuseDirectory(path, isDirectory, target);
  try {
    accessSync(dirname(resolved), constants.W_OK);
  } catch (error) {
    throw writeError(error, path, target);
  }
  return resolved;
}

/**
 * Checks that a folder written into (a catalog) can be written: it, or the nearest folder above
 * it that exists, must be a writable directory. Nothing is created.
 */
export function checkWritableFolder(path: string, target: WriteTarget): void {
  const t = { ...target, directory: true };
  const near = existingAncestor(path);
  if (!near.isDirectory) {
    throw writeError(Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: "ENOTDIR" }), path, t);
  }
  try {
    accessSync(near.path, constants.W_OK);
  } catch (error) {
    throw writeError(error, path, t);
  }
}

let counter = 0;

function tempName(resolved: string): string {
  return join(dirname(resolved), `.${basename(resolved)}.tmp-${process.pid}-${++counter}`);
}

/**
 * Writes `content` to `path` (parent folders created) through a temporary file renamed into place;
 * filesystem faults are coded LabErrors (see `writeError`).
 */
export function writeOutputFileSync(path: string, content: string | Uint8Array, target: WriteTarget | string): { file: string; bytes: number } {
  const t = typeof target === "string" ? { what: target } : target;
  const resolved = prepareOutputFile(path, t);
  const temp = tempName(resolved);
  try {
    writeFileSync(temp, content);
    renameSync(temp, resolved);
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeError(error, path, t);
  }
  return { file: resolved, bytes: typeof content === "string" ? Buffer.byteLength(content) : content.byteLength };
}

/** Async `writeOutputFileSync`. */
export async function writeOutputFile(path: string, content: string | Uint8Array, target: WriteTarget | string): Promise<{ file: string; bytes: number }> {
  const t = typeof target === "string" ? { what: target } : target;
  const resolved = resolve(path);
  try {
    await mkdir(dirname(resolved), { recursive: true });
  } catch (error) {
    throw writeError(error, path, t);
  }
  refuseDirectory(path, await stat(resolved).then((s) => s.isDirectory(), () => false), t);
  const temp = tempName(resolved);
  try {
    await writeFile(temp, content);
    await rename(temp, resolved);
  } catch (error) {
    await rm(temp, { force: true });
    throw writeError(error, path, t);
  }
  return { file: resolved, bytes: typeof content === "string" ? Buffer.byteLength(content) : content.byteLength };
}
