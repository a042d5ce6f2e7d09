import { Hono, type Context } from "hono";
import { DevSignInResultSchema, DevSignInSchema, SessionStateSchema } from "../../schema/api";
import { clearCookie, SESSION_COOKIE, writeCookie } from "../auth/cookies";
import { checkOrigin, requireAuth, requireSession, resolveCaller } from "../auth/caller";
import { finishSignIn, SignInError, startSignIn } from "../auth/oidc";
import { createSession, deleteSessions, SESSION_TTL_SECONDS } from "../auth/sessions";
import { closeSocketsOf, credentialTag } from "../auth/sockets";
import { DEV_ISSUER, upsertUser } from "../auth/users";
import { isOperator } from "./admin";
import { ApiError } from "../core/errors";
import { describe, header, json, noContent } from "./openapi";
import { plainErrorPage } from "./plain-page";
import type { AppEnv } from "../core/types";
import { jsonBody } from "./validate";

/**
 * Development sign-in exists only in development, where DEV_AUTH is on, for a request to a
 * loopback host: the development configuration deployed by mistake (a `wrangler deploy`
 * without `--env production`) still signs nobody in from the internet.
 */
export const devSignInEnabled = (env: Env, url: string) =>
  env.ENVIRONMENT === "development" && env.DEV_AUTH === "on" && LOOPBACK.has(new URL(url).hostname);
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** A failed sign-in is a page for a person, not JSON: what went wrong and a way back. */
const signInErrorPage = (c: Context<AppEnv>, message: string) => plainErrorPage(c, "Sign-in failed", "Sign-in failed", message);

export async function endSessions(env: Env, userId: string, sessionId?: string) {
  const ended = await deleteSessions(env, userId, sessionId);
  await closeSocketsOf(
    env,
    ended.map((id) => credentialTag("session", id)),
  );
  return ended;
}

/** The caller, or null where a missing or ended credential is no error (who is signed in, sign-out). */
async function callerOrNull(c: Context<AppEnv>) {
  try {
    return await resolveCaller(c);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    return null;
  }
}

export const authRoutes = new Hono<AppEnv>()
  .post(
    "/dev",
    describe({
      operationId: "devSignIn",
      summary: "Development sign-in",
      description:
        "A real session for curl and tests: the token works as `Authorization: Bearer`, the cookie serves a browser, sign-out ends it. " +
        "Only in development (`ENVIRONMENT=development`, `DEV_AUTH=on`) and for a request to a loopback host (localhost, 127.0.0.1, [::1]); elsewhere the route does not exist (404) and this document leaves it out.",
      tag: "Sign-in",
      access: "public",
      responses: {
        200: json(DevSignInResultSchema, "Signed in (the session cookie is set too).", { "Set-Cookie": header("The session cookie.") }),
      },
      errors: { 404: "`not_found`: development sign-in is off here." },
    }),
    // Answers exactly like a route that does not exist where it is off (production has none);
    // checked before the body is read.
    async (c, next) => {
      if (!devSignInEnabled(c.env, c.req.url)) throw new ApiError(404, "not_found", "No such endpoint.");
      await next();
    },
    jsonBody(DevSignInSchema, '{"email": "you@example.com"}'),
    async (c) => {
      const { email } = c.req.valid("json");
      const normalized = email.trim().toLowerCase();
      const user = await upsertUser(c.env, { issuer: DEV_ISSUER, subject: normalized, email: normalized });
      // A real session: Bearer <token> works, sign-out ends it, the cookie serves a browser.
      const session = await createSession(c.env, user.id, c.req.header("User-Agent"));
      writeCookie(c, SESSION_COOKIE, session.token, SESSION_TTL_SECONDS);
      return c.json({ token: session.token, expires_at: session.expires_at, user }, 200);
    },
  )
  .get(
    "/google",
    describe({
      operationId: "startGoogleSignIn",
      summary: "Start Sign in with Google",
      description: "OpenID Connect authorization code flow with PKCE, state and nonce: redirects the browser to the provider.",
      tag: "Sign-in",
      access: "public",
      parameters: [
        {
          name: "return_to",
          in: "query",
          required: false,
          description: "A path of this app to come back to once signed in (anything else is ignored).",
          schema: { type: "string" },
        },
      ],
      responses: {
        302: {
          description: "To the provider's sign-in page; a short-lived cookie binds the flow to this browser.",
          headers: { Location: header("The provider's authorization URL.") },
        },
      },
      errors: { 503: "`signin_unavailable`: sign-in is not configured, or its provider cannot be reached." },
    }),
    (c) => startSignIn(c),
  )
  .get(
    "/google/callback",
    describe({
      operationId: "finishGoogleSignIn",
      summary: "Sign-in callback (the provider's answer)",
      description:
        "Verified (state, PKCE, the id_token's signature, issuer, audience, expiry, nonce, `email_verified`); the user is found by " +
        "(issuer, subject) or created, a session cookie set, and the browser sent to `return_to`.",
      tag: "Sign-in",
      access: "public",
      parameters: [
        { name: "code", in: "query", required: false, description: "The authorization code.", schema: { type: "string" } },
        { name: "state", in: "query", required: false, description: "The flow's state.", schema: { type: "string" } },
        { name: "error", in: "query", required: false, description: "The provider's refusal, if any.", schema: { type: "string" } },
      ],
      responses: {
        302: {
          description: "Signed in: the session cookie is set, the browser goes to `return_to`.",
          headers: { Location: header("Where the sign-in started.") },
        },
        400: {
          description: "Anything wrong: a plain page for a person saying what; no session, no user.",
          content: { "text/html": { schema: { type: "string" } } },
        },
      },
      errors: { 503: "`signin_unavailable`: sign-in is not configured, or its provider cannot be reached." },
    }),
    async (c) => {
      try {
        const { returnTo } = await finishSignIn(c);
        return c.redirect(returnTo, 302);
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        console.warn(JSON.stringify({ msg: "sign-in refused", reason: err.detail }));
        return signInErrorPage(c, err.message);
      }
    },
  )
  // For the app: who is signed in, 200 either way (a signed-out reader is no error).
  .get(
    "/session",
    describe({
      operationId: "getSession",
      summary: "Who is signed in",
      description: "For the app: 200 either way; a missing or ended credential is `{user: null}`, not an error.",
      tag: "Sign-in",
      access: "optional",
      responses: { 200: json(SessionStateSchema, "The caller, or `{user: null}`.") },
    }),
    async (c) => {
      const caller = await callerOrNull(c);
      return c.json(
        caller ? { user: caller.user, auth: caller.auth, operator: isOperator(c.env, caller.user.email) } : { user: null },
        200,
      );
    },
  )
  // Ends the session that asks (idempotent: no or an ended session still clears the cookie).
  .post(
    "/signout",
    describe({
      operationId: "signOut",
      summary: "Sign out (this session)",
      description: "Ends the calling session and clears the cookie; without a (live) session it still answers 204.",
      tag: "Sign-in",
      access: "optional",
      responses: { 204: noContent("Signed out; the cookie is cleared.") },
      errors: { 400: "`not_a_session`: an API key does not sign out (revoke it with DELETE /api/v1/api-keys/{id})." },
    }),
    async (c) => {
      const caller = await callerOrNull(c);
      if (caller) {
        checkOrigin(c, caller);
        if (caller.auth !== "session") {
          throw new ApiError(400, "not_a_session", "API keys do not sign out: revoke the key with DELETE /api/v1/api-keys/:id.");
        }
        await endSessions(c.env, caller.user.id, caller.credentialId);
      }
      clearCookie(c, SESSION_COOKIE);
      return c.body(null, 204);
    },
  )
  .post(
    "/signout-everywhere",
    describe({
      operationId: "signOutEverywhere",
      summary: "Sign out everywhere",
      description: "Ends every session of the user (their open WebSockets are closed). API keys keep working.",
      tag: "Sign-in",
      access: "user",
      responses: { 204: noContent("Every session ended; the cookie is cleared.") },
      errors: { 403: "`session_required`: an API key cannot manage credentials; use a browser session." },
    }),
    requireAuth,
    requireSession,
    async (c) => {
      await endSessions(c.env, c.get("userId"));
      clearCookie(c, SESSION_COOKIE);
      return c.body(null, 204);
    },
  );
