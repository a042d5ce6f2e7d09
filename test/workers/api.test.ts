import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, signIn } from "./http";

describe("API basics", () => {
  it("reports health with D1 and R2", async () => {
    const r = await api("/api/health");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "ok", version: env.APP_VERSION, d1: "ok", r2: "ok", engine: "local", models: [] });
  });

  it("answers unknown routes and bad sign-ins in the one error shape", async () => {
    const r = await api("/api/v1/nope");
    expect(r.status).toBe(404);
    const body = (await r.json()) as any;
    expect(body.error.code).toBe("not_found");
    expect(body.error.request_id).toBeTruthy();
    const bad = await api("/api/v1/auth/dev", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    const notEmail = await api("/api/v1/auth/dev", { method: "POST", body: JSON.stringify({ email: "nope" }) });
    expect(notEmail.status).toBe(400);
    expect(((await notEmail.json()) as any).error.field).toBe("email");
  });

  it("signs the same email in as the same user, each time with a new session", async () => {
    const a = await signIn("Alice@Example.com");
    const b = await signIn("alice@example.com");
    expect(a).not.toBe(b);
    const me = async (t: string) => (await (await api("/api/v1/me", { headers: { authorization: `Bearer ${t}` } })).json()) as any;
    const [ma, mb] = [await me(a), await me(b)];
    expect(ma.user.id).toBe(mb.user.id);
    expect(ma).toEqual({
      user: { id: ma.user.id, email: "alice@example.com", name: null },
      auth: "session",
      operator: false,
      engine: "local",
      models: [],
      retention_days: 30,
    });
  });

  it("rejects a tampered token", async () => {
    const t = await signIn("bob@example.com");
    const tampered = t.slice(0, -3) + (t.endsWith("A") ? "BBB" : "AAA");
    const r = await api("/api/v1/jobs", { headers: { authorization: `Bearer ${tampered}` } });
    expect(r.status).toBe(401);
    expect((await api("/api/v1/jobs", { headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
  });

  it("validates list paging and rejects bad cursors", async () => {
    const t = await signIn("carol@example.com");
    const h = { authorization: `Bearer ${t}` };
    expect((await api("/api/v1/jobs?limit=0", { headers: h })).status).toBe(400);
    expect((await api("/api/v1/jobs?cursor=%%%", { headers: h })).status).toBe(400);
    const ok = await api("/api/v1/jobs", { headers: h });
    expect(await ok.json()).toEqual({ jobs: [], next_cursor: null });
  });

  it("a job id that is not the caller's is 404", async () => {
    const t = await signIn("dave@example.com");
    const r = await api(`/api/v1/jobs/${crypto.randomUUID()}/result`, { headers: { authorization: `Bearer ${t}` } });
    expect(r.status).toBe(404);
  });
});

describe("JSON bodies are bounded", () => {
  it("a JSON body over 64 KiB is a 413 before it is parsed, declared or streamed; a word list may send more", async () => {
    const token = await signIn("big-json@example.com");
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const huge = JSON.stringify({ name: "x".repeat(70 * 1024) });
    const declared = await api("/api/v1/api-keys", { method: "POST", headers, body: huge });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).error.code).toBe("body_too_large");
    // Streamed without a Content-Length: refused once it passes the cap.
    const bytes = new TextEncoder().encode(huge);
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 8192) controller.enqueue(bytes.subarray(at, at + 8192));
        controller.close();
      },
    });
    const chunked = await api("/api/v1/settings", { method: "PUT", headers, body: streamed, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    // Under the cap the same route answers as before (a name over 100 characters is a 400 naming it).
    const small = await api("/api/v1/api-keys", { method: "POST", headers, body: JSON.stringify({ name: "x".repeat(200) }) });
    expect(small.status).toBe(400);
    expect(((await small.json()) as any).error.field).toBe("name");
    // A word list of 12,000 words (~150 KiB of JSON) is a word list, not an abuse.
    const words = Array.from({ length: 12_000 }, (_, i) => `mot${i}`);
    const list = await api("/api/v1/wordlists", { method: "POST", headers, body: JSON.stringify({ name: "big", words }) });
    expect(list.status).toBe(201);
  });
});
