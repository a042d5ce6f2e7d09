import { eq } from "drizzle-orm";
import type { Context } from "hono";
import * as oidc from "openid-client";
import { authFlows } from "../../schema/db";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { db, nowIso } from "../core/db";
import { clearCookie, readCookie, SESSION_COOKIE, SIGNIN_COOKIE, writeCookie } from "./cookies";
import { safeReturnTo } from "./return-to";
import { createSession, SESSION_TTL_SECONDS } from "./sessions";
import { randomToken, sha256Hex } from "./tokens";
import { upsertUser } from "./users";

export const GOOGLE_ISSUER = "https://accounts.google.com";
export const CALLBACK_PATH = "/api/v1/auth/google/callback";
/** A sign-in must come back within this long. */
const FLOW_TTL_SECONDS = 600;
/** Provider metadata and keys are fetched again after this long (keys rotate). */
const CONFIG_TTL_MS = 60 * 60_000;

/** A sign-in that must not go on; the reader sees `message` on a plain page. */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

let cached: { key: string; at: number; config: oidc.Configuration } | null = null;

/** The provider's configuration from its discovery document (Google's, or the local stand-in's). */
export async function providerConfig(env: Env): Promise<oidc.Configuration> {
  const issuer = env.OIDC_ISSUER || GOOGLE_ISSUER;
  if (!env.GOOGLE_CLIENT_ID || !env.GOOGLE_CLIENT_SECRET) {
    throw new ApiError(503, "signin_unavailable", "Sign-in with Google is not configured on this server.");
  }
  const key = `${issuer}\n${env.GOOGLE_CLIENT_ID}\n${env.GOOGLE_CLIENT_SECRET}`;
  if (cached && cached.key === key && Date.now() - cached.at < CONFIG_TTL_MS) return cached.config;
  const insecure = new URL(issuer).protocol === "http:";
  if (insecure && env.ENVIRONMENT === "production") {
    throw new ApiError(503, "signin_unavailable", "The sign-in provider must be reached over https.");
  }
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(new URL(issuer), env.GOOGLE_CLIENT_ID, undefined, oidc.ClientSecretBasic(env.GOOGLE_CLIENT_SECRET), {
      execute: [
        // The id_token's signature is checked against the provider's JWKS too, not only
        // trusted for having come over TLS (which OIDC Core allows but we do not rely on).
        oidc.enableNonRepudiationChecks,
        // Only the local stand-in speaks plain http (production refuses it above).
        ...(insecure ? [oidc.allowInsecureRequests] : []),
      ],
    });
  } catch (err) {
    console.error(JSON.stringify({ msg: "OIDC discovery failed", issuer, err: String(err) }));
    throw new ApiError(503, "signin_unavailable", "The sign-in provider cannot be reached. Please try again shortly.");
  }
  cached = { key, at: Date.now(), config };
  return config;
}

function redirectUri(c: Context<AppEnv>): string {
  return new URL(CALLBACK_PATH, c.env.APP_ORIGIN || c.req.url).href;
}

/**
 * Sign-ins started and not finished that are kept at most. Starting one needs no account, so
 * each anonymous request writes a row: past this many (a flood), the oldest go first — a real
 * reader's sign-in lasts seconds — and the table stays bounded whatever the traffic.
 */
export const MAX_PENDING_FLOWS = 10_000;

/** Deletes expired sign-in flows, then all but the `keep` newest. */
export async function pruneFlows(env: Env, keep: number): Promise<void> {
  await env.DB.prepare(
    "DELETE FROM auth_flows WHERE expires_at < ?1 OR state_hash IN (SELECT state_hash FROM auth_flows ORDER BY expires_at DESC LIMIT -1 OFFSET ?2)",
  )
    .bind(nowIso(), keep)
    .run();
}

/** Starts a sign-in: PKCE verifier, state and nonce kept server-side, then off to the provider. */
export async function startSignIn(c: Context<AppEnv>): Promise<Response> {
  const config = await providerConfig(c.env);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const browser = randomToken(32);
  await db(c.env.DB)
    .insert(authFlows)
    .values({
      state_hash: await sha256Hex(state),
      browser_hash: await sha256Hex(browser),
      code_verifier: verifier,
      nonce,
      return_to: safeReturnTo(c.req.query("return_to")),
      expires_at: new Date(Date.now() + FLOW_TTL_SECONDS * 1000).toISOString(),
    });
  await pruneFlows(c.env, MAX_PENDING_FLOWS);
  writeCookie(c, SIGNIN_COOKIE, browser, FLOW_TTL_SECONDS);
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(c),
    scope: "openid email profile",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    prompt: "select_account",
  });
  return c.redirect(url.href, 302);
}

/**
 * The provider sends the browser back here. Everything is checked before a user or session
 * exists: the state is known, unused, unexpired and this browser's; the code is exchanged
 * with the PKCE verifier; the id_token's signature (provider's JWKS), issuer, audience,
 * expiry and nonce are verified by openid-client; the email must be verified.
 */
export async function finishSignIn(c: Context<AppEnv>): Promise<{ returnTo: string }> {
  const current = new URL(c.req.url);
  const params = current.searchParams;
  const state = params.get("state");
  const browser = readCookie(c, SIGNIN_COOKIE);
  clearCookie(c, SIGNIN_COOKIE);
  if (params.get("error")) {
    throw new SignInError("Sign-in was cancelled or refused by the provider.", `provider error ${params.get("error")}`);
  }
  if (!state) throw new SignInError("This sign-in link is incomplete. Please start again.", "no state");
  // Single use: the flow is deleted whatever happens next, so a replayed state finds nothing.
  const flow = await db(c.env.DB)
    .delete(authFlows)
    .where(eq(authFlows.state_hash, await sha256Hex(state)))
    .returning()
    .get();
  if (!flow || flow.expires_at < nowIso()) {
    throw new SignInError("This sign-in link has expired or was already used. Please start again.", "unknown or expired state");
  }
  if (!browser || (await sha256Hex(browser)) !== flow.browser_hash) {
    throw new SignInError("This sign-in was started in another browser. Please start again here.", "browser binding mismatch");
  }
  const config = await providerConfig(c.env);
  const callbackUrl = new URL(redirectUri(c));
  callbackUrl.search = current.search;
  let claims: oidc.IDToken | undefined;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: flow.code_verifier,
      expectedState: state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    claims = tokens.claims();
  } catch (err) {
    throw new SignInError("The sign-in provider's answer could not be verified. Please try again.", String(err));
  }
  if (!claims) throw new SignInError("The sign-in provider sent no identity.", "no id_token");
  const email = typeof claims.email === "string" ? claims.email : "";
  if (!email || claims.email_verified !== true) {
    throw new SignInError("This account's email address is not verified with the provider.", "email not verified");
  }
  const user = await upsertUser(c.env, {
    issuer: claims.iss,
    subject: claims.sub,
    email,
    name: typeof claims.name === "string" ? claims.name : null,
  });
  const session = await createSession(c.env, user.id, c.req.header("User-Agent"));
  writeCookie(c, SESSION_COOKIE, session.token, SESSION_TTL_SECONDS);
  console.log(JSON.stringify({ msg: "signed in", user_id: user.id, session_id: session.id }));
  return { returnTo: flow.return_to };
}
