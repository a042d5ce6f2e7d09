import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createSession } from "../../worker/auth/sessions";

const api = (path: string, init?: RequestInit) => SELF.fetch(`https://novels.example${path}`, init);

describe("the production configuration", () => {
  it("is production, with DEV_AUTH forced on for this test", () => {
    expect(env.ENVIRONMENT).toBe("production");
    expect(env.DEV_AUTH).toBe("on");
  });

  it("has no development sign-in route, whatever the request", async () => {
    const attempts: RequestInit[] = [
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "me@example.com" }) },
      { method: "POST", body: "{" },
      { method: "GET" },
    ];
    for (const init of attempts) {
      const r = await api("/api/v1/auth/dev", init);
      expect(r.status).toBe(404);
      expect(((await r.json()) as any).error).toMatchObject({ code: "not_found", message: "No such endpoint." });
    }
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>())!.n).toBe(0);
  });

  it("has no local cron route, even given the token (forced on for this test)", async () => {
    expect(env.LOCAL_CRON_TOKEN).toBe("production-test-cron-token");
    const r = await api("/api/__local/scheduled", { method: "POST", headers: { authorization: "Bearer production-test-cron-token" } });
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error.code).toBe("not_found");
  });

  it("documents the production API: no development sign-in, the __Host- cookie", async () => {
    const doc = (await (await api("/api/v1/openapi.json")).json()) as any;
    expect(doc.paths).not.toHaveProperty(["/api/v1/auth/dev"]);
    expect(doc.paths).toHaveProperty(["/api/v1/jobs"]);
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ in: "cookie", name: "__Host-fnt_session" });
  });

  it("takes the session only from a __Host- cookie", async () => {
    await env.DB.prepare(
      "INSERT INTO users (id, email, issuer, subject) VALUES ('p1', 'p1@example.com', 'https://accounts.google.com', '1')",
    ).run();
    const { token } = await createSession(env, "p1", "test");
    expect((await api("/api/v1/me", { headers: { cookie: `fnt_session=${token}` } })).status).toBe(401);
    const ok = await api("/api/v1/me", { headers: { cookie: `__Host-fnt_session=${token}` } });
    expect(ok.status).toBe(200);
    const out = await api("/api/v1/auth/signout", {
      method: "POST",
      headers: { cookie: `__Host-fnt_session=${token}`, origin: "https://novels.example" },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^__Host-fnt_session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax/);
  });

  it("refuses a sign-in provider reached over plain http", async () => {
    const r = await api("/api/v1/auth/google");
    expect(r.status).toBe(503);
    expect(((await r.json()) as any).error.code).toBe("signin_unavailable");
  });
});
