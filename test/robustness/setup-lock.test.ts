/**
 * Setup waits for a Debian package lock another process holds, with a real apt-get and a real
 * lock: the test holds /var/lib/dpkg/lock-frontend (the fcntl lock apt and dpkg take) for a few
 * seconds while setup's install step runs `apt-get install` of an installed package. Needs root
 * and Debian's apt (as `npm test` has on a fresh machine); skipped elsewhere.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module without types
import { aptInstall } from "../../scripts/setup-lib.mjs";

const canRun = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get") && existsSync("/usr/bin/python3") && existsSync("/usr/bin/chromium");

describe.skipIf(!canRun)("setup and a held package lock", () => {
  it("waits for the lock, says so once, then installs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slab-lock-"));
    // Real apt-get for install; `update` is left out (it needs the network and is not what is tested).
    const apt = join(dir, "apt-get");
    writeFileSync(apt, `#!/bin/sh\nif [ "$1" = update ]; then exit 0; fi\nexec /usr/bin/apt-get "$@"\n`);
    chmodSync(apt, 0o755);
    const holdSeconds = 6;
    const holder = spawn("/usr/bin/python3", ["-c", `import fcntl, sys, time\nf = open("/var/lib/dpkg/lock-frontend", "w")\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint("held", flush=True)\ntime.sleep(${holdSeconds})`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
    const lines: string[] = [];
    const started = Date.now();
    try {
      const result = await aptInstall(["chromium"], { log: join(dir, "apt.log"), say: (m: string) => lines.push(m), aptGet: apt, lockTimeoutS: 300, heartbeatMs: 600_000 });
      expect(result.status).toBe(0);
      expect(lines.filter((l) => l.startsWith("waiting for the Debian package lock"))).toHaveLength(1);
      expect(lines[0]).toContain("/var/lib/dpkg/lock-frontend");
      // It waited for the holder rather than failing at once.
      expect(Date.now() - started).toBeGreaterThan((holdSeconds - 2) * 1000);
    } finally {
      holder.kill();
    }
  });
});
