// The whole source tree must type-check under the project's TypeScript (strict settings in
// tsconfig.json). Setup continues past type errors so the rest of the suite still reports; this
// test is where they fail the run, with the compiler's own list.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./helpers/paths.js";

describe("TypeScript", () => {
  // Awaited, not spawnSync: on a busy machine the compiler can run past the minute a test worker
  // may be blocked for.
  it("type-checks with no errors", async () => {
    const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (_error, stdout, stderr) => resolve({ status: child.exitCode, out: stdout + stderr }));
    });
    const errors = r.out.split("\n").filter((l) => / error TS\d+:/.test(l));
    expect(errors, errors.join("\n")).toEqual([]);
    expect(r.status).toBe(0);
  });
});
