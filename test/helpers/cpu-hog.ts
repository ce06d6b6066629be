/**
 * Keeps the machine's cores busy while a function runs: `count` child processes each spin a busy
 * loop. For tests that prove a measurement does not depend on machine load. The hogs are killed
 * when the function returns or throws.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

export interface HogReport<T> {
  value: T;
  /** CPU seconds each hog used while `fn` ran (Linux; empty elsewhere). */
  hogCpuSeconds: number[];
  /** Whether every hog was still spinning when `fn` returned. */
  allAlive: boolean;
}

const SPIN = "process.stdout.write('spinning\\n'); for (;;) {}";

/** User + system CPU seconds of a process, from /proc (undefined where there is none). */
function cpuSeconds(pid: number): number | undefined {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return undefined;
  // Fields after the parenthesized command name; utime and stime are fields 14 and 15 (1-based).
  const text = readFileSync(stat, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function started(hog: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    // Generous: on a loaded machine a Node process can take seconds to start.
    const timer = setTimeout(() => reject(new Error("CPU hog did not start within 60 s")), 60_000);
    hog.stdout!.once("data", () => {
      clearTimeout(timer);
      resolve();
    });
    hog.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`CPU hog exited early (${code})`));
    });
  });
}

export async function withCpuHogs<T>(count: number, fn: () => T | Promise<T>): Promise<HogReport<T>> {
  const hogs: ChildProcess[] = [];
  try {
    for (let i = 0; i < count; i++) hogs.push(spawn(process.execPath, ["-e", SPIN], { stdio: ["ignore", "pipe", "ignore"] }));
    await Promise.all(hogs.map(started));
    const before = hogs.map((h) => cpuSeconds(h.pid!));
    const value = await fn();
    const allAlive = hogs.every((h) => h.exitCode === null && h.signalCode === null);
    const hogCpuSeconds: number[] = [];
    hogs.forEach((h, i) => {
      const a = before[i];
      const b = cpuSeconds(h.pid!);
      if (a !== undefined && b !== undefined) hogCpuSeconds.push(b - a);
    });
    return { value, hogCpuSeconds, allAlive };
  } finally {
    await Promise.all(
      hogs.map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.exitCode !== null || h.signalCode !== null) return resolve();
            h.once("exit", () => resolve());
            h.kill("SIGKILL");
          }),
      ),
    );
  }
}
