import { Hono, type Context } from "hono";
import { DevSignInSchema } from "../../schema/api";
import { clearCookie, SESSION_COOKIE, writeCookie } from "../auth/cookies";
import { checkOrigin, requireAuth, resolveCaller } from "../auth/caller";
import { finishSignIn, SignInError, startSignIn } from "../auth/oidc";
import { createSession, deleteSessions, SESSION_TTL_SECONDS } from "../auth/sessions";
import { closeSocketsOf, credentialTag } from "../auth/sockets";
import { DEV_ISSUER, upsertUser } from "../auth/users";
import { isOperator } from "./admin";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";
import { readJson, validate } from "./validate";

/** Development sign-in exists only outside production, and only where DEV_AUTH is on. */
export const devSignInEnabled = (env: Env) => env.ENVIRONMENT !== "production" && env.DEV_AUTH === "on";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** A failed sign-in is a page for a person, not JSON: what went wrong and a way back. */
function signInErrorPage(c: Context<AppEnv>, message: string): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed · French Novel Tool</title><link rel="icon" href="/favicon.svg">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2430}
a{color:#2b59c3}</style></head>
<body><main><h1>Sign-in failed</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to French Novel Tool</a></p></main></body></html>`;
  return c.html(html, 400);
}

export async function endSessions(env: Env, userId: string, sessionId?: string) {
  const ended = await deleteSessions(env, userId, sessionId);
  await closeSocketsOf(env, ended.map((id) => credentialTag("session", id)));
  return ended;
}

export const authRoutes = new Hono<AppEnv>()
  .post("/dev", async (c) => {
    // Answers exactly like a route that does not exist: production has none.
    if (!devSignInEnabled(c.env)) throw new ApiError(404, "not_found", "No such endpoint.");
    const body = await readJson(c, '{"email": "you@example.com"}');
    const { email } = validate(DevSignInSchema, body);
    const normalized = email.trim().toLowerCase();
    const user = await upsertUser(c.env, { issuer: DEV_ISSUER, subject: normalized, email: normalized });
    // A real session: Bearer <token> works, sign-out ends it, the cookie serves a browser.
    const session = await createSession(c.env, user.id, c.req.header("User-Agent"));
    writeCookie(c, SESSION_COOKIE, session.token, SESSION_TTL_SECONDS);
    return c.json({ token: session.token, expires_at: session.expires_at, user }, 200);
  })
  .get("/google", (c) => startSignIn(c))
  .get("/google/callback", async (c) => {
    try {
      const { returnTo } = await finishSignIn(c);
      return c.redirect(returnTo, 302);
    } catch (err) {
      if (!(err instanceof SignInError)) throw err;
      console.warn(JSON.stringify({ msg: "sign-in refused", reason: err.detail }));
      return signInErrorPage(c, err.message);
    }
  })
  // For the app: who is signed in, 200 either way (a signed-out reader is no error).
  .get("/session", async (c) => {
    let caller = null;
    try {
      caller = await resolveCaller(c);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
    }
    return c.json(caller ? { user: caller.user, auth: caller.auth, operator: isOperator(c.env, caller.user.email) } : { user: null }, 200);
  })
  // Ends the session that asks (idempotent: no or an ended session still clears the cookie).
  .post("/signout", async (c) => {
    let caller = null;
    try {
      caller = await resolveCaller(c);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
    }
    if (caller) {
      checkOrigin(c, caller);
      if (caller.auth !== "session") {
        throw new ApiError(400, "not_a_session", "API keys do not sign out: revoke the key with DELETE /api/v1/api-keys/:id.");
      }
      await endSessions(c.env, caller.user.id, caller.credentialId);
    }
    clearCookie(c, SESSION_COOKIE);
    return c.body(null, 204);
  })
  .post("/signout-everywhere", requireAuth, async (c) => {
    await endSessions(c.env, c.get("userId"));
    clearCookie(c, SESSION_COOKIE);
    return c.body(null, 204);
  });
