import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { creditAccount, grantCredits, type Billing } from "../../worker/credits/service";
import { sweep } from "../../worker/jobs/sweep";
import { tracker } from "../../worker/jobs/service";
import { api, bearer, sessionFor, signIn } from "./http";
import { insertJob, jobRow, result, textPdf } from "./jobs";

// The workers project prices the local engine at 1 credit per 1,000 tokens (vitest.config.ts),
// with a monthly allowance of 100 credits, so every job here costs something.

const json = (token: string, body: unknown) => ({
  method: "POST",
  headers: { ...bearer(token), "content-type": "application/json" },
  body: JSON.stringify(body),
});

const credits = async (token: string) => (await (await api("/api/v1/credits", { headers: bearer(token) })).json()) as any;
const ledger = async (token: string, q = "") => (await (await api(`/api/v1/credits/ledger${q}`, { headers: bearer(token) })).json()) as any;

function form(fields: [string, string | { data: Uint8Array; filename: string }][]) {
  const f = new FormData();
  for (const [k, v] of fields) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v.data as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), v.filename);
  }
  return f;
}

/** Runs the plan consumer on a job; returns the chunk messages it would send. */
async function plan(id: string) {
  const sent: unknown[] = [];
  const queue = {
    send: async (b: unknown) => void sent.push(b),
    sendBatch: async (ms: Array<{ body: unknown }>) => void sent.push(...ms.map((m) => m.body)),
  };
  const batch = createMessageBatch("fnt-plan", [{ id: "p0", timestamp: new Date(), attempts: 1, body: { job_id: id } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<any>, { ...env, CHUNK_QUEUE: queue } as unknown as Env, ctx);
  await getQueueResult(batch, ctx);
  return sent;
}

const billing = (owner: string, rate = 1): Billing => ({ owner_id: owner, engine: "local", model: null, rate, pricing_version: "p-test" });

describe("GET /api/v1/credits", () => {
  it("starts each user with the monthly allowance and shows the prices", async () => {
    const token = await signIn("newcomer@example.com");
    const c = await credits(token);
    expect(c).toMatchObject({ balance: 100, reserved: 0, available: 100, monthly_allowance: 100 });
    expect(Date.parse(c.period_end) - Date.now()).toBeGreaterThan(27 * 86_400_000);
    expect(c.pricing_version).toMatch(/^p-[0-9a-f]{8}$/);
    expect(c.prices.local).toBe(1);
    const l = await ledger(token);
    expect(l.entries.map((e: any) => [e.kind, e.credits, e.note])).toEqual([["grant", 100, "monthly allowance"]]);
    expect((await api("/api/v1/credits")).status).toBe(401);
  });
});

describe("a job's life in credits", () => {
  it("reserves the plan's estimate, settles at what was used and releases the rest", async () => {
    const owner = "bill1";
    const token = await sessionFor(owner);
    const id = await insertJob(owner);
    const t = tracker(env, id);
    await t.register(id, DEFAULT_SETTINGS, billing(owner));
    await t.planning();
    expect(
      await t.start({
        page_count: 2,
        chunks: [
          { first_page: 1, last_page: 1, tokens: 6_000 },
          { first_page: 2, last_page: 2, tokens: 4_000 },
        ],
        estimated_tokens: 10_000,
      }),
    ).toBe(true);
    expect(await credits(token)).toMatchObject({ balance: 100, reserved: 10, available: 90 });
    expect((await jobRow(id))!.estimated_millicredits).toBe(10_000);
    await t.chunkDone(0, result("Un."));
    await t.chunkFailed(1, "broken");
    const row = (await jobRow(id))!;
    expect(row.status).toBe("partial");
    expect(row.actual_millicredits).toBe(6_000); // a partial job pays for the chunk it got
    expect(await credits(token)).toMatchObject({ balance: 94, reserved: 0, available: 94 });
    const l = await ledger(token);
    expect(l.entries.map((e: any) => [e.kind, e.credits, e.job_id])).toEqual([
      ["release", 4, id],
      ["settle", -6, id],
      ["reserve", 10, id],
      ["grant", 100, null],
    ]);
    const job = (await (await api(`/api/v1/jobs/${id}`, { headers: bearer(token) })).json()) as any;
    expect(job).toMatchObject({ estimated_credits: 10, actual_credits: 6, pricing_version: "p-test", pricing_rate: 1 });

    // Deleted, the job leaves the ledger its amounts and dates, not its id; the credits stay spent.
    expect((await api(`/api/v1/jobs/${id}`, { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    const after = await ledger(token);
    expect(after.entries.map((e: any) => [e.kind, e.credits, e.job_id, e.at])).toEqual(
      l.entries.map((e: any) => [e.kind, e.credits, null, e.at]),
    );
    expect(await credits(token)).toMatchObject({ balance: 94, reserved: 0, available: 94 });
  });

  it("a job that needs more than is available ends insufficient_credits before any work, charging nothing", async () => {
    const owner = "bill2";
    const token = await sessionFor(owner);
    const id = await insertJob(owner);
    const t = tracker(env, id);
    await t.register(id, DEFAULT_SETTINGS, billing(owner));
    await t.planning();
    const started = await t.start({
      page_count: 300,
      chunks: [{ first_page: 1, last_page: 300, tokens: 150_000 }],
      estimated_tokens: 150_000,
    });
    expect(started).toBe(false);
    const row = (await jobRow(id))!;
    expect(row.status).toBe("failed");
    expect(row.error_code).toBe("insufficient_credits");
    expect(row.error_message).toBe("Not enough credits for this book: it needs about 150 credits and 100 are available.");
    expect(row.actual_millicredits).toBe(0);
    expect(await t.pendingChunks()).toEqual([]);
    expect(await credits(token)).toMatchObject({ balance: 100, reserved: 0, available: 100 });
    expect((await ledger(token)).entries.map((e: any) => e.kind)).toEqual(["grant"]);
  });

  it("a cancelled job pays only for what it used; a free engine never touches the ledger", async () => {
    const owner = "bill3";
    const token = await sessionFor(owner);
    const id = await insertJob(owner);
    const t = tracker(env, id);
    await t.register(id, DEFAULT_SETTINGS, billing(owner));
    await t.planning();
    await t.start({
      page_count: 2,
      chunks: [
        { first_page: 1, last_page: 1, tokens: 2_000 },
        { first_page: 2, last_page: 2, tokens: 3_000 },
      ],
      estimated_tokens: 5_000,
    });
    await t.chunkDone(0, result("Un."));
    await t.cancel();
    expect((await jobRow(id))!.actual_millicredits).toBe(2_000);
    expect(await credits(token)).toMatchObject({ balance: 98, reserved: 0 });

    const free = await insertJob(owner);
    const f = tracker(env, free);
    await f.register(free, DEFAULT_SETTINGS, billing(owner, 0));
    await f.planning();
    await f.start({ page_count: 1, chunks: [{ first_page: 1, last_page: 1, tokens: 9_000_000 }], estimated_tokens: 9_000_000 });
    await f.chunkDone(0, result("Un."));
    expect((await jobRow(free))!).toMatchObject({ status: "completed", actual_millicredits: 0, estimated_millicredits: 0 });
    expect((await ledger(token)).entries).toHaveLength(4); // grant, reserve, settle, release of the first job only
  });

  it("a Gemini job that uses more than its estimate reserves more before a chunk, and stops with insufficient_credits when it cannot", async () => {
    const owner = "bill-gemini";
    const token = await sessionFor(owner);
    const id = await insertJob(owner);
    const t = tracker(env, id);
    await t.register(id, DEFAULT_SETTINGS, { ...billing(owner), engine: "gemini", model: "gemini-2.5-flash" });
    await t.planning();
    await t.start({
      page_count: 3,
      chunks: [1, 2, 3].map((p) => ({ first_page: p, last_page: p, tokens: 20_000 })),
      estimated_tokens: 60_000,
    });
    expect(await credits(token)).toMatchObject({ reserved: 60 });
    expect((await t.shouldProcess(0, "w0")).process).toBe(true);
    await t.spent(0, 30_000); // a refusal: paid for
    await t.chunkDone(0, { ...result("Un."), tokens: 25_000 });
    // 55,000 used + 20,000 for chunk 1 is past the 60 held: the rest of the book is reserved at its estimate.
    expect((await t.shouldProcess(1, "w1")).process).toBe(true);
    expect(await credits(token)).toMatchObject({ reserved: 95 });
    await t.chunkDone(1, { ...result("Deux."), tokens: 40_000 });
    // 95,000 used + 20,000 for chunk 2: the account (100) cannot hold it, so chunk 2 is not started.
    expect(await t.shouldProcess(2, "w2")).toEqual({ process: false, reason: "insufficient credits" });
    const row = (await jobRow(id))!;
    expect(row).toMatchObject({
      status: "partial",
      error_code: "insufficient_credits",
      actual_tokens: 95_000,
      actual_millicredits: 95_000,
    });
    expect(row.error_message).toMatch(/credits ran out/);
    expect(JSON.parse(row.failed_pages)).toEqual([3]);
    expect(await credits(token)).toMatchObject({ balance: 5, reserved: 0 });
  });

  it("the plan consumer reserves the estimate of a real upload", async () => {
    const token = await signIn("planned@example.com");
    const res = await api("/api/v1/jobs", {
      method: "POST",
      headers: bearer(token),
      body: form([["pdf_file", { data: await textPdf(3), filename: "quai.pdf" }]]),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const sent = await plan(id);
    expect(sent.length).toBeGreaterThan(0);
    const row = (await jobRow(id))!;
    expect(row.estimated_tokens).toBeGreaterThan(1_000);
    expect(row.estimated_millicredits).toBe(row.estimated_tokens); // 1 credit per 1,000 tokens
    expect((await credits(token)).reserved).toBe(row.estimated_tokens / 1000);
  });
});

describe("20 reservations at once with credit for 5", () => {
  it("exactly 5 succeed, and the balance is never spent twice", async () => {
    const account = creditAccount(env, "racer");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => account.reserve(`race-${i}`, 20_000)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    const s = await account.summary();
    expect(s).toMatchObject({ balance: 100_000, reserved: 100_000, available: 0 });
    const refused = results.find((r) => !r.ok)!;
    expect(refused).toMatchObject({ ok: false, reason: "insufficient", needed: 20_000, available: 0 });
  });

  it("through the API too: concurrent reservations never overdraw", async () => {
    const token = await signIn("api-racer@example.com");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api("/api/v1/credits/reserve", json(token, { estimated_tokens: 30_000 }))),
    );
    const codes = answers.map((r) => r.status).sort();
    expect(codes).toEqual([201, 201, 201, 402, 402, 402, 402, 402]);
    expect(await credits(token)).toMatchObject({ reserved: 90, available: 10 });
  });
});

describe("the original tool's API", () => {
  it("reserve → process-pdf-async → the job runs with its reservation adjusted to the plan", async () => {
    const token = await signIn("legacy@example.com");
    const r = await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 40_000 }));
    expect(r.status).toBe(201);
    const reserved = (await r.json()) as any;
    expect(Object.keys(reserved).sort()).toEqual(["available", "estimated_credits", "expires_at", "job_id", "reserved_credits"]);
    expect(reserved).toMatchObject({ estimated_credits: 40, reserved_credits: 40, available: 60 });
    expect(Date.parse(reserved.expires_at) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(r.headers.get("ratelimit-limit")).toBe("10");
    const job = (await (await api(`/api/v1/jobs/${reserved.job_id}`, { headers: bearer(token) })).json()) as any;
    expect(job).toMatchObject({ status: "reserved", estimated_credits: 40, estimated_tokens: 40_000 });

    const pdf = await textPdf(2);
    const p = await api("/api/v1/process-pdf-async", {
      method: "POST",
      headers: bearer(token),
      body: form([
        ["job_id", reserved.job_id],
        ["sentence_length_limit", "20"],
        ["pdf_file", { data: pdf, filename: "quai.pdf" }],
      ]),
    });
    expect(p.status).toBe(202);
    expect(await p.json()).toEqual({
      job_id: reserved.job_id,
      task_id: reserved.job_id,
      status: "pending",
      message: "PDF processing started",
    });
    const queued = (await jobRow(reserved.job_id))!;
    expect(queued).toMatchObject({ status: "queued", original_filename: "quai.pdf", file_size: pdf.length });
    expect(JSON.parse(queued.settings).sentence_length_limit).toBe(20);
    await plan(reserved.job_id);
    const planned = (await jobRow(reserved.job_id))!;
    expect(planned.status).toBe("processing");
    expect((await credits(token)).reserved).toBe(planned.estimated_millicredits / 1000); // replaced, not added
    const again = await api("/api/v1/process-pdf-async", {
      method: "POST",
      headers: bearer(token),
      body: form([
        ["job_id", reserved.job_id],
        ["pdf_file", { data: pdf, filename: "quai.pdf" }],
      ]),
    });
    expect(again.status).toBe(409);
  });

  it("takes job_id after the file too, and refuses strangers, lapsed and missing ids", async () => {
    const token = await signIn("legacy2@example.com");
    const stranger = await signIn("legacy-stranger@example.com");
    const pdf = await textPdf(1);
    const reserve = async () =>
      ((await (await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 1_000 }))).json()) as any).job_id;
    const send = (t: string, fields: [string, string | { data: Uint8Array; filename: string }][]) =>
      api("/api/v1/process-pdf-async", { method: "POST", headers: bearer(t), body: form(fields) });

    const late = await reserve();
    const ok = await send(token, [
      ["pdf_file", { data: pdf, filename: "a.pdf" }],
      ["job_id", late],
    ]);
    expect(ok.status).toBe(202);
    expect(await env.FILES.head(`uploads/${late}/source.pdf`)).not.toBeNull();
    expect((await env.FILES.list({ prefix: "uploads/pending-" })).objects).toEqual([]);

    const theirs = await reserve();
    expect(
      (
        await send(stranger, [
          ["job_id", theirs],
          ["pdf_file", { data: pdf, filename: "a.pdf" }],
        ])
      ).status,
    ).toBe(404);
    expect(
      (
        await send(stranger, [
          ["pdf_file", { data: pdf, filename: "a.pdf" }],
          ["job_id", theirs],
        ])
      ).status,
    ).toBe(404);
    expect((await env.FILES.list({ prefix: "uploads/pending-" })).objects).toEqual([]);
    const missing = await send(token, [["pdf_file", { data: pdf, filename: "a.pdf" }]]);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.field).toBe("job_id");

    await env.DB.prepare("UPDATE jobs SET reservation_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(theirs).run();
    const lapsed = await send(token, [
      ["job_id", theirs],
      ["pdf_file", { data: pdf, filename: "a.pdf" }],
    ]);
    expect(lapsed.status).toBe(410);
    expect(((await lapsed.json()) as any).error.code).toBe("reservation_expired");
  });

  it("validates estimated_tokens and gemini_model, naming the field", async () => {
    const token = await signIn("legacy3@example.com");
    for (const bad of [{}, { estimated_tokens: 0 }, { estimated_tokens: -5 }, { estimated_tokens: 1.5 }, { estimated_tokens: "100" }]) {
      const r = await api("/api/v1/credits/reserve", json(token, bad));
      expect(r.status).toBe(400);
      expect(((await r.json()) as any).error.field).toBe("estimated_tokens");
    }
    const model = await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 10, gemini_model: "gpt-4" }));
    expect(model.status).toBe(400);
    expect(((await model.json()) as any).error.field).toBe("gemini_model");
    expect((await ledger(token)).entries.map((e: any) => e.kind)).toEqual(["grant"]);
  });

  it("the cron lets an unused reservation lapse and gives the credits back", async () => {
    const token = await signIn("lapse@example.com");
    const { job_id } = (await (await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 25_000 }))).json()) as any;
    expect((await credits(token)).available).toBe(75);
    await sweep(env, Date.now() + 31 * 60_000);
    expect((await jobRow(job_id))!).toMatchObject({ status: "failed", error_code: "reservation_expired" });
    expect(await credits(token)).toMatchObject({ reserved: 0, available: 100 });
    expect((await ledger(token)).entries[0]).toMatchObject({ kind: "release", credits: 25, job_id });
  });

  it("the local cron route (npm start's) runs the same sweep, only with LOCAL_CRON_TOKEN", async () => {
    const token = await signIn("localcron@example.com");
    const { job_id } = (await (await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 5_000 }))).json()) as any;
    await env.DB.prepare("UPDATE jobs SET reservation_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(job_id).run();
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
      const r = await api("/api/__local/scheduled", { method: "POST", headers });
      expect(r.status).toBe(404);
    }
    expect((await jobRow(job_id))!.status).toBe("reserved");
    const ran = await api("/api/__local/scheduled", { method: "POST", headers: { authorization: `Bearer ${env.LOCAL_CRON_TOKEN}` } });
    expect(ran.status).toBe(200);
    expect((await jobRow(job_id))!).toMatchObject({ status: "failed", error_code: "reservation_expired" });
  });

  it("cancelling a reserved job gives its credits back", async () => {
    const token = await signIn("unreserve@example.com");
    const { job_id } = (await (await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 5_000 }))).json()) as any;
    const r = await api(`/api/v1/jobs/${job_id}/cancel`, { method: "POST", headers: bearer(token) });
    expect(((await r.json()) as any).status).toBe("cancelled");
    expect(await credits(token)).toMatchObject({ reserved: 0, available: 100 });
  });

  it("GET /api/v1/health answers like /api/health", async () => {
    const a = (await (await api("/api/health")).json()) as any;
    const b = (await (await api("/api/v1/health")).json()) as any;
    expect(b).toEqual(a);
  });
});

describe("limits", () => {
  it("402 at upload for a priced engine with nothing available", async () => {
    const token = await signIn("broke@example.com");
    expect((await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 100_000 }))).status).toBe(201);
    const r = await api("/api/v1/jobs", {
      method: "POST",
      headers: bearer(token),
      body: form([["pdf_file", { data: await textPdf(1), filename: "a.pdf" }]]),
    });
    expect(r.status).toBe(402);
    expect(((await r.json()) as any).error.code).toBe("insufficient_credits");
  });

  it("at most MAX_JOBS_PER_HOUR new jobs, then 429 with Retry-After and RateLimit headers", async () => {
    const token = await signIn("busy@example.com");
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 1 }));
      expect(r.status).toBe(201);
      seen.push(r.headers.get("ratelimit-remaining")!);
    }
    expect(seen).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]);
    const over = await api("/api/v1/jobs", {
      method: "POST",
      headers: bearer(token),
      body: form([["pdf_file", { data: await textPdf(1), filename: "a.pdf" }]]),
    });
    expect(over.status).toBe(429);
    expect(((await over.json()) as any).error.code).toBe("rate_limited");
    const retry = Number(over.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(3500);
    expect(retry).toBeLessThanOrEqual(3600);
    expect(over.headers.get("ratelimit-limit")).toBe("10");
    expect(over.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(over.headers.get("ratelimit-reset"))).toBe(retry);
    expect((await api("/api/v1/credits/reserve", json(token, { estimated_tokens: 1 }))).status).toBe(429);
    const limits = (await (await api("/api/v1/limits", { headers: bearer(token) })).json()) as any;
    expect(limits.jobs_per_hour).toMatchObject({ limit: 10, remaining: 0 });
  });

  it("a refused upload gives its slot back", async () => {
    const token = await signIn("refused@example.com");
    const bad = await api("/api/v1/jobs", {
      method: "POST",
      headers: bearer(token),
      body: form([["pdf_file", { data: new TextEncoder().encode("not a pdf"), filename: "a.pdf" }]]),
    });
    expect(bad.status).toBe(415);
    const limits = (await (await api("/api/v1/limits", { headers: bearer(token) })).json()) as any;
    expect(limits.jobs_per_hour.remaining).toBe(10);
  });

  it("storage quota: 413 before the body when Content-Length tells, nothing kept when streamed; deleting frees space", async () => {
    const token = await signIn("hoarder@example.com");
    const me = ((await (await api("/api/v1/me", { headers: bearer(token) })).json()) as any).user.id;
    // An old job holding nearly the whole quota (500 MB by default).
    const big = await insertJob(me, "completed");
    await env.DB.prepare("UPDATE jobs SET file_size = ? WHERE id = ?")
      .bind(524_288_000 - 2_000, big)
      .run();
    const pdf = await textPdf(4);
    expect(pdf.length).toBeGreaterThan(2_000);
    const body = form([["pdf_file", { data: pdf, filename: "more.pdf" }]]);
    const known = new Request("http://localhost/api/v1/jobs", { method: "POST", headers: bearer(token), body });
    // Content-Length says 200 kB: refused before a byte is read (the body never even ends).
    const { readable, writable } = new FixedLengthStream(200_000);
    const w = writable.getWriter();
    void w.write(new Uint8Array(1024));
    const withLength = await Promise.race([
      api("/api/v1/jobs", {
        method: "POST",
        headers: { ...bearer(token), "content-type": known.headers.get("content-type")! },
        body: readable,
        duplex: "half",
      } as RequestInit),
      new Promise<Response>((_, reject) => setTimeout(() => reject(new Error("the server waited for the body")), 5000)),
    ]);
    void w.abort().catch(() => undefined);
    expect(withLength.status).toBe(413);
    const e = ((await withLength.json()) as any).error;
    expect(e.code).toBe("storage_quota_exceeded");
    expect(e.message).toContain("500.0 MB");
    // Streamed, no length: refused once the bytes pass the quota, and nothing of it stays.
    const bytes = new Uint8Array(await known.clone().arrayBuffer());
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 4096) c.enqueue(bytes.slice(i, i + 4096));
        c.close();
      },
    });
    const streamed = await api("/api/v1/jobs", {
      method: "POST",
      headers: { ...bearer(token), "content-type": known.headers.get("content-type")! },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as any).error.code).toBe("storage_quota_exceeded");
    const jobs = ((await (await api("/api/v1/jobs", { headers: bearer(token) })).json()) as any).jobs;
    expect(jobs.map((j: any) => j.id)).toEqual([big]);
    const limits = (await (await api("/api/v1/limits", { headers: bearer(token) })).json()) as any;
    expect(limits.storage).toEqual({ used_bytes: 524_288_000 - 2_000, quota_bytes: 524_288_000 });

    expect((await api(`/api/v1/jobs/${big}`, { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    const after = await api("/api/v1/jobs", {
      method: "POST",
      headers: bearer(token),
      body: form([["pdf_file", { data: pdf, filename: "more.pdf" }]]),
    });
    expect(after.status).toBe(202);
  });
});

describe("operators", () => {
  it("grant credits to a user, on the ledger with the note", async () => {
    const token = await signIn("lucky@example.com");
    const userId = ((await (await api("/api/v1/me", { headers: bearer(token) })).json()) as any).user.id;
    const s = await grantCredits(env, userId, 12.5, "support ticket 42");
    expect(s.balance).toBe(112_500);
    expect((await ledger(token)).entries[0]).toMatchObject({
      kind: "grant",
      credits: 12.5,
      note: "support ticket 42",
      balance_after: 112.5,
    });
    await expect(grantCredits(env, userId, 0, "nothing")).rejects.toThrow();
  });

  it("pages the ledger newest first", async () => {
    const token = await signIn("pager@example.com");
    const userId = ((await (await api("/api/v1/me", { headers: bearer(token) })).json()) as any).user.id;
    for (let i = 1; i <= 5; i++) await grantCredits(env, userId, i, `g${i}`);
    const first = await ledger(token, "?limit=2");
    expect(first.entries.map((e: any) => e.note)).toEqual(["g5", "g4"]);
    const second = await ledger(token, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.entries.map((e: any) => e.note)).toEqual(["g3", "g2"]);
    const third = await ledger(token, `?limit=2&cursor=${second.next_cursor}`);
    expect(third.entries.map((e: any) => e.note)).toEqual(["g1", "monthly allowance"]);
    expect(third.next_cursor).toBeNull();
    expect((await api("/api/v1/credits/ledger?cursor=abc", { headers: bearer(token) })).status).toBe(400);
  });
});

describe("a new period", () => {
  it("expires what is left of the allowance and grants the next", async () => {
    const account = creditAccount(env, "renewer");
    await account.reserve("r1", 30_000);
    await account.settle("r1", 30_000);
    const later = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const s = await account.summary(later);
    expect(s).toMatchObject({ balance: 100_000, available: 100_000, monthly_allowance: 100_000 });
    expect(s.period_end > later).toBe(true);
    const page = await account.ledger(null, 10);
    expect(page.entries.slice(0, 2).map((e) => [e.kind, e.amount])).toEqual([
      ["grant", 100_000],
      ["expire", -70_000],
    ]);
  });
});
