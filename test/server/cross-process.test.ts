/**
 * Sweeps of other processes: with a PostgreSQL store, a sweep that another process (a notebook)
 * runs on the server's store reaches the live feed through the server's polling, from running with
 * growing trial counts to finished. With a DuckDB file the other process cannot open the store
 * while the server holds it (STORE_LOCKED): the documented reason to use PostgreSQL for that.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ResearchServer } from "../../src/server/index.js";
import { buildDist } from "../optimize/helpers.js";
import { CLI, ROOT } from "../helpers/paths.js";
import { usePostgres } from "../helpers/postgres.js";
import { api, live, TOKEN, waitFor } from "./helpers.js";

const run = promisify(execFile);
const SWEEP = join(ROOT, "test", "server", "fixtures", "sweep.mjs");
const db = usePostgres();
const servers: ResearchServer[] = [];
let dir: string;

beforeAll(async () => {
  await buildDist();
  dir = mkdtempSync(join(tmpdir(), "lab-server-xproc-"));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("runs of other processes", () => {
  it("shows a sweep of another process on the same PostgreSQL store, live", async () => {
    const url = await db.freshDatabase("xproc");
    const server = await createServer({ store: url, token: TOKEN, projectRoot: ROOT, watchMs: 100 });
    servers.push(server);
    const client = await live(server.url);
    const { stdout } = await run(process.execPath, [SWEEP, url, "60000"], { cwd: ROOT });
    const done = JSON.parse(stdout) as { runId: string; trials: number };
    expect(done.trials).toBe(9);
    await waitFor("the finished run on the feed", () => client.messages.find((m) => m.type === "run" && m.run.id === done.runId && m.run.state === "finished"));
    await client.close();
    const seen = client.messages.filter((m) => m.type === "run" && m.run.id === done.runId).map((m) => m.run as { state: string; trials: number; kind: string; strategy: string });
    expect(seen[0]!.state).toBe("running");
    expect(seen[0]!.kind).toBe("optimize");
    expect(seen[0]!.strategy).toBe("imbalance");
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.trials).toBeGreaterThanOrEqual(seen[i - 1]!.trials);
    expect(seen.at(-1)).toMatchObject({ state: "finished", trials: 9 });
    // Seen while it ran, not only once it was done.
    expect(seen.filter((r) => r.state === "running").length).toBeGreaterThanOrEqual(1);
    const listed = await api(server.url, `/api/runs/${done.runId}/trials`);
    expect(listed.body.total).toBe(9);
  });

  it("a DuckDB store held by the server cannot be written by another process", async () => {
    const file = join(dir, "held.duckdb");
    const server = await createServer({ store: file, token: TOKEN, projectRoot: ROOT });
    servers.push(server);
    const r = await run(process.execPath, [CLI, "optimize", "--strategy", "imbalance", "--data", "generated", "--events", "5000", "--space", '{"threshold":[0.2,0.3]}', "--workers", "0", "--store", file, "-q"], { cwd: ROOT }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("STORE_LOCKED");
  });
});
