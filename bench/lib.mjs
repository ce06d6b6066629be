// Shared helpers for benchmarks: machine facts, peak RSS sampling, timing, and the results file
// format {"machine": {...}, "results": [{name, value, unit, better, target}]}.
import { writeFileSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));

function readThp() {
  try {
    return /\[(\w+)\]/.exec(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))?.[1] ?? "unknown";
  } catch {
    return "unavailable";
  }
}

export function machine() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    // Page-fault cost dominates first reads of large columns on VMs; see scripts/large-pages.mjs.
    transparentHugePages: readThp(),
    glibcTunables: process.env.GLIBC_TUNABLES ?? "",
  };
}

/** Samples RSS every 20 ms; process.resourceUsage().maxRSS gives the OS's own peak as a floor. */
export function rssTracker() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  timer.unref();
  return {
    sample() {
      peak = Math.max(peak, process.memoryUsage().rss);
      return peak;
    },
    peakBytes() {
      return Math.max(peak, process.resourceUsage().maxRSS * 1024);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Runs fn `repeat` times and returns the best wall time in seconds (least disturbed by noise). */
export async function bestOf(repeat, fn) {
  let best = Infinity;
  let last;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    last = await fn(i);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, s);
  }
  return { seconds: best, value: last };
}

export function result(name, value, unit, better, target) {
  const r = { name, value, unit, better };
  if (target !== undefined) r.target = target;
  return r;
}

export function writeResults(area, results) {
  mkdirSync(join(here, "results"), { recursive: true });
  const file = join(here, "results", `${area}.json`);
  writeFileSync(file, JSON.stringify({ machine: machine(), results }, null, 2) + "\n");
  for (const r of results) {
    const ok = r.target === undefined ? "" : (r.better === "higher" ? r.value >= r.target : r.value <= r.target) ? "  (meets target)" : `  (MISSES target ${r.target})`;
    console.log(`${area}: ${r.name} = ${typeof r.value === "number" ? Number(r.value.toPrecision(4)) : r.value} ${r.unit}${ok}`);
  }
  console.log(`wrote ${file}`);
}

/** Wall-clock speedup of 2 threads over 1 on a fixed CPU loop: the parallelism the machine offers now (it may be shared). */
export async function parallelCapacity() {
  const code = `let s = 0; for (let i = 0; i < 2e8; i++) s += i % 7; require("node:worker_threads").parentPort.postMessage(s);`;
  const wall = async (n) => {
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once("message", () => resolve(w.terminate()));
      w.once("error", reject);
    })));
    return performance.now() - t;
  };
  let best1 = Infinity;
  let best2 = Infinity;
  for (let r = 0; r < 3; r++) {
    best1 = Math.min(best1, await wall(1));
    best2 = Math.min(best2, await wall(2));
  }
  return (2 * best1) / best2;
}

