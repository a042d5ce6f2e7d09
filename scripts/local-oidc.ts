/**
 * A local OpenID Connect provider standing in for Google while no Google client is
 * configured: `npm start` runs it so that "Sign in with Google" takes the same code path
 * offline. It is strict where Google is (client secret, exact redirect URI, S256 PKCE,
 * single-use codes, nonce carried into the id_token, RS256 tokens checked against its JWKS)
 * and asks only for an email: no password, any address signs in.
 *
 * With `controls`, `POST /__faults {"fault": …}` makes it misbehave on purpose so tests can
 * see the app refuse: an id_token with the wrong issuer, audience or nonce, an expired or
 * badly signed one, or an unverified email; with `"email"`, only that email's sign-ins (so tests
 * running at the same time against one provider never get each other's faults).
 *
 * Beyond sign-in it grants extra scopes the way Google does for incremental authorization
 * (Google Sheets export asks for drive.file): a consent page listing what is asked,
 * `include_granted_scopes=true` answering with every scope granted so far, `access_type=offline`
 * issuing a refresh token, the `refresh_token` grant, `POST /revoke` (advertised as
 * `revocation_endpoint`) and `GET /tokeninfo?access_token=…` (how the local Sheets stand-in,
 * scripts/local-sheets.ts, checks the bearer tokens it gets). Controls: `POST /__revoke
 * {"email"}` drops a user's grants server-side (as removing the app at
 * myaccount.google.com does), `POST /__expire` expires every access token, `GET /__revocations`
 * lists what /revoke was sent: `revocations`, the tokens revoked, and `requests`, each request as it
 * came (method, content type, token, and the grant's email and scope when it named one).
 *
 * Standalone: `npx tsx scripts/local-oidc.ts --port 8788 --redirect-uri URL [--client-id ID]
 * [--client-secret S]`. Its file has no relative imports, so Node runs it as it is.
 */
import { createHash, randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

export const FAULTS = ["wrong_issuer", "wrong_audience", "wrong_nonce", "expired", "bad_signature", "email_unverified"] as const;
export type Fault = (typeof FAULTS)[number];

export interface LocalOidcClient {
  id: string;
  secret: string;
  redirectUris: string[];
}

export interface LocalOidcOptions {
  /** Where it is reached, e.g. http://127.0.0.1:8788 (no trailing slash). */
  issuer: string;
  clients: LocalOidcClient[];
  /** Enables POST /__faults (tests only). */
  controls?: boolean;
}

interface Grant {
  clientId: string;
  accessType: string;
  includeGranted: boolean;
  redirectUri: string;
  challenge: string;
  nonce: string;
  scope: string;
  email: string;
  expiresAt: number;
  used: boolean;
}

const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 3600;

const b64url = (buf: Buffer) => buf.toString("base64url");
const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** Google's subjects are long decimal strings; ours are derived from the email, so stable. */
export const subjectOf = (email: string) => BigInt(`0x${sha256(email.toLowerCase()).subarray(0, 8).toString("hex")}`).toString();

function nameOf(email: string): string {
  const local = email.split("@")[0] ?? email;
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const PAGE_STYLE = `body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f8;color:#1f2430;margin:0}
main{max-width:24rem;margin:4rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px #0001}
h1{font-size:1.4rem;margin:0 0 .25rem}p.note{color:#5a6170;font-size:.9rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}input{width:100%;box-sizing:border-box;font:inherit;padding:.6rem;border:1px solid #b9bfcc;border-radius:8px}
button{margin-top:1.25rem;width:100%;font:inherit;font-weight:600;padding:.7rem;border:0;border-radius:8px;background:#2b59c3;color:#fff;cursor:pointer}`;

function page(title: string, body: string, status: 200 | 400 = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="data:,"><style>${PAGE_STYLE}</style></head><body><main>${body}</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

const errorPage = (message: string) => page("Sign-in error", `<h1>Sign-in error</h1><p>${escapeHtml(message)}</p>`, 400);

/** The authorization request's parameters, as received from the app (query or form). */
const AUTH_PARAMS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "prompt",
  "access_type",
  "include_granted_scopes",
  "login_hint",
] as const;

/** What the consent page says a scope beyond sign-in allows (Google's wording). */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  "https://www.googleapis.com/auth/drive.file": "See, edit, create and delete only the specific Google Drive files you use with this app",
  "https://www.googleapis.com/auth/spreadsheets": "See, edit, create and delete all your Google Sheets spreadsheets",
};
const SIGN_IN_SCOPES = new Set(["openid", "email", "profile"]);

interface RefreshGrant {
  clientId: string;
  email: string;
  scope: string;
  revoked: boolean;
}
type AuthParams = Partial<Record<(typeof AUTH_PARAMS)[number], string>>;

export async function createLocalOidc(opts: LocalOidcOptions) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  // A second key under the same kid: what a forged token would be signed with.
  const forger = await generateKeyPair("RS256");
  const kid = b64url(randomBytes(8));
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, { email: string; expiresAt: number; clientId: string; scope: string; refresh?: string }>();
  const refreshTokens = new Map<string, RefreshGrant>();
  /** Scopes each user granted each client so far (include_granted_scopes answers with them all). */
  const granted = new Map<string, Set<string>>();
  const revocations: string[] = [];
  /** Every request /revoke got, as it came (for tests: what the app sent, and for whom). */
  const requests: { method: string; content_type: string; token: string; email: string | null; scope: string | null; at: string }[] = [];
  let fault: Fault | null = null;
  /** The only email the fault applies to; null: every sign-in. */
  let faultEmail: string | null = null;

  const clientById = (id: string | undefined) => opts.clients.find((c) => c.id === id);

  /** Checks an authorization request; a bad client or redirect URI is never redirected to. */
  function checkAuthRequest(p: AuthParams): { error: Response } | { redirectError: string } | { ok: true } {
    const client = clientById(p.client_id);
    if (!client) return { error: errorPage("Unknown client_id.") };
    if (!p.redirect_uri || !client.redirectUris.includes(p.redirect_uri)) {
      return { error: errorPage("redirect_uri is not registered for this client (exact match required).") };
    }
    if (p.response_type !== "code") return { redirectError: "unsupported_response_type" };
    if (!p.scope?.split(" ").includes("openid")) return { redirectError: "invalid_scope" };
    if (!p.code_challenge || p.code_challenge_method !== "S256") return { redirectError: "invalid_request" };
    if (!p.nonce) return { redirectError: "invalid_request" };
    return { ok: true };
  }

  function redirectWith(p: AuthParams, params: Record<string, string>): Response {
    const url = new URL(p.redirect_uri!);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (p.state) url.searchParams.set("state", p.state);
    return new Response(null, { status: 302, headers: { location: url.href, "cache-control": "no-store" } });
  }

  async function idToken(g: Grant): Promise<string> {
    const applied = faultEmail === null || faultEmail === g.email.toLowerCase() ? fault : null;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      email: g.email,
      email_verified: applied !== "email_unverified",
      name: nameOf(g.email),
      nonce: applied === "wrong_nonce" ? b64url(randomBytes(16)) : g.nonce,
      azp: g.clientId,
      auth_time: now,
    };
    const iat = applied === "expired" ? now - 2 * TOKEN_TTL_S : now;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setIssuer(applied === "wrong_issuer" ? "https://evil.example" : opts.issuer)
      .setAudience(applied === "wrong_audience" ? "someone-else" : g.clientId)
      .setSubject(subjectOf(g.email))
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_TTL_S)
      .sign(applied === "bad_signature" ? forger.privateKey : privateKey);
  }

  const tokenError = (error: string, description: string, status = 400) =>
    Response.json({ error, error_description: description }, { status, headers: { "cache-control": "no-store" } });

  /** client_secret_basic (form-urlencoded id and secret, RFC 6749 §2.3.1) or client_secret_post. */
  function authenticateClient(req: Request, form: URLSearchParams): LocalOidcClient | null {
    let id = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    const basic = req.headers.get("authorization")?.match(/^Basic\s+(.+)$/i)?.[1];
    if (basic) {
      const [u, ...rest] = Buffer.from(basic, "base64").toString("utf8").split(":");
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      id = decode(u ?? "");
      secret = decode(rest.join(":"));
    }
    const client = clientById(id);
    if (!client || !secret || secret !== client.secret) return null;
    return client;
  }

  const app = new Hono();

  app.get("/.well-known/openid-configuration", (c) =>
    c.json({
      issuer: opts.issuer,
      authorization_endpoint: `${opts.issuer}/authorize`,
      token_endpoint: `${opts.issuer}/token`,
      userinfo_endpoint: `${opts.issuer}/userinfo`,
      revocation_endpoint: `${opts.issuer}/revoke`,
      jwks_uri: `${opts.issuer}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid", "email", "profile", ...Object.keys(SCOPE_DESCRIPTIONS)],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      claims_supported: ["aud", "email", "email_verified", "exp", "iat", "iss", "name", "sub", "nonce"],
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "refresh_token"],
    }),
  );

  app.get("/jwks", (c) => c.json({ keys: [jwk] }));

  app.get("/authorize", (c) => {
    const p: AuthParams = Object.fromEntries(AUTH_PARAMS.map((k) => [k, c.req.query(k)]));
    const check = checkAuthRequest(p);
    if ("error" in check) return check.error;
    if ("redirectError" in check) return redirectWith(p, { error: check.redirectError });
    const hidden = AUTH_PARAMS.filter((k) => p[k] !== undefined)
      .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(p[k]!)}">`)
      .join("");
    const extra = p.scope!.split(" ").filter((s) => s && !SIGN_IN_SCOPES.has(s));
    const consent = extra.length
      ? `<p>The app asks to:</p><ul class="consent">${extra.map((s) => `<li>${escapeHtml(SCOPE_DESCRIPTIONS[s] ?? s)}</li>`).join("")}</ul>`
      : "";
    return page(
      extra.length ? "Allow access · local Google stand-in" : "Sign in · local Google stand-in",
      `<h1>${extra.length ? "Allow access" : "Sign in"}</h1>
<p class="note">Local stand-in for Google: this server has no Google client configured, so any email address signs in here, with no password.</p>${consent}
<form method="post" action="/authorize">${hidden}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required autofocus${p.login_hint ? ` value="${escapeHtml(p.login_hint)}"` : ""}>
<button type="submit">Continue</button>
</form>`,
    );
  });

  app.post("/authorize", async (c) => {
    const form = await c.req.formData();
    const get = (k: string) => (typeof form.get(k) === "string" ? (form.get(k) as string) : undefined);
    const p: AuthParams = Object.fromEntries(AUTH_PARAMS.map((k) => [k, get(k)]));
    const check = checkAuthRequest(p);
    if ("error" in check) return check.error;
    if ("redirectError" in check) return redirectWith(p, { error: check.redirectError });
    const email = get("email")?.trim().toLowerCase() ?? "";
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return errorPage("Enter a valid email address.");
    const code = b64url(randomBytes(32));
    grants.set(code, {
      clientId: p.client_id!,
      accessType: p.access_type ?? "online",
      includeGranted: p.include_granted_scopes === "true",
      redirectUri: p.redirect_uri!,
      challenge: p.code_challenge!,
      nonce: p.nonce!,
      scope: p.scope!,
      email,
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
    });
    return redirectWith(p, { code });
  });

  app.post("/token", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const client = authenticateClient(c.req.raw, form);
    if (!client) return tokenError("invalid_client", "Client authentication failed.", 401);
    if (form.get("grant_type") === "refresh_token") {
      const refresh = form.get("refresh_token") ?? "";
      const r = refreshTokens.get(refresh);
      if (!r || r.revoked || r.clientId !== client.id) return tokenError("invalid_grant", "Token has been expired or revoked.");
      const accessToken = b64url(randomBytes(32));
      accessTokens.set(accessToken, {
        email: r.email,
        expiresAt: Date.now() + TOKEN_TTL_S * 1000,
        clientId: client.id,
        scope: r.scope,
        refresh,
      });
      return c.json({ access_token: accessToken, token_type: "Bearer", expires_in: TOKEN_TTL_S, scope: r.scope }, 200, {
        "cache-control": "no-store",
      });
    }
    if (form.get("grant_type") !== "authorization_code")
      return tokenError("unsupported_grant_type", "Only authorization_code and refresh_token.");
    const code = form.get("code") ?? "";
    const g = grants.get(code);
    if (!g || g.clientId !== client.id) return tokenError("invalid_grant", "Unknown authorization code.");
    if (g.used) return tokenError("invalid_grant", "The authorization code was already used.");
    g.used = true; // single use, whatever happens next
    if (g.expiresAt < Date.now()) return tokenError("invalid_grant", "The authorization code expired.");
    if (form.get("redirect_uri") !== g.redirectUri)
      return tokenError("invalid_grant", "redirect_uri does not match the authorization request.");
    const verifier = form.get("code_verifier") ?? "";
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || b64url(sha256(verifier)) !== g.challenge) {
      return tokenError("invalid_grant", "PKCE verification failed.");
    }
    const key = `${g.email}\n${g.clientId}`;
    const all = granted.get(key) ?? new Set<string>();
    for (const s of g.scope.split(" ")) if (s) all.add(s);
    granted.set(key, all);
    const scope = g.includeGranted ? [...all].join(" ") : g.scope;
    // Like Google: a refresh token only for offline access.
    let refresh: string | undefined;
    if (g.accessType === "offline") {
      refresh = `1//${b64url(randomBytes(32))}`;
      refreshTokens.set(refresh, { clientId: g.clientId, email: g.email, scope, revoked: false });
    }
    const accessToken = b64url(randomBytes(32));
    accessTokens.set(accessToken, { email: g.email, expiresAt: Date.now() + TOKEN_TTL_S * 1000, clientId: g.clientId, scope, refresh });
    return c.json(
      {
        access_token: accessToken,
        token_type: "Bearer",
        expires_in: TOKEN_TTL_S,
        scope,
        ...(refresh ? { refresh_token: refresh } : {}),
        id_token: await idToken(g),
      },
      200,
      { "cache-control": "no-store" },
    );
  });

  app.get("/userinfo", (c) => {
    const token = c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1] ?? "";
    const t = accessTokens.get(token);
    if (!t || t.expiresAt < Date.now()) return c.json({ error: "invalid_token" }, 401);
    return c.json({ sub: subjectOf(t.email), email: t.email, email_verified: true, name: nameOf(t.email) });
  });

  /** Revoking either token of a grant ends the whole grant, as at Google. */
  function revokeGrant(refresh: string) {
    const r = refreshTokens.get(refresh);
    if (r) r.revoked = true;
    for (const [t, a] of accessTokens) if (a.refresh === refresh) accessTokens.delete(t);
  }

  // Google's revocation endpoint (https://oauth2.googleapis.com/revoke): POST, the token form-encoded
  // in the body (or the query); 200 with an empty object, or 400 invalid_token for a token it does not know.
  app.post("/revoke", async (c) => {
    const type = c.req.header("content-type") ?? "";
    const form = new URLSearchParams(/^application\/x-www-form-urlencoded\b/i.test(type) ? await c.req.text() : "");
    const token = form.get("token") ?? c.req.query("token") ?? "";
    const access = accessTokens.get(token);
    const refresh = refreshTokens.has(token) ? token : access?.refresh;
    const grant = refresh ? refreshTokens.get(refresh) : undefined;
    requests.push({
      method: c.req.method,
      content_type: type,
      token,
      email: grant?.email ?? null,
      scope: grant?.scope ?? null,
      at: new Date().toISOString(),
    });
    if (!access && !refresh) return tokenError("invalid_token", "Token expired or revoked");
    revocations.push(token);
    if (refresh) revokeGrant(refresh);
    accessTokens.delete(token);
    return c.json({}, 200);
  });

  // Google's tokeninfo: what an access token is for (the Sheets stand-in asks here).
  app.get("/tokeninfo", (c) => {
    const t = accessTokens.get(c.req.query("access_token") ?? "");
    if (!t || t.expiresAt < Date.now()) return c.json({ error: "invalid_token", error_description: "Invalid Value" }, 400);
    const expiresIn = Math.floor((t.expiresAt - Date.now()) / 1000);
    return c.json({
      azp: t.clientId,
      aud: t.clientId,
      sub: subjectOf(t.email),
      scope: t.scope,
      exp: String(Math.floor(t.expiresAt / 1000)),
      expires_in: String(expiresIn),
      email: t.email,
      email_verified: "true",
      access_type: t.refresh ? "offline" : "online",
    });
  });

  if (opts.controls) {
    app.post("/__revoke", async (c) => {
      const { email } = (await c.req.json().catch(() => ({}))) as { email?: string };
      let n = 0;
      for (const [token, r] of refreshTokens) {
        if (r.email === email?.toLowerCase() && !r.revoked) {
          revokeGrant(token);
          n++;
        }
      }
      for (const key of granted.keys()) if (key.startsWith(`${email?.toLowerCase()}\n`)) granted.delete(key);
      return c.json({ revoked: n });
    });
    app.post("/__expire", (c) => {
      for (const t of accessTokens.values()) t.expiresAt = 0;
      return c.json({ ok: true });
    });
    app.get("/__revocations", (c) => c.json({ revocations, requests }));
    app.post("/__faults", async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { fault?: string | null; email?: string | null };
      const f = body.fault ?? null;
      if (f !== null && !FAULTS.includes(f as Fault)) return c.json({ error: `fault must be one of ${FAULTS.join(", ")} or null` }, 400);
      fault = f as Fault | null;
      faultEmail = body.email?.toLowerCase() ?? null;
      return c.json({ fault, email: faultEmail });
    });
  }

  return {
    app,
    setFault(f: Fault | null) {
      fault = f;
      faultEmail = null;
    },
  };
}

/** Serves the provider on 127.0.0.1:port; resolves once it listens. */
export async function serveLocalOidc(opts: LocalOidcOptions & { port: number }) {
  const { app, setFault } = await createLocalOidc(opts);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  return {
    setFault,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg("port") ?? 8788);
  const redirect = arg("redirect-uri");
  if (!redirect) {
    console.error("usage: local-oidc.ts --port 8788 --redirect-uri http://127.0.0.1:8787/api/v1/auth/google/callback");
    process.exit(2);
  }
  const client = { id: arg("client-id") ?? "local-client", secret: arg("client-secret") ?? "local-secret", redirectUris: [redirect] };
  await serveLocalOidc({ issuer: `http://127.0.0.1:${port}`, port, clients: [client], controls: process.argv.includes("--controls") });
  console.log(`local OpenID provider on http://127.0.0.1:${port} (client ${client.id})`);
}
