import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../core/errors";
import type { AppEnv, Caller } from "../core/types";
import { findApiKey } from "./api-keys";
import { readCookie, SESSION_COOKIE } from "./cookies";
import { findSession } from "./sessions";
import { API_KEY_PREFIX } from "./tokens";

const INVALID = "The credential is invalid, expired or revoked. Sign in again, or use a live API key.";

const isWebSocket = (c: Context<AppEnv>) => c.req.header("Upgrade")?.toLowerCase() === "websocket";

/** The presented credential and where it came from; undefined when there is none. */
function presented(c: Context<AppEnv>): { token: string; via: Caller["via"] } | undefined {
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const token = header.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token) throw new ApiError(401, "unauthorized", "Send Authorization: Bearer <API key or session token>.");
    return { token, via: "bearer" };
  }
  // Programs whose WebSocket library cannot set headers may put the credential in the query.
  const query = isWebSocket(c) ? c.req.query("access_token") : undefined;
  if (query) return { token: query, via: "query" };
  const cookie = readCookie(c, SESSION_COOKIE);
  if (cookie) return { token: cookie, via: "cookie" };
  return undefined;
}

/** Resolves the caller, or null when no (valid) credential came. */
export async function resolveCaller(c: Context<AppEnv>): Promise<Caller | null> {
  const cred = presented(c);
  if (!cred) return null;
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined; // called outside a request's lifetime (tests): writes are awaited instead
  }
  if (cred.token.startsWith(API_KEY_PREFIX) && cred.via !== "cookie") {
    const found = await findApiKey(c.env, cred.token, ctx);
    if (!found) throw new ApiError(401, "unauthorized", INVALID);
    return { user: found.user, auth: "api_key", credentialId: found.key.id, via: cred.via, expiresAt: found.key.expires_at };
  }
  const found = await findSession(c.env, cred.token, ctx);
  if (!found) throw new ApiError(401, "unauthorized", INVALID);
  return { user: found.user, auth: "session", credentialId: found.session.id, via: cred.via, expiresAt: found.session.expires_at };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site request forgery guard. A session rides along with any request a browser makes
 * (the cookie), so what a session asks to change, and every WebSocket it opens, must come
 * from our own pages: a foreign Origin (or, where a browser sent none, a cross-site
 * Sec-Fetch-Site) is refused. API keys are never sent by a browser on its own: not checked.
 */
export function checkOrigin(c: Context<AppEnv>, caller: Caller) {
  if (caller.auth !== "session") return;
  if (SAFE_METHODS.has(c.req.method) && !isWebSocket(c)) return;
  const own = new URL(c.req.url).origin;
  const origin = c.req.header("Origin");
  const site = c.req.header("Sec-Fetch-Site");
  const foreign = origin !== undefined ? origin !== own : site === "cross-site" || site === "same-site";
  if (foreign) {
    throw new ApiError(403, "forbidden_origin", "This request came from another site and was refused.");
  }
}

export function setCaller(c: Context<AppEnv>, caller: Caller) {
  c.set("caller", caller);
  c.set("userId", caller.user.id);
  c.set("email", caller.user.email);
}

/** Every /api/v1 route but sign-in: a session (cookie or bearer token) or an API key. */
/**
 * After requireAuth: managing credentials (creating or revoking API keys, ending sessions,
 * rotating the webhook secret, deleting the account) needs a browser session. A key that leaked
 * must not be able to mint more keys, lock its owner out or take the webhook secret over.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("caller").auth !== "session") {
    throw new ApiError(
      403,
      "session_required",
      "Managing credentials needs a browser session: sign in to the app. An API key cannot do this.",
    );
  }
  await next();
});

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await resolveCaller(c);
  if (!caller) {
    throw new ApiError(401, "unauthorized", "Sign in first, or send Authorization: Bearer <API key>.");
  }
  checkOrigin(c, caller);
  setCaller(c, caller);
  await next();
});
