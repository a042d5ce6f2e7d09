import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { tracker } from "../../worker/jobs/service";
import { sweep } from "../../worker/jobs/sweep";
import { webhookRetryDelay } from "../../worker/webhooks/service";
import { documentValidator } from "./document";
import { api, bearer, sessionFor, signIn } from "./http";
import { insertJob, jobRow, result } from "./jobs";

// Deliveries go to https://hooks.test/hook, a receiver that vitest.config.ts runs in Node.
const HOOK = "https://hooks.test/hook";

const control = (c: { fail?: number; reset?: boolean }) =>
  fetch("https://hooks.test/__control", { method: "POST", body: JSON.stringify(c) });
const received = async () =>
  (await (await fetch("https://hooks.test/__received")).json()) as Array<{ headers: Record<string, string>; body: string }>;

beforeEach(async () => {
  await control({ reset: true });
});

async function waitFor<T>(f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

/** Waits for the queue's consumer (it runs by itself here) to settle the job's deliveries. */
async function settled(jobId: string, count = 1) {
  for (let i = 0; i < 100; i++) {
    const rows = (await env.DB.prepare("SELECT state FROM webhook_deliveries WHERE job_id = ?").bind(jobId).all<{ state: string }>())
      .results;
    if (rows.length >= count && rows.every((r) => r.state !== "pending")) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("deliveries still pending");
}

async function hookedJob(owner: string, progressEvery: number | null = null) {
  const id = await insertJob(owner);
  const t = tracker(env, id);
  await t.register(id, DEFAULT_SETTINGS, undefined, { user_id: owner, url: HOOK, progress_every: progressEvery });
  await t.planning();
  await t.start({ page_count: 4, chunks: [1, 2, 3, 4].map((p) => ({ first_page: p, last_page: p })), estimated_tokens: 100 });
  return { id, t };
}

describe("webhook URLs", () => {
  it("are checked: https, public; plain http only to the local machine here", async () => {
    const token = await signIn("hookurl@example.com");
    const put = (default_url: string | null) =>
      api("/api/v1/webhooks/settings", {
        method: "PUT",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ default_url }),
      });
    for (const bad of [
      "ftp://example.com/x",
      "http://example.com/hook",
      "https://10.0.0.5/hook",
      "https://192.168.1.2/x",
      "https://169.254.169.254/latest",
      "https://[::1]/x",
      "https://localhost/x",
      "https://metadata.google.internal/x",
      "https://user:pw@example.com/x",
      "not a url",
    ]) {
      const r = await put(bad);
      expect(r.status, bad).toBe(400);
      expect(((await r.json()) as any).error.field).toBe("default_url");
    }
    expect((await (await put("http://127.0.0.1:9999/hook")).json()) as any).toMatchObject({ default_url: "http://127.0.0.1:9999/hook" });
    expect((await (await put("https://example.com/hook")).json()) as any).toMatchObject({ default_url: "https://example.com/hook" });
    const form = new FormData();
    form.set("webhook_url", "https://172.16.0.1/x");
    form.set("pdf_file", new Blob(["%PDF-1.4 x"], { type: "application/pdf" }), "a.pdf");
    const upload = await api("/api/v1/jobs", { method: "POST", headers: bearer(token), body: form });
    expect(upload.status).toBe(400);
    expect(((await upload.json()) as any).error.field).toBe("webhook_url");
  });
});

describe("the signing secret", () => {
  it("is shown in the whsec_ form, stable until rotated, and per user", async () => {
    const a = await signIn("secret-a@example.com");
    const b = await signIn("secret-b@example.com");
    const get = async (t: string) =>
      ((await (await api("/api/v1/webhooks/secret", { headers: bearer(t) })).json()) as any).secret as string;
    const first = await get(a);
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await get(a)).toBe(first);
    expect(await get(b)).not.toBe(first);
    const rotated = ((await (await api("/api/v1/webhooks/secret/rotate", { method: "POST", headers: bearer(a) })).json()) as any).secret;
    expect(rotated).not.toBe(first);
    expect(await get(a)).toBe(rotated);
    // Never stored: nothing in D1 holds it.
    const dump = JSON.stringify((await env.DB.prepare("SELECT * FROM webhook_settings").all()).results);
    expect(dump).not.toContain(rotated.slice(6, 20));
  });
});

describe("deliveries", () => {
  it("a finished job's event arrives signed per Standard Webhooks, once", async () => {
    const owner = "hook-owner";
    const token = await sessionFor(owner);
    const { id, t } = await hookedJob(owner);
    for (const n of [0, 1, 2, 3]) await t.chunkDone(n, result(`Phrase ${n}.`));
    expect((await jobRow(id))!.status).toBe("completed");
    await settled(id);
    const got = await received();
    expect(got).toHaveLength(1);
    const secret = ((await (await api("/api/v1/webhooks/secret", { headers: bearer(token) })).json()) as any).secret;
    const payload = new Webhook(secret).verify(got[0]!.body, got[0]!.headers) as any;
    expect(payload).toMatchObject({ type: "job.completed", data: { id, status: "completed", progress_percent: 100 } });
    // The body is what the OpenAPI document's `webhooks` say a receiver gets.
    const doc = (await (await api("/api/v1/openapi.json")).json()) as any;
    const check = documentValidator(doc, doc.webhooks["job.completed"].post.requestBody.content["application/json"].schema).validate(
      payload,
    );
    expect(check.errors).toEqual([]);
    expect(documentValidator(doc, { $ref: "#/components/schemas/WebhookEvent" }).validate({ ...payload, type: "job.done" }).valid).toBe(
      false,
    );
    expect(got[0]!.headers["webhook-id"]).toBe(`msg_${id}_completed_0`);
    // A tampered body does not verify.
    expect(() => new Webhook(secret).verify(got[0]!.body.replace("completed", "failed"), got[0]!.headers)).toThrow();
    // Delivered: the same message again sends nothing.
    const batch = createMessageBatch("fnt-webhooks", [
      { id: "again", timestamp: new Date(), attempts: 1, body: { delivery_id: `msg_${id}_completed_0` } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["again"]);
    expect(await received()).toHaveLength(1);
    const list = (await (await api(`/api/v1/jobs/${id}/webhooks`, { headers: bearer(token) })).json()) as any;
    expect(list.deliveries).toEqual([
      expect.objectContaining({
        id: `msg_${id}_completed_0`,
        event_type: "job.completed",
        state: "delivered",
        url: HOOK,
        attempts: [expect.objectContaining({ attempt: 1, status: 204, error: null })],
      }),
    ]);
  });

  it("backs off exponentially between tries, at most 3 h apart", () => {
    expect([1, 2, 3, 4, 5].map((n) => webhookRetryDelay(n, 10))).toEqual([10, 20, 40, 80, 160]);
    expect(webhookRetryDelay(20, 10)).toBe(3 * 3600);
  });

  it("a receiver that fails twice then succeeds: one delivery, success after two failures", async () => {
    const owner = "hook-flaky";
    const token = await sessionFor(owner);
    await control({ fail: 2 });
    const { id, t } = await hookedJob(owner);
    await t.cancel();
    await settled(id);
    expect(await received()).toHaveLength(1);
    const [d] = ((await (await api(`/api/v1/jobs/${id}/webhooks`, { headers: bearer(token) })).json()) as any).deliveries;
    expect(d.state).toBe("delivered");
    expect(d.event_type).toBe("job.cancelled");
    expect(d.attempts.map((a: any) => [a.status, a.error])).toEqual([
      [503, "answered 503"],
      [503, "answered 503"],
      [204, null],
    ]);
  });

  it("progress every N percent, when asked; a stranger sees no deliveries", async () => {
    const owner = "hook-progress";
    const { id, t } = await hookedJob(owner, 25);
    for (const n of [0, 1, 2, 3]) await t.chunkDone(n, result(`P${n}.`));
    const types = (
      await env.DB.prepare("SELECT event_type, id FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at, id").bind(id).all<any>()
    ).results;
    expect(types.map((r: any) => r.event_type)).toEqual(["job.progress", "job.progress", "job.progress", "job.completed"]);
    const stranger = await sessionFor("hook-stranger");
    expect((await api(`/api/v1/jobs/${id}/webhooks`, { headers: bearer(stranger) })).status).toBe(404);
  });

  it("an upload's webhook_url (or the user's default) reaches the job", async () => {
    const token = await signIn("hook-default@example.com");
    await api("/api/v1/webhooks/settings", {
      method: "PUT",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ default_url: HOOK, progress_every: 50 }),
    });
    const form = new FormData();
    form.set("pdf_file", new Blob(["%PDF-1.4 x"], { type: "application/pdf" }), "a.pdf");
    const r = await api("/api/v1/jobs", { method: "POST", headers: bearer(token), body: form });
    expect(r.status).toBe(202);
    const { id } = (await r.json()) as any;
    expect((await jobRow(id))!).toMatchObject({ webhook_url: HOOK, webhook_progress_every: 50 });
    const own = new FormData();
    own.set("webhook_url", "https://hooks.test/mine");
    own.set("pdf_file", new Blob(["%PDF-1.4 x"], { type: "application/pdf" }), "a.pdf");
    const { id: id2 } = (await (await api("/api/v1/jobs", { method: "POST", headers: bearer(token), body: own })).json()) as any;
    expect((await jobRow(id2))!).toMatchObject({ webhook_url: "https://hooks.test/mine", webhook_progress_every: null });
    // These two fail to plan ("%PDF-1.4 x" is no document) and say so to their hooks.
    for (const job of [id, id2]) {
      await waitFor(async () => (["failed", "completed"].includes((await jobRow(job))!.status) ? true : undefined));
      await settled(job);
    }
  });

  it("a book sent in parts that never starts still tells its hook: job.cancelled, or job.failed when its upload lapses", async () => {
    const token = await signIn("hook-parts@example.com");
    const secret = ((await (await api("/api/v1/webhooks/secret", { headers: bearer(token) })).json()) as any).secret;
    const create = async () => {
      const r = await api("/api/v1/jobs", {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ parts: 3, webhook_url: HOOK }),
      });
      expect(r.status).toBe(201);
      return ((await r.json()) as any).id as string;
    };
    const events = async () => (await received()).map((m) => new Webhook(secret).verify(m.body, m.headers) as any);

    const cancelled = await create();
    expect((await api(`/api/v1/jobs/${cancelled}/cancel`, { method: "POST", headers: bearer(token) })).status).toBe(200);
    await settled(cancelled);
    expect(await events()).toEqual([
      expect.objectContaining({
        type: "job.cancelled",
        data: expect.objectContaining({ id: cancelled, status: "cancelled", part_count: 3 }),
      }),
    ]);
    expect((await received())[0]!.headers["webhook-id"]).toBe(`msg_${cancelled}_cancelled_0`);

    const lapsed = await create();
    await sweep(env, Date.now() + 2 * 3600_000);
    await settled(lapsed);
    const got = (await events()).filter((e) => e.data.id === lapsed);
    expect(got).toEqual([
      expect.objectContaining({ type: "job.failed", data: expect.objectContaining({ status: "failed", error_code: "upload_incomplete" }) }),
    ]);
    // Ended once: the cron again sends nothing more.
    await sweep(env, Date.now() + 3 * 3600_000);
    expect(
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE job_id = ?").bind(lapsed).first<{ n: number }>())!.n,
    ).toBe(1);
  });
});
