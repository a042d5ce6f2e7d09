import { eq } from "drizzle-orm";
import type { Context } from "hono";
import * as oidc from "openid-client";
import { googleSheetsTokens, integrationFlows, users } from "../../schema/db";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { GOOGLE_ISSUER, providerConfig, SignInError } from "../auth/oidc";
import { safeReturnTo } from "../auth/return-to";
import { sha256Hex } from "../auth/tokens";
import { db, nowIso } from "../core/db";
import { decryptToken, encryptionSecret, encryptToken } from "./crypto";

/**
 * The narrowest scope that lets the app make a spreadsheet and write to it: drive.file reaches
 * only the files the app creates (or the reader opens with it). The spreadsheets scope would
 * grant every sheet in the reader's Drive, which an export never needs.
 */
export const DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file";
export const SHEETS_CALLBACK_PATH = "/api/v1/integrations/google-sheets/callback";
export const CONNECT_PATH = "/api/v1/integrations/google-sheets/connect";
const FLOW_TTL_SECONDS = 600;
/** An access token this close to its expiry is refreshed first. */
const EXPIRY_MARGIN_MS = 60_000;

export const connectUrl = (returnTo = "/") => `${CONNECT_PATH}?return_to=${encodeURIComponent(safeReturnTo(returnTo))}`;

function redirectUri(c: Context<AppEnv>): string {
  return new URL(SHEETS_CALLBACK_PATH, c.env.APP_ORIGIN || c.req.url).href;
}

/** Incremental authorization on top of sign-in: only drive.file is asked, offline, with consent. */
export async function startConnect(c: Context<AppEnv>): Promise<Response> {
  encryptionSecret(c.env); // no flow at all where tokens could not be kept
  const config = await providerConfig(c.env);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  await db(c.env.DB)
    .insert(integrationFlows)
    .values({
      state_hash: await sha256Hex(state),
      user_id: c.get("userId"),
      code_verifier: verifier,
      nonce,
      return_to: safeReturnTo(c.req.query("return_to")),
      expires_at: new Date(Date.now() + FLOW_TTL_SECONDS * 1000).toISOString(),
    });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(c),
    // openid only to check, from the id_token, that the same Google account consents.
    scope: `openid ${DRIVE_FILE_SCOPE}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    access_type: "offline",
    include_granted_scopes: "true",
    prompt: "consent",
    login_hint: c.get("email"),
  });
  return c.redirect(url.href, 302);
}

/** The provider's answer: the flow must be this user's, the code exchanged with PKCE, drive.file granted. */
export async function finishConnect(c: Context<AppEnv>): Promise<{ returnTo: string }> {
  const current = new URL(c.req.url);
  const params = current.searchParams;
  const state = params.get("state");
  if (params.get("error")) {
    throw new SignInError(
      "Google Sheets access was not allowed. You can try again from the export button.",
      `provider error ${params.get("error")}`,
    );
  }
  if (!state) throw new SignInError("This link is incomplete. Please start again.", "no state");
  const flow = await db(c.env.DB)
    .delete(integrationFlows)
    .where(eq(integrationFlows.state_hash, await sha256Hex(state)))
    .returning()
    .get();
  if (!flow || flow.expires_at < nowIso()) {
    throw new SignInError("This link has expired or was already used. Please start again.", "unknown or expired state");
  }
  const userId = c.get("userId");
  if (flow.user_id !== userId)
    throw new SignInError("This authorization was started by another account. Please start again.", "user mismatch");
  const config = await providerConfig(c.env);
  const callbackUrl = new URL(redirectUri(c));
  callbackUrl.search = current.search;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: flow.code_verifier,
      expectedState: state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
  } catch (err) {
    throw new SignInError("Google's answer could not be verified. Please try again.", String(err));
  }
  const user = await db(c.env.DB).select().from(users).where(eq(users.id, userId)).get();
  const claims = tokens.claims();
  const issuer = c.env.OIDC_ISSUER || GOOGLE_ISSUER;
  if (user && claims && user.issuer === issuer && claims.sub !== user.subject) {
    throw new SignInError(`Please allow access with the Google account you signed in with (${user.email}).`, "subject mismatch");
  }
  const scopes = (tokens.scope ?? "").split(" ").filter(Boolean);
  // Google's consent screen lets the reader untick a scope.
  if (!scopes.includes(DRIVE_FILE_SCOPE)) {
    throw new SignInError(
      "Access to the files this app makes in your Google Drive is needed to export. Please try again and allow it.",
      "drive.file not granted",
    );
  }
  if (!tokens.refresh_token) throw new SignInError("Google sent no lasting authorization. Please try again.", "no refresh_token");
  const now = nowIso();
  const row = {
    refresh_token: await encryptToken(c.env, userId, tokens.refresh_token),
    access_token: await encryptToken(c.env, userId, tokens.access_token),
    access_expires_at: new Date(Date.now() + (tokens.expires_in ?? 3600) * 1000).toISOString(),
    scopes: scopes.join(" "),
    updated_at: now,
  };
  await db(c.env.DB)
    .insert(googleSheetsTokens)
    .values({ user_id: userId, ...row })
    .onConflictDoUpdate({ target: googleSheetsTokens.user_id, set: row });
  console.log(JSON.stringify({ msg: "google sheets connected", user_id: userId }));
  return { returnTo: flow.return_to };
}

export async function connection(env: Env, userId: string): Promise<{ connected: boolean; scopes: string[] }> {
  const row = await db(env.DB).select().from(googleSheetsTokens).where(eq(googleSheetsTokens.user_id, userId)).get();
  return row ? { connected: true, scopes: row.scopes.split(" ") } : { connected: false, scopes: [] };
}

export const notConnected = (returnTo?: string) =>
  new ApiError(
    409,
    "sheets_not_connected",
    "Connect Google Sheets first: allow this app to make spreadsheets in your Google Drive.",
    undefined,
    {
      connect_url: connectUrl(returnTo),
    },
  );

const reconnect = (returnTo?: string) =>
  new ApiError(
    409,
    "sheets_reconnect",
    "Google no longer lets this app reach your spreadsheets (the access was removed or has expired). Please reconnect Google Sheets.",
    undefined,
    { connect_url: connectUrl(returnTo) },
  );

/**
 * An access token for the Sheets API: the cached one while it is fresh, else a new one from the
 * refresh token. A grant revoked at Google (`invalid_grant`) removes the row: reconnect.
 */
export async function accessToken(env: Env, userId: string, opts: { force?: boolean; returnTo?: string } = {}): Promise<string> {
  const d = db(env.DB);
  const row = await d.select().from(googleSheetsTokens).where(eq(googleSheetsTokens.user_id, userId)).get();
  if (!row) throw notConnected(opts.returnTo);
  if (!opts.force && row.access_token && row.access_expires_at && Date.parse(row.access_expires_at) - EXPIRY_MARGIN_MS > Date.now()) {
    const cached = await decryptToken(env, userId, row.access_token);
    if (cached) return cached;
  }
  const refresh = await decryptToken(env, userId, row.refresh_token);
  if (!refresh) {
    // Encrypted under another key (TOKEN_ENCRYPTION_KEY changed): unusable, ask again.
    await d.delete(googleSheetsTokens).where(eq(googleSheetsTokens.user_id, userId));
    throw reconnect(opts.returnTo);
  }
  let tokens: oidc.TokenEndpointResponse;
  try {
    tokens = await oidc.refreshTokenGrant(await providerConfig(env), refresh);
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError && (err.error === "invalid_grant" || err.error === "unauthorized_client")) {
      await d.delete(googleSheetsTokens).where(eq(googleSheetsTokens.user_id, userId));
      console.warn(JSON.stringify({ msg: "google sheets grant revoked", user_id: userId, error: err.error }));
      throw reconnect(opts.returnTo);
    }
    console.error(JSON.stringify({ msg: "google token refresh failed", user_id: userId, err: String(err) }));
    throw new ApiError(502, "sheets_error", "Google could not be reached to renew the authorization. Please try again shortly.");
  }
  await d
    .update(googleSheetsTokens)
    .set({
      access_token: await encryptToken(env, userId, tokens.access_token),
      access_expires_at: new Date(Date.now() + (tokens.expires_in ?? 3600) * 1000).toISOString(),
      ...(tokens.refresh_token ? { refresh_token: await encryptToken(env, userId, tokens.refresh_token) } : {}),
      updated_at: nowIso(),
    })
    .where(eq(googleSheetsTokens.user_id, userId));
  return tokens.access_token;
}

/** Google's token revocation endpoint; GOOGLE_REVOKE_URL points elsewhere (the local stand-in, tests). */
export const GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke";

export class RevocationError extends Error {}

/**
 * Revokes a token at Google as Google documents it: POST, `Content-Type:
 * application/x-www-form-urlencoded`, body `token=…`; 200 revoked. A refresh token's revocation
 * ends the whole grant (its access tokens too). A 400 (`invalid_token`: expired or revoked
 * already) leaves nothing to revoke. Throws RevocationError when Google could not say (unreachable,
 * another answer), so a caller that must know can try again later.
 */
export async function revokeAtGoogle(env: Env, token: string): Promise<"revoked" | "already_gone"> {
  let res: Response;
  try {
    res = await fetch(env.GOOGLE_REVOKE_URL || GOOGLE_REVOKE_URL, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new RevocationError(`Google's revocation endpoint could not be reached: ${String(err)}`);
  }
  await res.body?.cancel();
  if (res.ok) return "revoked";
  if (res.status === 400) return "already_gone";
  throw new RevocationError(`Google's revocation endpoint answered ${res.status}`);
}

/**
 * Revokes the reader's grant at Google, then forgets the tokens (the account page's Disconnect:
 * best effort, the tokens go either way). `mustReach` (deleting an account): a Google that could
 * not be reached throws and the tokens stay, to try again.
 */
export async function disconnect(env: Env, userId: string, opts: { mustReach?: boolean } = {}): Promise<void> {
  const d = db(env.DB);
  const row = await d.select().from(googleSheetsTokens).where(eq(googleSheetsTokens.user_id, userId)).get();
  if (!row) return;
  // Encrypted under another key (TOKEN_ENCRYPTION_KEY changed): nothing usable to revoke.
  const refresh = await decryptToken(env, userId, row.refresh_token);
  try {
    if (refresh) await revokeAtGoogle(env, refresh);
  } catch (err) {
    if (opts.mustReach) throw err;
    console.warn(JSON.stringify({ msg: "google token revocation failed", user_id: userId, err: String(err) }));
  }
  await d.delete(googleSheetsTokens).where(eq(googleSheetsTokens.user_id, userId));
}
