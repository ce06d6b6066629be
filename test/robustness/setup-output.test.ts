/**
 * Setup's terminal output (scripts/setup-lib.mjs), driven with a stand-in apt-get: one line per
 * step, every command's output in the step's log and none on the terminal, a failing step prints
 * its log's path and last 20 lines, and a held package-manager lock is waited for, with one line
 * saying so, instead of failing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without type declarations
import { aptInstall, reportFailure, runLogged, tailOf } from "../../scripts/setup-lib.mjs";

const dir = mkdtempSync(join(tmpdir(), "slab-setup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Behaves like apt-get as FAKE_APT_MODE says; records its arguments; counts its update calls.
const fakeApt = join(dir, "apt-get");
writeFileSync(
  fakeApt,
  `#!${process.execPath}
const fs = require("node:fs");
const [command] = process.argv.slice(2);
const mode = process.env.FAKE_APT_MODE;
const counter = process.env.FAKE_APT_DIR + "/updates";
console.log("fake apt-get " + process.argv.slice(2).join(" "));
if (command === "update") {
  const n = (fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0) + 1;
  fs.writeFileSync(counter, String(n));
  if (mode === "lists-locked" || (mode === "lists-locked-twice" && n <= 2)) {
    console.error("E: Could not get lock /var/lib/apt/lists/lock. It is held by process 99 (apt-get)");
    console.error("E: Unable to lock directory /var/lib/apt/lists/");
    process.exit(100);
  }
  for (let i = 1; i <= 40; i++) console.log("Get:" + i + " http://deb.debian.org/debian bookworm/main Packages");
  process.exit(0);
}
if (mode === "dpkg-locked") {
  for (let i = 0; i < 3; i++) console.log("Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)...");
}
if (mode === "install-fails") {
  for (let i = 1; i <= 30; i++) console.error("install line " + i);
  process.exit(100);
}
console.log("Setting up jupyter-core (5.7.2-1) ...");
`,
);
chmodSync(fakeApt, 0o755);

function collect(): { say: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { say: (m: string) => lines.push(m), lines };
}

async function install(mode: string, extra: Record<string, unknown> = {}) {
  const log = join(dir, `${mode}.log`);
  rmSync(join(dir, "updates"), { force: true });
  const { say, lines } = collect();
  const result = await aptInstall(["jupyter-core", "chromium"], { log, say, aptGet: fakeApt, retryMs: 10, env: { ...process.env, FAKE_APT_MODE: mode, FAKE_APT_DIR: dir }, ...extra });
  return { result, lines, log, text: readFileSync(log, "utf8") };
}

describe("setup output", () => {
  it("runs apt-get update and install with their output in the log only", async () => {
    const { result, lines, text } = await install("ok");
    expect(result.status).toBe(0);
    expect(lines).toEqual([]);
    expect(text).toContain("Get:40 http://deb.debian.org/debian bookworm/main Packages");
    expect(text).toContain("fake apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 jupyter-core chromium");
    expect(text).toContain("Setting up jupyter-core");
  });

  it("says once that it waits for a held dpkg lock, and apt-get install waits for it", async () => {
    const { result, lines } = await install("dpkg-locked");
    expect(result.status).toBe(0);
    expect(lines).toEqual(["waiting for the Debian package lock (/var/lib/dpkg/lock-frontend is held by process 4242 (unattended-upgr)); up to 300 s"]);
  });

  it("retries apt-get update while the package lists are locked, saying so once", async () => {
    const { result, lines } = await install("lists-locked-twice");
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, "updates"), "utf8")).toBe("3");
    expect(lines).toEqual(["waiting for the Debian package lock (/var/lib/apt/lists/lock is held by process 99 (apt-get)); up to 300 s"]);
  });

  it("gives up on a lists lock held past the time limit, naming apt-get update", async () => {
    const { result, text } = await install("lists-locked", { lockTimeoutS: 0.2 });
    expect(result.status).toBe(100);
    expect(result.what).toBe("apt-get update");
    expect(text).toContain("Could not get lock /var/lib/apt/lists/lock");
  });

  it("a failing step prints its log's path and exactly its last 20 lines", async () => {
    const { result, log } = await install("install-fails");
    expect(result).toMatchObject({ status: 100, what: "apt-get install" });
    const { say, lines } = collect();
    let printed = "";
    const code = reportFailure(say, result.what, result, log, { write: (s: string) => (printed += s) });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^apt-get install failed \(exit code 100, after \d+\.\d s\); full output in .*install-fails\.log\. Last lines:$/);
    const expected = Array.from({ length: 20 }, (_, i) => `  | install line ${i + 11}`).join("\n") + "\n";
    expect(printed).toBe(expected);
  });

  it("reports a step still running at each heartbeat", async () => {
    const { say, lines } = collect();
    const log = join(dir, "slow.log");
    // The child runs at least 300 ms; the first heartbeat is due after 50.
    const r = await runLogged({ cmd: process.execPath, args: ["-e", "setTimeout(() => {}, 300)"], log, say, doing: "slow step", heartbeatMs: 50 });
    expect(r.status).toBe(0);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const l of lines) expect(l).toMatch(/^slow step still running \(\d+\.\d s\)$/);
  });

  it("a command that cannot start is a failed step with the reason in its log", async () => {
    const log = join(dir, "missing.log");
    const r = await runLogged({ cmd: join(dir, "no-such-command"), args: [], log, say: () => {}, doing: "missing" });
    expect(r.status).toBe(127);
    expect(tailOf(log)).toContain("could not start");
  });

  it("shows progress redraws (carriage returns) as separate lines in a log's tail", () => {
    const log = join(dir, "progress.log");
    writeFileSync(log, "a\r10%\r50%\r100%\nlast\n");
    expect(tailOf(log, 3)).toBe("50%\n100%\nlast");
  });
});
