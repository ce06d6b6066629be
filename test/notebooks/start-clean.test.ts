/**
 * `npm start` (scripts/start.mjs) runs every notebook on bundled data and writes reports/, and
 * leaves the checkout as it found it: no tracked file (a notebook, a sample) changes, nothing
 * untracked appears outside the git-ignored folders.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/paths.js";

const porcelain = (): string => spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: ROOT, encoding: "utf8" }).stdout;

describe("npm start", () => {
  it("runs every notebook, writes reports/index.html, and leaves git status as it was", async () => {
    const before = porcelain();
    const status = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.resume();
      child.stderr.resume();
      child.on("close", (code) => resolve(code ?? 1));
    });
    expect(status).toBe(0);
    const index = join(ROOT, "reports", "index.html");
    expect(existsSync(index)).toBe(true);
    expect(readFileSync(index, "utf8")).toContain("03-backtest");
    expect(porcelain()).toBe(before);
  });
});
