/** Shared helpers for CLI commands: JSON output, errors as one line, file checks, progress. */
import { existsSync, statSync } from "node:fs";
import { LabError, isLabError, terminalProgress, type ProgressSink } from "../core/index.js";
import { checkReadableFile } from "../data/index.js";

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
}

/** Prints a result: JSON on stdout with --json, else the human text. */
export function output(value: unknown, json: boolean | undefined, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(value, jsonReplacer, 2) + "\n");
  else process.stdout.write(human() + "\n");
}

/** JSON.stringify replacer: bigint as string, NaN/Infinity as null, typed arrays as arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/**
 * Checks that `path` is a readable file (or, with `allowDirectory`, a folder such as a catalog),
 * with the data layer's coded errors: FILE_NOT_FOUND naming where relative paths start,
 * IS_A_DIRECTORY, PERMISSION_DENIED.
 */
export function requireFile(path: string, what = "file", allowDirectory = false): string {
  if (allowDirectory && existsSync(path) && statSync(path).isDirectory()) return path;
  checkReadableFile(path, what);
  if (!statSync(path).isFile()) {
    throw new LabError({ code: "NOT_A_FILE", message: `${what} is not a regular file: ${path}`, hint: "pass a regular file (not a device, socket or pipe)", context: { file: path } });
  }
  return path;
}

export function parseNumberOption(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new LabError({ code: "BAD_OPTION", message: `option ${name} expects a number, got "${value}"`, hint: `e.g. ${name} 10`, context: { option: name } });
  }
  return n;
}

export function parseIntegerOption(value: string, name: string): number {
  const n = parseNumberOption(value, name);
  if (!Number.isInteger(n)) throw new LabError({ code: "BAD_OPTION", message: `option ${name} expects an integer, got "${value}"`, hint: `e.g. ${name} 10`, context: { option: name } });
  return n;
}

export function parseJsonOption(value: string, name: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new LabError({ code: "BAD_OPTION", message: `option ${name} is not valid JSON: ${(error as Error).message}`, hint: `quote it for the shell, e.g. ${name} '{"threshold":0.3}'`, context: { option: name } });
  }
}

/** A progress sink for commands: a bar on stderr unless --quiet or --json on a non-TTY. */
export function cliProgress(options: GlobalOptions): ProgressSink | undefined {
  if (options.quiet) return undefined;
  return terminalProgress(process.stderr);
}

/** Turns any thrown value into one line on stderr and a non-zero exit code. */
export function reportError(error: unknown): number {
  if (isLabError(error)) {
    process.stderr.write(error.toLine() + "\n");
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error INTERNAL: ${message} (hint: this is a bug in strategy-lab; rerun with STRATEGY_LAB_DEBUG=1 for the stack trace and report it)\n`);
  if (process.env.STRATEGY_LAB_DEBUG && error instanceof Error) process.stderr.write((error.stack ?? "") + "\n");
  return 1;
}

/**
 * Resolves at the first SIGINT or SIGTERM (then stops listening), or when `also` calls the stop it
 * is given (a feed ending, a time limit): how long-running commands wait for their end.
 */
export function untilInterrupted(also?: (stop: () => void) => void): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    also?.(stop);
  });
}
