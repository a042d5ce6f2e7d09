import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { FAULTS } from "../../scripts/local-oidc";
import { MAX_PENDING_FLOWS, pruneFlows } from "../../worker/auth/oidc";
import { purgeExpiredSessions } from "../../worker/auth/sessions";
import { sha256Hex } from "../../worker/auth/tokens";
import { api, bearer, signIn } from "./http";
import { appRequest, approve, Jar, setFault, signInWithGoogle, startSignIn } from "./oidc";

const count = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>())!.n as number;

const me = async (jar: Jar) => appRequest(jar, "/api/v1/me");

afterEach(async () => {
  await setFault(null);
});

describe("sign-in with Google (OpenID Connect, local provider)", () => {
  it("creates the user on first sign-in, finds it by issuer and subject after, in an HttpOnly session cookie", async () => {
    const { res, jar } = await signInWithGoogle("Jeanne.Lamare@example.com", new Jar(), "/jobs?x=1");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/jobs?x=1");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("fnt_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    const first = (await (await me(jar)).json()) as any;
    expect(first).toEqual({
      user: { id: first.user.id, email: "jeanne.lamare@example.com", name: "Jeanne Lamare" },
      auth: "session",
      operator: false,
      engine: "local",
      models: [],
      retention_days: 30,
    });
    const row = await env.DB.prepare("SELECT issuer, subject FROM users WHERE id = ?").bind(first.user.id).first<any>();
    expect(row.issuer).toBe("http://oidc.test");
    expect(row.subject).toMatch(/^\d+$/);

    const again = await signInWithGoogle("jeanne.lamare@example.com");
    const second = (await (await me(again.jar)).json()) as any;
    expect(second.user.id).toBe(first.user.id);
    expect(await count("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?", first.user.id)).toBe(2);
    // Only a hash of the session token is stored.
    const token = jar.cookies.get("fnt_session")!;
    expect(await count("SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?", await sha256Hex(token))).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?", token)).toBe(0);
  });

  it("the same email at the development sign-in is another identity, not a takeover", async () => {
    const google = await signInWithGoogle("twin@example.com");
    const googleUser = ((await (await me(google.jar)).json()) as any).user.id;
    const devToken = await signIn("twin@example.com");
    const devUser = ((await (await api("/api/v1/me", { headers: bearer(devToken) })).json()) as any).user.id;
    expect(devUser).not.toBe(googleUser);
  });

  it.each(FAULTS)("refuses an id_token fault (%s): no session, no user, a plain error page", async (fault) => {
    const email = `fault-${fault.replace(/_/g, "-")}@example.com`;
    const sessionsBefore = await count("SELECT COUNT(*) AS n FROM sessions");
    await setFault(fault, email); // this email's sign-in only: other files sign in to the same provider meanwhile
    const { res, jar } = await signInWithGoogle(email);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("Sign-in failed");
    expect(html).not.toMatch(/at \w+ \(|Error:/); // no stack trace, no raw error
    expect(jar.cookies.has("fnt_session")).toBe(false);
    expect(await count("SELECT COUNT(*) AS n FROM users WHERE email = ?", email)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM sessions")).toBe(sessionsBefore);
    expect((await me(jar)).status).toBe(401);
  });

  it("refuses a replayed callback (state used once) and a forged state", async () => {
    const { res, jar, callbackUrl } = await signInWithGoogle("replay@example.com");
    expect(res.status).toBe(302);
    const replay = await appRequest(new Jar(), callbackUrl);
    expect(replay.status).toBe(400);
    const again = await appRequest(jar, callbackUrl);
    expect(again.status).toBe(400);
    expect(again.headers.getSetCookie().some((c) => c.startsWith("fnt_session=fnts_"))).toBe(false);

    const jar2 = new Jar();
    const cb = new URL(await approve(await startSignIn(jar2), "forged@example.com"));
    cb.searchParams.set("state", "forged-state-value-that-was-never-issued");
    const forged = await appRequest(jar2, cb.href);
    expect(forged.status).toBe(400);
    expect(await count("SELECT COUNT(*) AS n FROM users WHERE email = 'forged@example.com'")).toBe(0);
  });

  it("refuses a replayed authorization code under a fresh state", async () => {
    const first = await signInWithGoogle("code-replay@example.com");
    const usedCode = new URL(first.callbackUrl).searchParams.get("code")!;
    const jar = new Jar();
    const cb = new URL(await approve(await startSignIn(jar), "code-replay@example.com"));
    cb.searchParams.set("code", usedCode);
    const r = await appRequest(jar, cb.href);
    expect(r.status).toBe(400);
    expect(jar.cookies.has("fnt_session")).toBe(false);
  });

  it("refuses a callback in a browser that did not start the sign-in (login CSRF)", async () => {
    const victim = new Jar();
    const attacker = new Jar();
    const cb = await approve(await startSignIn(attacker), "attacker@example.com");
    const r = await appRequest(victim, cb);
    expect(r.status).toBe(400);
    expect(victim.cookies.has("fnt_session")).toBe(false);
  });

  it("shows a plain page when the reader cancels at the provider, and never redirects off-site", async () => {
    const jar = new Jar();
    const authorize = new URL(await startSignIn(jar));
    const state = authorize.searchParams.get("state")!;
    const denied = await appRequest(jar, `/api/v1/auth/google/callback?error=access_denied&state=${state}`);
    expect(denied.status).toBe(400);
    expect(await denied.text()).toContain("cancelled");
    for (const evil of [
      "//evil.example/x",
      "https://evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "/%2F%2Fevil.example",
      "/%5cevil.example",
    ]) {
      const { res } = await signInWithGoogle("redirect@example.com", new Jar(), evil);
      expect(res.headers.get("location")).toBe("/");
    }
  });
});

describe("sessions", () => {
  it("a tampered, unknown or expired session is 401, all alike", async () => {
    const { jar } = await signInWithGoogle("tamper@example.com");
    const token = jar.cookies.get("fnt_session")!;
    const tampered = new Jar();
    tampered.cookies.set("fnt_session", token.slice(0, -2) + (token.endsWith("aa") ? "bb" : "aa"));
    const r = await me(tampered);
    expect(r.status).toBe(401);
    const body = (await r.json()) as any;
    expect(body.error.code).toBe("unauthorized");
    await env.DB.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE token_hash = ?")
      .bind(await sha256Hex(token))
      .run();
    const expired = await me(jar);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as any).error.message).toBe(body.error.message);
  });

  it("lists my sessions, ends one, signs out, and signs out everywhere", async () => {
    const a = await signInWithGoogle("many@example.com");
    const b = await signInWithGoogle("many@example.com");
    const c = await signInWithGoogle("many@example.com");
    const list = (await (await appRequest(a.jar, "/api/v1/sessions")).json()) as any;
    expect(list.sessions).toHaveLength(3);
    expect(list.sessions.filter((s: any) => s.current)).toHaveLength(1);
    const other = list.sessions.find((s: any) => !s.current);
    // Which of b or c it is does not matter: after ending it exactly one of them is out.
    expect((await appRequest(a.jar, `/api/v1/sessions/${other.id}`, { method: "DELETE" })).status).toBe(204);
    const statuses = [(await me(b.jar)).status, (await me(c.jar)).status].sort();
    expect(statuses).toEqual([200, 401]);

    const out = await appRequest(a.jar, "/api/v1/auth/signout", { method: "POST" });
    expect(out.status).toBe(204);
    expect(a.jar.cookies.has("fnt_session")).toBe(false);
    const survivor = (await me(b.jar)).status === 200 ? b : c;
    const d = await signInWithGoogle("many@example.com");
    expect((await appRequest(d.jar, "/api/v1/auth/signout-everywhere", { method: "POST" })).status).toBe(204);
    expect((await me(survivor.jar)).status).toBe(401);
    expect((await me(d.jar)).status).toBe(401);
  });

  it("another user's session id is 404", async () => {
    const mine = await signInWithGoogle("owner-s@example.com");
    const theirs = await signInWithGoogle("stranger-s@example.com");
    const id = ((await (await appRequest(mine.jar, "/api/v1/sessions")).json()) as any).sessions[0].id;
    expect((await appRequest(theirs.jar, `/api/v1/sessions/${id}`, { method: "DELETE" })).status).toBe(404);
    expect((await me(mine.jar)).status).toBe(200);
  });

  it("the development sign-in answers only for a loopback host: not for the same Worker reached by a public name", async () => {
    const body = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "host@example.com" }) };
    for (const host of ["http://localhost", "http://127.0.0.1:8787", "http://[::1]:8787"]) {
      expect((await SELF.fetch(`${host}/api/v1/auth/dev`, body)).status).toBe(200);
    }
    for (const host of ["https://french-novel-tool-dev.someone.workers.dev", "http://192.168.1.20:8787", "http://localhost.evil.example"]) {
      const r = await SELF.fetch(`${host}/api/v1/auth/dev`, body);
      expect(r.status).toBe(404);
      // Nor does the API document offer it there.
      const doc = (await (await SELF.fetch(`${host}/api/v1/openapi.json`)).json()) as any;
      expect(doc.paths["/api/v1/auth/dev"]).toBeUndefined();
    }
    expect(((await (await SELF.fetch("http://localhost/api/v1/openapi.json")).json()) as any).paths["/api/v1/auth/dev"]).toBeDefined();
  });

  it("the development sign-in's token is a real session: Bearer works and sign-out ends it", async () => {
    const token = await signIn("devsession@example.com");
    expect(token).toMatch(/^fnts_/);
    expect((await api("/api/v1/me", { headers: bearer(token) })).status).toBe(200);
    expect((await api("/api/v1/auth/signout", { method: "POST", headers: bearer(token) })).status).toBe(204);
    expect((await api("/api/v1/me", { headers: bearer(token) })).status).toBe(401);
  });
});

describe("API keys", () => {
  it("creates a key shown once, lists it without the key, authenticates with it, revokes it", async () => {
    const { jar } = await signInWithGoogle("keys@example.com");
    const created = await appRequest(jar, "/api/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost" },
      body: JSON.stringify({ name: "  nightly export  " }),
    });
    expect(created.status).toBe(201);
    const k = (await created.json()) as any;
    expect(Object.keys(k).sort()).toEqual(["created_at", "expires_at", "id", "key", "last4", "last_used_at", "name", "prefix"]);
    expect(k.name).toBe("nightly export");
    expect(k.key).toMatch(/^fnt_[A-Za-z0-9]{40}$/);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(k.key.endsWith(k.last4)).toBe(true);
    // Stored as a hash only.
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(k.id).first<any>();
    expect(row.key_hash).toBe(await sha256Hex(k.key));
    expect(JSON.stringify(row)).not.toContain(k.key);

    const listed = (await (await appRequest(jar, "/api/v1/api-keys")).json()) as any;
    expect(listed.api_keys).toEqual([
      { id: k.id, name: k.name, prefix: k.prefix, last4: k.last4, created_at: k.created_at, last_used_at: null, expires_at: null },
    ]);
    expect(JSON.stringify(listed)).not.toContain(k.key);

    const who = await api("/api/v1/me", { headers: bearer(k.key) });
    expect(who.status).toBe(200);
    expect(((await who.json()) as any).auth).toBe("api_key");
    expect((await api("/api/v1/jobs", { headers: bearer(k.key) })).status).toBe(200);
    const used = (await (await appRequest(jar, "/api/v1/api-keys")).json()) as any;
    expect(used.api_keys[0].last_used_at).not.toBeNull();

    expect((await appRequest(jar, `/api/v1/api-keys/${k.id}`, { method: "DELETE" })).status).toBe(204);
    const revoked = await api("/api/v1/me", { headers: bearer(k.key) });
    expect(revoked.status).toBe(401);
    const unknown = await api("/api/v1/me", { headers: bearer(`fnt_${"x".repeat(40)}`) });
    expect(unknown.status).toBe(401);
    // Nothing tells a revoked key from one that never existed.
    expect(((await unknown.json()) as any).error.message).toBe(((await revoked.json()) as any).error.message);
    expect(((await (await appRequest(jar, "/api/v1/api-keys")).json()) as any).api_keys).toEqual([]);
    expect((await appRequest(jar, `/api/v1/api-keys/${k.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("an expired key is refused", async () => {
    const token = await signIn("expiring@example.com");
    const r = await api("/api/v1/api-keys", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ name: "short-lived", expires_in_days: 1 }),
    });
    const k = (await r.json()) as any;
    expect(k.expires_at).not.toBeNull();
    expect((await api("/api/v1/me", { headers: bearer(k.key) })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(k.id).run();
    expect((await api("/api/v1/me", { headers: bearer(k.key) })).status).toBe(401);
  });

  it("validates the name and keeps each user's keys their own", async () => {
    const alice = await signIn("alice-k@example.com");
    const bob = await signIn("bob-k@example.com");
    const post = (token: string, body: unknown) =>
      api("/api/v1/api-keys", {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const bad of [{}, { name: "" }, { name: "   " }, { name: 7 }, { name: "x".repeat(101) }, { name: "ok", extra: 1 }]) {
      const r = await post(alice, bad);
      expect(r.status).toBe(400);
      const e = ((await r.json()) as any).error;
      expect(e.code).toBe("invalid_field");
      expect(["name", "extra"]).toContain(e.field);
    }
    const k = (await (await post(alice, { name: "alice's" })).json()) as any;
    expect(((await (await api("/api/v1/api-keys", { headers: bearer(bob) })).json()) as any).api_keys).toEqual([]);
    expect((await api(`/api/v1/api-keys/${k.id}`, { method: "DELETE", headers: bearer(bob) })).status).toBe(404);
    expect((await api("/api/v1/me", { headers: bearer(k.key) })).status).toBe(200);
    expect((await api("/api/v1/api-keys", { headers: bearer("fnt_short") })).status).toBe(401);
    expect((await api("/api/v1/api-keys")).status).toBe(401);
  });
});

describe("cross-site requests", () => {
  it("refuses a cookie-authenticated change from a foreign Origin; API keys are not Origin-checked", async () => {
    const { jar } = await signInWithGoogle("origin@example.com");
    const post = (headers: Record<string, string>) =>
      appRequest(jar, "/api/v1/api-keys", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "x" }),
      });
    const foreign = await post({ origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as any).error.code).toBe("forbidden_origin");
    expect((await post({ "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post({ origin: "http://localhost" })).status).toBe(201);
    expect((await post({ "sec-fetch-site": "same-origin" })).status).toBe(201);
    // Reading is not a change.
    expect((await appRequest(jar, "/api/v1/me", { headers: { origin: "http://evil.example" } })).status).toBe(200);
    // Deleting and signing out are changes too.
    const keys = ((await (await appRequest(jar, "/api/v1/api-keys")).json()) as any).api_keys;
    expect(
      (await appRequest(jar, `/api/v1/api-keys/${keys[0].id}`, { method: "DELETE", headers: { origin: "http://evil.example" } })).status,
    ).toBe(403);
    expect((await appRequest(jar, "/api/v1/auth/signout", { method: "POST", headers: { origin: "http://evil.example" } })).status).toBe(
      403,
    );
    expect((await me(jar)).status).toBe(200);

    const key = ((await (await post({ origin: "http://localhost" })).json()) as any).key;
    const viaKey = await api("/api/v1/api-keys", { headers: { ...bearer(key), origin: "http://evil.example" } });
    expect(viaKey.status).toBe(200);
  });
});

describe("managing credentials needs a browser session", () => {
  const post = (token: string, path: string, body?: unknown) =>
    api(path, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("an API key cannot create or revoke keys, end sessions or rotate the webhook secret: 403 session_required", async () => {
    const session = await signIn("creds@example.com");
    const made = (await (await post(session, "/api/v1/api-keys", { name: "program" })).json()) as any;
    const other = (await (await post(session, "/api/v1/api-keys", { name: "other" })).json()) as any;
    const sessionId = ((await (await api("/api/v1/sessions", { headers: bearer(session) })).json()) as any).sessions[0].id;
    const key = made.key as string;
    const refused = [
      await post(key, "/api/v1/api-keys", { name: "more" }),
      await api(`/api/v1/api-keys/${other.id}`, { method: "DELETE", headers: bearer(key) }),
      await api(`/api/v1/sessions/${sessionId}`, { method: "DELETE", headers: bearer(key) }),
      await post(key, "/api/v1/auth/signout-everywhere"),
      await post(key, "/api/v1/webhooks/secret/rotate"),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(((await r.json()) as any).error.code).toBe("session_required");
    }
    // Nothing was changed: both keys and the session live; reading with the key still works.
    expect(((await (await api("/api/v1/api-keys", { headers: bearer(key) })).json()) as any).api_keys).toHaveLength(2);
    expect((await api("/api/v1/webhooks/secret", { headers: bearer(key) })).status).toBe(200);
    expect((await api("/api/v1/me", { headers: bearer(session) })).status).toBe(200);
    // The session may.
    expect((await post(session, "/api/v1/webhooks/secret/rotate")).status).toBe(200);
    expect((await api(`/api/v1/api-keys/${other.id}`, { method: "DELETE", headers: bearer(session) })).status).toBe(204);
  });

  it("at most 25 live keys, even when 30 are asked for at once", async () => {
    const session = await signIn("many-keys@example.com");
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(session, "/api/v1/api-keys", { name: `k${i}` })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    const user = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("many-keys@example.com").first<{ id: string }>();
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE user_id = ?", user!.id)).toBe(25);
  });

  it("the cron purges revoked and expired keys, and sign-ins started and never finished stay bounded", async () => {
    const session = await signIn("purge@example.com");
    const keys = [];
    for (const name of ["live", "revoked", "expired"]) keys.push((await (await post(session, "/api/v1/api-keys", { name })).json()) as any);
    await api(`/api/v1/api-keys/${keys[1].id}`, { method: "DELETE", headers: bearer(session) });
    await env.DB.prepare("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(keys[2].id).run();
    await purgeExpiredSessions(env);
    const keysLeft = await env.DB.prepare("SELECT name FROM api_keys WHERE id IN (?, ?, ?)")
      .bind(keys[0].id, keys[1].id, keys[2].id)
      .all<{ name: string }>();
    expect(keysLeft.results.map((r) => r.name)).toEqual(["live"]);

    // Other test files start sign-ins at the same time on the same database: this one's rows are
    // made the oldest live ones (a real flow lives 10 minutes), so pruning takes them first.
    const soon = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    const mine = (i: number) => `prune-test-${i}`;
    for (let i = 0; i < 5; i++) {
      await env.DB.prepare("INSERT INTO auth_flows VALUES (?, 'b', 'v', 'n', '/', ?)")
        .bind(mine(i), soon(60 + i))
        .run();
    }
    await env.DB.prepare("INSERT INTO auth_flows VALUES (?, 'b', 'v', 'n', '/', ?)").bind(mine(9), soon(-1)).run();
    const left = () => count("SELECT count(*) AS n FROM auth_flows WHERE state_hash LIKE 'prune-test-%'");
    const live = await count("SELECT count(*) AS n FROM auth_flows WHERE expires_at >= ?", new Date().toISOString());
    await pruneFlows(env, live - 2);
    // The expired one and the two oldest are gone; the three newest of this test's rows stay.
    expect(await left()).toBe(3);
    const kept = await env.DB.prepare("SELECT state_hash FROM auth_flows WHERE state_hash LIKE 'prune-test-%' ORDER BY state_hash").all<{
      state_hash: string;
    }>();
    expect(kept.results.map((r) => r.state_hash)).toEqual([mine(2), mine(3), mine(4)]);
    // Each start prunes too: with the real bound (10,000) nothing live goes.
    await startSignIn(new Jar());
    expect(await left()).toBe(3);
    await env.DB.prepare("DELETE FROM auth_flows WHERE state_hash LIKE 'prune-test-%'").run();
    expect(MAX_PENDING_FLOWS).toBe(10_000);
  });
});
