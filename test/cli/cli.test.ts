import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT } from "../helpers/paths.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(result: ReturnType<typeof cli>, code: string): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: .+\\(hint: .+\\)$`));
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("strategy-lab CLI", () => {
  it("prints help and version", () => {
    const help = cli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: strategy-lab/);
    expect(help.stdout).toMatch(/notebooks/);
    const version = cli("--version");
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("rejects an unknown command with a did-you-mean hint", () => {
    const r = cli("notebok");
    expectOneLineError(r, "UNKNOWN_COMMAND");
    expect(r.stderr).toMatch(/did you mean "notebooks"/);
  });

  it("rejects an unknown option", () => {
    expectOneLineError(cli("notebooks", "run", "--bogus"), "UNKNOWN_OPTION");
  });

  it("rejects an invalid option value", () => {
    expectOneLineError(cli("notebooks", "run", "notebooks", "--timeout", "soon"), "BAD_OPTION");
  });

  it("rejects a missing file", () => {
    expectOneLineError(cli("notebooks", "run", "no/such/notebook.ipynb"), "FILE_NOT_FOUND");
  });
});
