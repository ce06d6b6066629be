/**
 * `strategy-lab optimize` end to end (built CLI). The fixture evaluator's score −(x−3)² − (y−0.5)²
 * and trades = 10·x give the expected best point and feasibility by hand.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/paths.js";
import { FIXTURES, buildDist, scratch } from "../optimize/helpers.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => buildDist());

describe("strategy-lab optimize", () => {
  const common = ["--evaluator", `${FIXTURES}#quadratic`, "--data", "generated", "--events", "5000", "--space", '{"x":{"min":0,"max":6,"step":1},"y":[0,0.5,1]}', "--objective", "score", "--workers", "2", "--json", "-q"];

  it("runs a grid sweep with constraints and prints the result as JSON", () => {
    const r = cli("optimize", ...common, "--constraints", '{"trades":{"min":20}}');
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { trialCount: number; status: Record<string, number>; best: { params: Record<string, number>; objective: number }; overfitting: { trialCount: number } };
    expect(out.trialCount).toBe(21);
    // x ∈ {0, 1} have trades < 20: 2 × 3 infeasible.
    expect(out.status).toEqual({ ok: 15, infeasible: 6, failed: 0 });
    expect(out.best.params).toEqual({ x: 3, y: 0.5 });
    expect(out.best.objective + 0).toBe(0);
    expect(out.overfitting.trialCount).toBe(21);
  });

  it("resumes a finished run from the store without running any trial again", () => {
    const store = join(scratch("cli"), "sweep.duckdb");
    const first = JSON.parse(cli("optimize", ...common, "--store", store).stdout) as { runId: string; evaluated: number; trials: unknown[]; checklist: unknown };
    expect(first.evaluated).toBe(21);
    // the sweep's run holds the checklist the command printed (the dashboard shows it)
    const artifact = spawnSync(process.execPath, ["--input-type=module", "-e", `const { openRunStore } = await import(${JSON.stringify(join(ROOT, "dist", "store", "index.js"))}); const { store } = await openRunStore(${JSON.stringify(store)}); process.stdout.write(new TextDecoder().decode(await store.readArtifact(${JSON.stringify(first.runId)}, "checklist.json"))); await store.close();`], { encoding: "utf8" });
    expect(artifact.stderr).toBe("");
    expect(JSON.parse(artifact.stdout)).toEqual(first.checklist);
    const again = JSON.parse(cli("optimize", ...common, "--store", store, "--resume").stdout) as { runId: string; evaluated: number; resumed: number; trials: { durationMs: number }[] };
    expect(again.runId).toBe(first.runId);
    expect(again).toMatchObject({ evaluated: 0, resumed: 21 });
    expect(again.trials).toEqual(first.trials);
    const clash = cli("optimize", ...common, "--store", store, "--run-id", first.runId);
    expect(clash.code).toBe(2);
    expect(clash.stderr.trim()).toMatch(/^error RUN_EXISTS: run "run-[^"]+" already exists in .+ \(hint: pass resume: true \(--resume\) to continue it, or choose another run id\)$/);
  });

  it("rejects bad input with one line", () => {
    const both = cli("optimize", "--strategy", "imbalance", ...common);
    expect(both.stderr.trim()).toBe("error BAD_OPTION: give exactly one of --strategy and --evaluator (hint: e.g. --strategy imbalance, or --evaluator ./my-evaluator.js#evaluate)");
    const method = cli("optimize", ...common, "--method", "anneal");
    expect(method.stderr.trim()).toBe('error BAD_OPTION: --method must be grid, random or genetic, got "anneal" (hint: e.g. --method genetic)');
    const space = cli("optimize", "--strategy", "imbalance", "--data", "generated", "--events", "2000", "--space", '{"treshold":[0.2,0.3]}', "-q");
    expect(space.code).toBe(2);
    expect(space.stderr).toMatch(/^error UNKNOWN_PARAM: the search space names "treshold", which the strategy does not have \(hint: did you mean "threshold"\?/);
    const nice = cli("optimize", ...common, "--niceness", "25");
    expect(nice.code).toBe(2);
    expect(nice.stderr.trim()).toMatch(/^error BAD_OPTION: niceness must be an integer from 0 to 19, got 25/);
  });
});
