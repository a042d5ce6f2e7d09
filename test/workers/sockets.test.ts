import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { tracker } from "../../worker/jobs/service";
import { api, bearer, sessionFor } from "./http";
import { insertJob } from "./jobs";
import { appRequest, Jar } from "./oidc";

/** Opens a job's event socket; resolves with the socket and a promise of its close code. */
async function openEvents(jobId: string, headers: Record<string, string>) {
  const res = await SELF.fetch(`http://localhost/api/v1/jobs/${jobId}/events`, { headers: { Upgrade: "websocket", ...headers } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const first = new Promise<string>((resolve) => ws.addEventListener("message", (m) => resolve(String(m.data)), { once: true }));
  const notices: string[] = [];
  ws.addEventListener("message", (m) => {
    if (String(m.data).includes('"credential_ended"')) notices.push(String(m.data));
  });
  // The close code, once the server's notice came before it.
  const closed = new Promise<number>((resolve) =>
    ws.addEventListener("close", (e) => resolve(notices.length === 1 ? e.code : -notices.length)),
  );
  ws.accept();
  await first; // the replayed "queued" event: the tracker holds the socket
  return { ws, closed };
}

const within = <T>(p: Promise<T>, ms = 5000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("still open")), ms))]);

const liveSockets = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM live_sockets").first<{ n: number }>())!.n;

async function jobFor(owner: string) {
  const id = await insertJob(owner);
  await tracker(env, id).register(id, DEFAULT_SETTINGS);
  return id;
}

describe("job event sockets follow their credential", () => {
  it("signing out closes the sockets that session opened, and only those", async () => {
    const id = await jobFor("ws1");
    const ended = await sessionFor("ws1");
    const other = await sessionFor("ws1");
    const a = await openEvents(id, bearer(ended));
    const b = await openEvents(id, bearer(other));
    expect(await liveSockets()).toBeGreaterThanOrEqual(2);
    expect((await api("/api/v1/auth/signout", { method: "POST", headers: bearer(ended) })).status).toBe(204);
    expect(await within(a.closed)).toBe(4001);
    // The other session's socket still gets events.
    const next = new Promise<string>((resolve) => b.ws.addEventListener("message", (m) => resolve(String(m.data)), { once: true }));
    await tracker(env, id).planning();
    expect(JSON.parse(await within(next)).status).toBe("planning");
    expect((await api("/api/v1/auth/signout-everywhere", { method: "POST", headers: bearer(other) })).status).toBe(204);
    expect(await within(b.closed)).toBe(4001);
  });

  it("revoking an API key closes its sockets", async () => {
    const id = await jobFor("ws2");
    const session = await sessionFor("ws2");
    const created = await api("/api/v1/api-keys", {
      method: "POST",
      headers: { ...bearer(session), "content-type": "application/json" },
      body: JSON.stringify({ name: "watcher" }),
    });
    const key = (await created.json()) as { id: string; key: string };
    const s = await openEvents(id, bearer(key.key));
    expect((await api(`/api/v1/api-keys/${key.id}`, { method: "DELETE", headers: bearer(session) })).status).toBe(204);
    expect(await within(s.closed)).toBe(4001);
    const stillThere = await env.DB.prepare("SELECT COUNT(*) AS n FROM live_sockets WHERE credential = ?")
      .bind(`api_key:${key.id}`)
      .first<{ n: number }>();
    expect(stillThere!.n).toBe(0);
  });

  it("a session that expires stops receiving events", async () => {
    const id = await jobFor("ws3");
    const token = await sessionFor("ws3");
    // Valid when the socket opens, expired a moment later: the tracker knows the expiry.
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = 'ws3'")
      .bind(new Date(Date.now() + 1500).toISOString())
      .run();
    const s = await openEvents(id, bearer(token));
    await new Promise((r) => setTimeout(r, 1600));
    await tracker(env, id).planning(); // an event: the expired socket is closed instead of served
    expect(await within(s.closed)).toBe(4001);
  });

  it("refuses a cookie-authenticated upgrade from a foreign Origin, not a key's", async () => {
    const id = await jobFor("ws4");
    const token = await sessionFor("ws4");
    const jar = new Jar();
    jar.cookies.set("fnt_session", token);
    const foreign = await appRequest(jar, `/api/v1/jobs/${id}/events`, {
      headers: { Upgrade: "websocket", origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const own = await appRequest(jar, `/api/v1/jobs/${id}/events`, { headers: { Upgrade: "websocket", origin: "http://localhost" } });
    expect(own.status).toBe(101);
    own.webSocket!.accept();
    own.webSocket!.close();
    const created = await api("/api/v1/api-keys", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ name: "program" }),
    });
    const { key } = (await created.json()) as { key: string };
    const s = await openEvents(id, { ...bearer(key), origin: "http://evil.example" });
    s.ws.close();
  });

  it("a stranger cannot open another user's job events", async () => {
    const id = await jobFor("ws5");
    const stranger = await sessionFor("ws6");
    const r = await SELF.fetch(`http://localhost/api/v1/jobs/${id}/events`, { headers: { Upgrade: "websocket", ...bearer(stranger) } });
    expect(r.status).toBe(404);
  });
});
