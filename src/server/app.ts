/**
 * The fastify application: token check, the REST routes of docs/server.md, the live feed and
 * the dashboard's static files. Every request value goes through a zod schema of schemas.ts.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { z } from "zod";
import { LabError } from "../core/index.js";
import { detectFormat } from "../data/index.js";
import type { RunFilter, TrialRecord } from "../store/index.js";
import { registry } from "../strategy/index.js";
import { isLoopback, requestToken, tokenCheck, tokenCookie, unauthorized } from "./auth.js";
import { apiError, badRequest, fromZod } from "./errors.js";
import { JobManager, withoutEquity, type ServerStore } from "./jobs.js";
import { toJson } from "./json.js";
import type { LiveHub } from "./live.js";
import { openApiDocument } from "./openapi.js";
import { artifactParams, compareQuery, jobBody, jobParams, pageQuery, runParams, runsQuery, whereValue } from "./schemas.js";

/** 1 MiB: a job request names its data by path, so bodies are small. */
export const BODY_LIMIT = 1024 * 1024;
/** How long a run listing is served again without asking the store. */
export const LIST_CACHE_MS = 250;

const SECURITY_HEADERS = { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY" } as const;

export interface AppOptions {
  store: ServerStore;
  token: string;
  projectRoot: string;
  version: string;
  jobs: JobManager;
  live: LiveHub;
  /** Folder of the dashboard's static files. @default src/server/dashboard of the package */
  dashboardDir?: string;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw fromZod(r.error, prefix);
  return r.data;
}

/** The dashboard folder, found from this module both in src/server and in dist/server. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL("../../src/server/dashboard/", import.meta.url));
}

function plotlyPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve("plotly.js-dist-min/plotly.min.js");
  } catch {
    return undefined;
  }
}

interface Dataset {
  name: string;
  path: string;
  format: string;
  bytes: number;
}

/** Files under data/ whose format a reader recognizes (documentation and stores are skipped). */
function scanDatasets(projectRoot: string): Dataset[] {
  const root = join(projectRoot, "data");
  const out: Dataset[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full, depth + 1);
      else if (st.isFile() && !/\.(md|txt|duckdb|wal|json)$/i.test(name)) {
        try {
          out.push({ name: relative(root, full), path: relative(projectRoot, full), format: detectFormat(full).format, bytes: st.size });
        } catch {
          // not a market data file any reader knows
        }
      }
    }
  };
  walk(root, 0);
  return out;
}

function trialWire(t: TrialRecord): Record<string, unknown> {
  return { index: t.index, window: t.window, phase: t.phase, params: t.params, status: t.status, objective: t.objective, metrics: t.metrics, ...(t.error === undefined ? {} : { error: t.error }) };
}

function phaseOrder(p: string): number {
  return p === "search" ? 0 : 1;
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  // forceCloseConnections: close() ends keep-alive and refused-upgrade sockets instead of waiting for clients.
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false, return503OnClosing: true, forceCloseConnections: true });
  const routes: string[] = [];
  app.decorate("apiRoutes", routes);
  app.addHook("onRoute", (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) if (m !== "HEAD") routes.push(`${m} ${r.url}`);
  });
  app.setReplySerializer((payload) => toJson(payload));
  app.setErrorHandler((error, _req, reply) => {
    const { status, body } = apiError(error);
    void reply.code(status).type("application/json").send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type("application/json").send({ error: { code: "ROUTE_NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}`, hint: "GET /api/openapi.json lists the routes" } });
  });

  const validToken = tokenCheck(o.token);
  // A callback hook, not an async one: it runs on every request, and a promise per request is
  // measurable at thousands of requests a second.
  app.addHook("onRequest", (req: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    void reply.headers(SECURITY_HEADERS);
    const url = req.url;
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (path === "/api" || path.startsWith("/api/")) {
      const given = requestToken(req.headers);
      if (!validToken(given)) return done(unauthorized(given !== undefined));
      // A browser page of another site cannot open the feed with a cookie it cannot send, but a
      // WebSocket has no same-origin rule of its own: refuse a foreign Origin outright.
      const origin = req.headers.origin;
      if (path === "/api/live" && origin !== undefined) {
        let host = "";
        try {
          host = new URL(origin).host;
        } catch {
          // unparsable origin: refused below
        }
        if (host !== req.headers.host) return done(unauthorized(true));
      }
      return done();
    }
    if (path === "/" && req.query !== null && typeof req.query === "object" && "token" in req.query) {
      const t = (req.query as Record<string, unknown>).token;
      if (typeof t !== "string" || !validToken(t)) return done(unauthorized(typeof t === "string"));
      // The answer is sent here, so the request goes no further (done is not called).
      void reply.header("Set-Cookie", tokenCookie(o.token)).redirect("/", 302);
      return;
    }
    done();
  });

  // A refused WebSocket upgrade keeps its raw socket (the server never switched protocols), and
  // that socket would hold close() forever: end it once the error response is out.
  app.addHook("onResponse", (req, _reply, done) => {
    if (req.headers.upgrade !== undefined && req.raw.socket && !req.raw.socket.destroyed && req.ws === null) req.raw.socket.destroy();
    done();
  });

  // No per-message compression: trial frames are sent as the same bytes to every client, and
  // deflating them once per client would cost more than the loopback or LAN saves.
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024, perMessageDeflate: false } });

  app.get("/api/health", async () => ({ ok: true, version: o.version, store: { kind: o.store.kind, location: o.store.location } }));

  // Listings are kept for LIST_CACHE_MS, one query per distinct listing however many clients ask
  // (dashboards poll it and reload it on every run message); any job or run message clears them
  // first, so a reload prompted by a message never sees the listing from before the change.
  // A listing is kept as its UTF-8 bytes: every client asking within the interval gets the same
  // buffer, with no serialization, no encoding and no promise to wait for. Once the interval is
  // over, one request starts a fresh query and, until it is answered, clients still get the kept
  // listing (at most LIST_CACHE_MS plus one query old), so a slow store never stalls them all.
  interface Answer {
    bytes: Buffer;
    /** Strong validator of the bytes: a client that has them revalidates with If-None-Match and gets 304. */
    etag: string;
  }
  interface Listing {
    at: number;
    body: Promise<Answer>;
    ready?: Answer;
    refreshing?: boolean;
  }
  const listings = new Map<string, Listing>();
  o.live.onChange(() => listings.clear());
  const fetchListing = (key: string, query: unknown, at: number): Listing => {
    if (listings.size >= 256) listings.clear();
    const entry: Listing = {
      at,
      body: listRuns(query).then((v) => {
        const bytes = Buffer.from(toJson(v));
        return { bytes, etag: `"${createHash("sha1").update(bytes).digest("base64url")}"` };
      }),
    };
    listings.set(key, entry);
    entry.body.then(
      (answer) => (entry.ready = answer),
      () => listings.get(key) === entry && listings.delete(key),
    );
    return entry;
  };
  const sendListing = (req: FastifyRequest, reply: FastifyReply, answer: Answer): FastifyReply => {
    // no-cache: a browser keeps the listing but asks again every time (a 304 when unchanged).
    void reply.header("ETag", answer.etag).header("Cache-Control", "no-cache, private");
    const match = req.headers["if-none-match"];
    if (match !== undefined && match.split(",").some((t) => t.trim().replace(/^W\//, "") === answer.etag)) return reply.code(304).send();
    return reply.type("application/json; charset=utf-8").send(answer.bytes);
  };

  app.get("/api/runs", async (req, reply) => {
    const key = req.url;
    const now = performance.now();
    const hit = listings.get(key);
    if (hit === undefined) return sendListing(req, reply, await fetchListing(key, req.query, now).body);
    if (now - hit.at >= LIST_CACHE_MS && hit.ready !== undefined && !hit.refreshing) {
      hit.refreshing = true;
      const next = fetchListing(key, req.query, now);
      // Until the fresh listing is in, the kept one answers; a cleared map (a change) drops both.
      listings.set(key, hit);
      next.body.then(
        () => listings.get(key) === hit && listings.set(key, next),
        () => listings.get(key) === hit && listings.delete(key),
      );
    }
    return sendListing(req, reply, hit.ready ?? (await hit.body));
  });

  const listRuns = async (query: unknown) => {
    const q = parse(runsQuery, query, "");
    const filter: RunFilter = {};
    if (q.kind) filter.kind = q.kind;
    if (q.strategy) filter.strategy = q.strategy;
    if (q.state) filter.state = q.state;
    if (q.since) filter.since = new Date(q.since).toISOString();
    if (q.until) filter.until = new Date(q.until).toISOString();
    if (q.sort) filter.sort = q.sort;
    if (q.order) filter.order = q.order;
    filter.limit = q.limit ?? 100;
    if (q.offset !== undefined) filter.offset = q.offset;
    if (q.where !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(q.where);
      } catch {
        throw badRequest("where", "is not JSON", 'e.g. where={"sharpe":{"gt":1}}');
      }
      filter.where = parse(whereValue, raw, "where");
    }
    const { runs, total } = await o.store.listRuns(filter);
    return { runs: runs.map(withoutEquity), total };
  };

  const runOr404 = async (id: string) => {
    const run = await o.store.getRun(id);
    if (run === undefined) throw new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in ${o.store.location}`, hint: "GET /api/runs lists the runs", context: { run: id } });
    return run;
  };

  app.get("/api/runs/:id", async (req) => {
    const { id } = parse(runParams, req.params, "");
    return { run: await runOr404(id) };
  });

  app.get("/api/runs/:id/trials", async (req) => {
    const { id } = parse(runParams, req.params, "");
    const q = parse(pageQuery, req.query, "");
    await runOr404(id);
    const trials = (await o.store.loadTrials(id)).sort((a, b) => a.window - b.window || phaseOrder(a.phase) - phaseOrder(b.phase) || a.index - b.index);
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 1000;
    return { trials: trials.slice(offset, offset + limit).map(trialWire), total: trials.length };
  });

  app.get("/api/runs/:id/artifacts/:name", async (req, reply) => {
    const { id, name } = parse(artifactParams, req.params, "");
    const run = await runOr404(id);
    const info = run.artifacts.find((a) => a.name === name);
    if (info === undefined) throw new LabError({ code: "ARTIFACT_NOT_FOUND", message: `run "${id}" has no artifact "${name}"`, hint: `its artifacts: ${run.artifacts.map((a) => a.name).join(", ") || "none"}`, context: { run: id, artifact: name } });
    const bytes = await o.store.readArtifact(id, name);
    // An HTML report runs in an opaque origin: its scripts cannot call the API with the cookie.
    return reply.type(info.mediaType).header("Content-Security-Policy", "sandbox allow-scripts").header("Content-Disposition", `inline; filename="${name}"`).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.get("/api/compare", async (req) => {
    const q = parse(compareQuery, req.query, "");
    const [a, b] = await Promise.all([runOr404(q.a), runOr404(q.b)]);
    const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
    const metrics = names.map((name) => {
      const x = a.metrics[name] ?? NaN;
      const y = b.metrics[name] ?? NaN;
      return { name, a: x, b: y, diff: y - x };
    });
    return { a, b, metrics };
  });

  app.get("/api/strategies", async () => ({
    strategies: registry.names().map((name) => {
      const f = registry.get(name);
      return { name, description: f.description, params: f.schema.map((p) => ({ ...p })) };
    }),
  }));

  let datasets: Dataset[] | undefined;
  app.get("/api/datasets", async () => ({ datasets: (datasets ??= scanDatasets(o.projectRoot)) }));

  app.post("/api/jobs", async (req, reply) => {
    const body = parse(jobBody, req.body, "");
    const job = await o.jobs.submit(body);
    return reply.code(201).send({ job });
  });
  app.get("/api/jobs", async () => ({ jobs: o.jobs.list() }));
  app.get("/api/jobs/:id", async (req) => ({ job: o.jobs.get(parse(jobParams, req.params, "").id) }));
  app.delete("/api/jobs/:id", async (req) => ({ job: await o.jobs.cancel(parse(jobParams, req.params, "").id) }));
  app.post("/api/jobs/:id/resume", async (req) => ({ job: await o.jobs.resume(parse(jobParams, req.params, "").id) }));

  const doc = openApiDocument(o.version);
  app.get("/api/openapi.json", async () => doc);

  app.get("/api/live", { websocket: true }, (socket) => {
    o.live.add(socket);
    socket.send(toJson({ type: "hello", version: o.version, jobs: o.jobs.list() }));
  });

  const plotly = plotlyPath();
  const dashboardDir = o.dashboardDir ?? defaultDashboardDir();
  if (existsSync(join(dashboardDir, "index.html"))) {
    await app.register(fastifyStatic, { root: dashboardDir, prefix: "/", index: ["index.html"], decorateReply: true, cacheControl: false });
  } else {
    app.get("/", async (_req, reply) => reply.type("text/html; charset=utf-8").send("<!doctype html><meta charset=utf-8><title>Strategy Lab</title><p>Strategy Lab research server. The API is under <code>/api</code> (<code>/api/openapi.json</code>).</p>"));
  }
  if (plotly !== undefined) {
    app.get("/vendor/plotly.min.js", async (_req, reply) => reply.type("text/javascript; charset=utf-8").send(createReadStream(plotly)));
  }
  return app;
}

export { isLoopback };
