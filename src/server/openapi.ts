/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the handlers parse with.
 */
import { z } from "zod";
import { artifactParams, compareQuery, jobBody, jobParams, pageQuery, responses, runParams, runsQuery } from "./schemas.js";

type Schema = z.ZodType;

export interface RouteDoc {
  method: "GET" | "POST" | "DELETE";
  /** Fastify's form, e.g. /api/runs/:id. */
  path: string;
  summary: string;
  query?: Schema;
  params?: Schema;
  body?: Schema;
  response?: Schema;
  /** Success status. @default 200 */
  status?: number;
  /** Media type of a success response that is not JSON. */
  produces?: string;
}

export const ROUTES: readonly RouteDoc[] = [
  { method: "GET", path: "/api/health", summary: "Server and store status", response: responses.health },
  { method: "GET", path: "/api/runs", summary: "Runs of the store, filtered, sorted and paged (without equity series); with an ETag, and 304 to an If-None-Match naming it", query: runsQuery, response: responses.runs },
  { method: "GET", path: "/api/runs/:id", summary: "One run with manifest, metrics, artifacts and equity", params: runParams, response: responses.run },
  { method: "GET", path: "/api/runs/:id/trials", summary: "The stored optimizer trials of a run", params: runParams, query: pageQuery, response: responses.trials },
  { method: "GET", path: "/api/runs/:id/artifacts/:name", summary: "The bytes of an artifact (report.html: a self-contained HTML report)", params: artifactParams, produces: "application/octet-stream" },
  { method: "GET", path: "/api/compare", summary: "Two runs side by side with the difference of each metric (b - a)", query: compareQuery, response: responses.compare },
  { method: "GET", path: "/api/strategies", summary: "Strategy templates and their parameter schemas", response: responses.strategies },
  { method: "GET", path: "/api/datasets", summary: "Bundled data files that can be backtested", response: responses.datasets },
  { method: "POST", path: "/api/jobs", summary: "Start an optimization or a backtest (queued when maxJobs are running)", body: jobBody, response: responses.job, status: 201 },
  { method: "GET", path: "/api/jobs", summary: "Jobs of this server (and interrupted ones found in the store)", response: responses.jobs },
  { method: "GET", path: "/api/jobs/:id", summary: "One job", params: jobParams, response: responses.job },
  { method: "DELETE", path: "/api/jobs/:id", summary: "Cancel a queued or running job", params: jobParams, response: responses.job },
  { method: "POST", path: "/api/jobs/:id/resume", summary: "Resume an interrupted, cancelled or failed optimization: only its unfinished trials run", params: jobParams, response: responses.job },
  { method: "GET", path: "/api/openapi.json", summary: "This document" },
  { method: "GET", path: "/api/live", summary: "WebSocket of live messages: job, progress, trial (batched), run" },
];

function jsonSchema(schema: Schema): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function parameters(schema: Schema | undefined, where: "query" | "path"): Record<string, unknown>[] {
  if (schema === undefined) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === "path" || (js.required ?? []).includes(name), schema: s, ...(typeof s.description === "string" ? { description: s.description } : {}) }));
}

const errorResponse = (description: string): Record<string, unknown> => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

/** `/api/runs/:id` -> `/api/runs/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, "{$1}");
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${openApiPath(r.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
      parameters: [...parameters(r.params, "path"), ...parameters(r.query, "query")],
      responses: {
        [String(r.status ?? 200)]: r.response
          ? { description: "OK", content: { "application/json": { schema: jsonSchema(r.response) } } }
          : { description: "OK", ...(r.produces ? { content: { [r.produces]: { schema: { type: "string", format: "binary" } } } } : {}) },
        "400": errorResponse("Invalid request: error.field names the JSON path"),
        "401": errorResponse("Missing or wrong token"),
        ...(r.params ? { "404": errorResponse("Unknown run, job or artifact") } : {}),
        ...(r.body ? { "413": errorResponse("Body larger than the limit") } : {}),
      },
    };
    if (r.body) op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(r.body) } } };
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Strategy Lab research server", version, description: "Runs, trials, artifacts and jobs of a Strategy Lab store. Numbers that are not finite are sent as the strings \"NaN\", \"Infinity\", \"-Infinity\"." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { cookie: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" }, cookie: { type: "apiKey", in: "cookie", name: "strategy_lab_token" } },
      schemas: { Error: jsonSchema(responses.error) },
    },
    paths,
  };
}
