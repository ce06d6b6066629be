/**
 * Token security: the API and the live feed answer only requests that carry the server's token,
 * as `Authorization: Bearer <token>` or as the `strategy_lab_token` cookie that `GET /?token=...`
 * sets (HttpOnly, so page scripts never see it; SameSite=Strict, so other sites cannot send it).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { LabError } from "../core/index.js";

export const COOKIE_NAME = "strategy_lab_token";

/** 24 random bytes, base64url (32 characters). */
export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * Constant-time comparison of the token bytes: the time depends on the token's length (as with
 * Python's `hmac.compare_digest`, which Jupyter uses for its tokens) but never on its contents.
 */
export function sameToken(given: string | undefined, expected: string): boolean {
  return tokenCheck(expected)(given);
}

/** `sameToken` against one fixed token, whose bytes are encoded once. */
export function tokenCheck(expected: string): (given: string | undefined) => boolean {
  const want = Buffer.from(expected, "utf8");
  return (given) => {
    if (given === undefined) return false;
    const got = Buffer.from(given, "utf8");
    if (got.length === want.length) return timingSafeEqual(got, want);
    // timingSafeEqual needs equal lengths: a wrong length still costs a comparison of its own bytes.
    timingSafeEqual(got, got);
    return false;
  };
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** The token a request carries (bearer header first, then the cookie). */
export function requestToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return cookieValue(headers.cookie, COOKIE_NAME);
}

export function tokenCookie(token: string): string {
  return `${COOKIE_NAME}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "[::1]"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A network address needs a token someone chose: a printed random one would end up in logs and screenshots. */
export function checkHost(host: string, tokenGiven: boolean): void {
  if (isLoopback(host) || tokenGiven) return;
  throw new LabError({
    code: "SERVER_UNSAFE_HOST",
    message: `serve: listening on ${host} makes the server reachable from other machines, and no token was given`,
    hint: "pass --token <secret> to listen on a network address, or keep the default --host 127.0.0.1",
    context: { host },
  });
}

export function unauthorized(hasToken: boolean): LabError {
  return new LabError({
    code: "UNAUTHORIZED",
    message: hasToken ? "the token of this request is not the server's token" : "this request carries no token",
    hint: "open the URL strategy-lab serve printed (with ?token=...), or send Authorization: Bearer <token>",
  });
}
