// The whole source tree must type-check under the project's TypeScript (strict settings in
// tsconfig.json). Setup continues past type errors so the rest of the suite still reports; this
// test is where they fail the run, with the compiler's own list.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./helpers/paths.js";

describe("TypeScript", () => {
  it("type-checks with no errors", { timeout: 300_000 }, () => {
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd: ROOT, encoding: "utf8" });
    const errors = (r.stdout + r.stderr).split("\n").filter((l) => / error TS\d+:/.test(l));
    expect(errors, errors.join("\n")).toEqual([]);
    expect(r.status).toBe(0);
  });
});
