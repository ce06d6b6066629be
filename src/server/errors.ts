/**
 * API errors: every failure a client can cause is answered as
 * `{ error: { code, message, hint, field? } }` with an HTTP status that follows from the code.
 * Handlers throw `LabError`s (with `context.field` for a validation error); `apiError` maps them.
 */
import { LabError, isLabError, type LabErrorCode } from "../core/index.js";
import type { z } from "zod";

export interface ApiErrorBody {
  error: { code: string; message: string; hint: string; field?: string };
}

const STATUS: Partial<Record<string, number>> = {
  UNAUTHORIZED: 401,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  JOB_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  ARTIFACT_NOT_FOUND: 404,
  BAD_ARTIFACT_NAME: 400,
  JOB_NOT_RESUMABLE: 409,
  UNKNOWN_STRATEGY: 400,
  UNKNOWN_PARAM: 400,
  BAD_PARAM: 400,
  BAD_SPACE: 400,
  BAD_OPTION: 400,
  UNKNOWN_OPTION: 400,
};

/** A 400 naming the JSON path of the bad value. */
export function badRequest(field: string, message: string, hint: string): LabError {
  return new LabError({ code: "BAD_REQUEST", message: field ? `${field}: ${message}` : message, hint, context: { field } });
}

/** The JSON path of a zod issue: `space.threshold.min`, `trials`, `where.sharpe.gt`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join(".");
}

/** The first issue of a failed zod parse as a 400. `prefix` is the path of the parsed value (e.g. "query"). */
export function fromZod(error: z.ZodError, prefix = ""): LabError {
  const issue = error.issues[0]!;
  const inner = issuePath(issue.path);
  let field = [prefix, inner].filter((s) => s !== "").join(".");
  let message = issue.message;
  // An unknown key is reported on the object; the key itself is the useful path.
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    field = [field, issue.keys[0]!].filter((s) => s !== "").join(".");
    message = `unknown field "${issue.keys[0]}"`;
  }
  return badRequest(field, message, hintFor(field));
}

function hintFor(field: string): string {
  return field ? `fix "${field}"; GET /api/openapi.json describes every route's body and query` : "GET /api/openapi.json describes every route's body and query";
}

export function statusOf(code: string): number {
  return STATUS[code] ?? 500;
}

/** The status and body for anything a handler threw. Non-LabErrors are 500 without internals. */
export function apiError(error: unknown): { status: number; body: ApiErrorBody } {
  if (isLabError(error)) {
    const field = typeof error.context.field === "string" ? error.context.field : undefined;
    const status = statusOf(error.code);
    return { status: status === 500 ? 400 : status, body: { error: { code: error.code, message: error.message, hint: error.hint, ...(field === undefined ? {} : { field }) } } };
  }
  const fastify = error as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE" || fastify.statusCode === 413) {
    return { status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE", message: "the request body is larger than the server accepts", hint: "send a smaller body: a job names its data file by path" } } };
  }
  if (fastify.statusCode === 403 || fastify.statusCode === 404) {
    // The static file server refusing a path (e.g. with "..") or not finding it.
    return { status: 404, body: { error: { code: "ROUTE_NOT_FOUND", message: "no such file or route", hint: "GET /api/openapi.json lists the routes" } } };
  }
  if (typeof fastify.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    // Bodies fastify itself refuses (malformed JSON, a wrong content type).
    return { status: 400, body: { error: { code: "BAD_REQUEST", message: `request: ${String(fastify.message)}`, hint: "send a JSON body with Content-Type: application/json" } } };
  }
  return { status: 500, body: { error: { code: "INTERNAL", message: error instanceof Error ? error.message : String(error), hint: "this is a bug of the server; the server log has the details" } } };
}

export function labError(code: LabErrorCode, message: string, hint: string, field?: string): LabError {
  return new LabError({ code, message, hint, context: field === undefined ? {} : { field } });
}
