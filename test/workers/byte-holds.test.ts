import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { BYTE_HOLD_MS } from "../../worker/credits/account";
import { creditAccount } from "../../worker/credits/service";
import { bearer, sessionFor } from "./http";

// Upload bytes are held in the user's CreditAccount while they stream (issue 22): parts and
// uploads sent at once cannot all find the same room under MAX_UPLOAD_BYTES or the storage
// quota. Requests go to the Worker with low limits and a plan queue that only records.

const enc = new TextEncoder();
const noQueue = { send: async () => undefined, sendBatch: async () => undefined };

async function call(path: string, init: RequestInit, vars: Record<string, string>) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://localhost${path}`, init),
    { ...env, PLAN_QUEUE: noQueue, ...vars } as unknown as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

function fakePdf(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  out.set(enc.encode("%PDF-1.7\n"), 0);
  return out;
}

async function partsJob(token: string, parts: number, vars: Record<string, string>): Promise<string> {
  const res = await call(
    "/api/v1/jobs",
    { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify({ parts }) },
    vars,
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Every part of the job sent at once; what each answered. */
async function sendAll(token: string, id: string, count: number, size: number, vars: Record<string, string>) {
  const answers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const body = fakePdf(size, i + 1);
      const headers = { ...bearer(token), "content-type": "application/pdf", "content-length": String(body.length) };
      const res = await call(`/api/v1/jobs/${id}/parts/${i + 1}`, { method: "PUT", headers, body }, vars);
      const json = (await res.json()) as { error?: { code: string; field?: string } };
      return { status: res.status, code: json.error?.code ?? null, field: json.error?.field ?? null };
    }),
  );
  const accepted = answers.filter((a) => a.status === 200 || a.status === 202);
  const refused = answers.filter((a) => a.status !== 200 && a.status !== 202);
  return { accepted: accepted.length, refused };
}

const job = (id: string) =>
  env.DB.prepare("SELECT parts_received, file_size FROM jobs WHERE id = ?").bind(id).first<{ parts_received: number; file_size: number }>();

describe("upload bytes held atomically", () => {
  it("100 parts sent at once never hold more than MAX_UPLOAD_BYTES together; the rest are 413 file_too_large", async () => {
    const token = await sessionFor("holds-job");
    const vars = { MAX_UPLOAD_BYTES: "200000", MAX_JOBS_PER_HOUR: "100" };
    const id = await partsJob(token, 100, vars);
    const { accepted, refused } = await sendAll(token, id, 100, 5_000, vars);
    expect(accepted * 5_000).toBeLessThanOrEqual(200_000);
    // Each hold is let go once its part is stored: the room is used to the last part that fits.
    expect(accepted).toBe(40);
    expect(new Set(refused.map((r) => `${r.status} ${r.code} ${r.field}`))).toEqual(new Set(["413 file_too_large body"]));
    expect(await job(id)).toEqual({ parts_received: 40, file_size: 200_000 });
    expect((await env.FILES.list({ prefix: `uploads/${id}/` })).objects).toHaveLength(40);
  });

  it("parts sent at once stay within the storage quota; the rest are 413 storage_quota_exceeded", async () => {
    const token = await sessionFor("holds-quota");
    const vars = { STORAGE_QUOTA_BYTES: "120000", MAX_JOBS_PER_HOUR: "100" };
    const id = await partsJob(token, 100, vars);
    const { accepted, refused } = await sendAll(token, id, 100, 5_000, vars);
    expect(accepted * 5_000).toBeLessThanOrEqual(120_000);
    expect(accepted).toBe(24);
    expect(new Set(refused.map((r) => `${r.status} ${r.code}`))).toEqual(new Set(["413 storage_quota_exceeded"]));
    expect((await job(id))!.file_size).toBe(120_000);
  });

  it("uploads sent at once stay within the storage quota", async () => {
    const token = await sessionFor("holds-uploads");
    const vars = { STORAGE_QUOTA_BYTES: "30000", MAX_JOBS_PER_HOUR: "100" };
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const form = new FormData();
        form.append("pdf_file", new Blob([fakePdf(5_000, i + 1)], { type: "application/pdf" }), `b${i}.pdf`);
        const req = new Request("http://x/", { method: "POST", body: form });
        const body = new Uint8Array(await req.arrayBuffer());
        const headers = { ...bearer(token), "content-type": req.headers.get("content-type")!, "content-length": String(body.length) };
        const res = await call("/api/v1/jobs", { method: "POST", headers, body }, vars);
        return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code ?? null };
      }),
    );
    const accepted = answers.filter((a) => a.status === 202).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted * 5_000).toBeLessThanOrEqual(30_000);
    expect(answers.filter((a) => a.status !== 202).map((a) => `${a.status} ${a.code}`)).toEqual(
      Array(12 - accepted).fill("413 storage_quota_exceeded"),
    );
    const used = await env.DB.prepare("SELECT COALESCE(SUM(file_size), 0) AS n FROM jobs WHERE owner_id = 'holds-uploads'").first<{
      n: number;
    }>();
    expect(used!.n).toBeLessThanOrEqual(30_000);
  });

  it("a hold counts until it is settled or released, and lapses if its request never ends", async () => {
    const account = creditAccount(env, "holds-direct");
    const t0 = Date.now();
    const ask = async (key: string, want: number, ticket: number, user_used = 0, at = t0) =>
      account.holdBytes({ key, job_id: "j", want, exact: true, ticket, user_used, quota: 1_000 }, at);
    const first = await account.byteTicket();
    expect(await ask("a", 600, first)).toMatchObject({ ok: true, bytes: 600, tighter: null });
    expect(await ask("b", 600, first)).toMatchObject({ ok: false, limit: "quota", used: 600 });
    // Released: its room is free again.
    await account.releaseBytes("a");
    expect(await ask("b", 600, first)).toMatchObject({ ok: true, bytes: 600 });
    // Settled (its bytes now in D1): still counted for a ticket taken before, not for one after.
    await account.settleBytes("b", 600, t0);
    expect(await ask("c", 600, first)).toMatchObject({ ok: false, limit: "quota" });
    const after = await account.byteTicket();
    expect(after).toBeGreaterThan(first);
    expect(await ask("c", 600, after, 600)).toMatchObject({ ok: false, limit: "quota", used: 600 });
    expect(await ask("c", 400, after, 600)).toMatchObject({ ok: true, bytes: 400 });
    // A hold whose request never ended lapses after BYTE_HOLD_MS.
    expect(await ask("d", 1_000, after, 0, t0 + BYTE_HOLD_MS - 1)).toMatchObject({ ok: false });
    expect(await ask("d", 1_000, after, 0, t0 + BYTE_HOLD_MS + 1)).toMatchObject({ ok: true, bytes: 1_000 });
  });
});
