import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF, waitOnExecutionContext } from "cloudflare:test";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { chunkKey, scanPagesKey, sourceKey } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { sweep } from "../../worker/jobs/sweep";
import { TEXT_LIMITS } from "../../worker/pipeline/extract";
import { planDocument, release } from "../../worker/pipeline/index";
import { imagesToPdf } from "../../worker/pipeline/images";
import { subsetPdf } from "../../worker/pipeline/scan";
import { makePng } from "../fixtures/images";
import { bearer, signIn } from "./http";
import { insertJob, jobRow } from "./jobs";

// Size limits (MAX_PART_BYTES) and books sent in parts: in one request (pdf_file repeated) or
// one request per part (POST /api/v1/jobs {"parts": N}, then PUT /api/v1/jobs/:id/parts/:n).
// Requests go to the Worker with a low part limit and a plan queue that only records, so
// nothing but the test moves a job.

const MiB = 1024 * 1024;
const LIMIT = MiB;
const enc = new TextEncoder();

const planned: unknown[] = [];
const recorder = (into: unknown[]) => ({
  send: async (b: unknown) => void into.push(b),
  sendBatch: async (ms: Array<{ body: unknown }>) => void into.push(...ms.map((m) => m.body)),
});
const testEnv = (vars: Record<string, string> = {}) =>
  ({ ...env, PLAN_QUEUE: recorder(planned), MAX_PART_BYTES: String(LIMIT), ...vars }) as unknown as Env;

async function call(path: string, init: RequestInit & { duplex?: "half" } = {}, vars: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://localhost${path}`, init as RequestInit), testEnv(vars), ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Bytes that pass for a PDF at the door (the plan is never run on them). */
function fakePdf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  out.set(enc.encode("%PDF-1.7\n"), 0);
  return out;
}

type Entry = [string, string | { data: Uint8Array; filename: string }];
function form(entries: Entry[]): FormData {
  const f = new FormData();
  for (const [k, v] of entries) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([v.data as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), v.filename);
  }
  return f;
}

/** A form's bytes and content type: sent with Content-Length, or streamed without one. */
async function encoded(entries: Entry[]) {
  const r = new Request("http://x/", { method: "POST", body: form(entries) });
  return { type: r.headers.get("content-type")!, bytes: new Uint8Array(await r.arrayBuffer()) };
}
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.slice(i, i + 64 * 1024));
      c.close();
    },
  });
}

const post = (token: string, entries: Entry[], vars?: Record<string, string>) =>
  call("/api/v1/jobs", { method: "POST", headers: bearer(token), body: form(entries) }, vars);
const postJson = (token: string, body: unknown, vars?: Record<string, string>) =>
  call(
    "/api/v1/jobs",
    { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify(body) },
    vars,
  );
const putPart = (
  token: string,
  id: string,
  n: number | string,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
  vars?: Record<string, string>,
) =>
  call(
    `/api/v1/jobs/${id}/parts/${n}`,
    { method: "PUT", headers: { ...bearer(token), "content-type": "application/pdf", ...headers }, body: bytes as Uint8Array<ArrayBuffer> },
    vars,
  );
const getJob = async (token: string, id: string) => (await (await call(`/api/v1/jobs/${id}`, { headers: bearer(token) })).json()) as any;
const limits = async (token: string) => (await (await call("/api/v1/limits", { headers: bearer(token) })).json()) as any;

async function expectError(res: Response, status: number, code: string, field?: string) {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body.error;
}

const keysUnder = async (prefix: string) => (await env.FILES.list({ prefix })).objects.map((o) => o.key).sort();
const allUploads = () => keysUnder("uploads/");

/** The advice every too_large answer gives: the limit, and both ways of sending parts. */
function expectAdvice(message: string) {
  expect(message).toContain("the 1 MB the server can open at once");
  expect(message).toContain("Send the book in parts of at most 1 MB");
  expect(message).toContain("pdf_file repeated");
  expect(message).toContain('{"parts": N}');
  expect(message).toContain("PUT /api/v1/jobs/<id>/parts/<n>");
}

describe("one file over MAX_PART_BYTES is refused at the door", () => {
  it("POST /api/v1/jobs: 413 too_large as the stream passes the limit, with or without Content-Length; nothing kept, slot given back", async () => {
    const token = await signIn("big1@example.com");
    const before = await allUploads();
    const { type, bytes } = await encoded([["pdf_file", { data: fakePdf(LIMIT + 100_000), filename: "gros.pdf" }]]);
    const withLength = await call("/api/v1/jobs", {
      method: "POST",
      headers: { ...bearer(token), "content-type": type },
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    const e = await expectError(withLength, 413, "too_large", "pdf_file");
    expect(e.message).toMatch(/^This PDF is larger than the 1 MB the server can open at once\. /);
    expectAdvice(e.message);
    const streamed = await call("/api/v1/jobs", {
      method: "POST",
      headers: { ...bearer(token), "content-type": type },
      body: streamOf(bytes),
      duplex: "half",
    });
    await expectError(streamed, 413, "too_large", "pdf_file");
    expect(await allUploads()).toEqual(before);
    const l = await limits(token);
    expect(l.jobs_per_hour.remaining).toBe(10);
    // What a client needs to cut a book into parts.
    expect(l.uploads).toEqual({
      max_part_bytes: LIMIT,
      max_upload_bytes: 268_435_456,
      max_parts: 100,
      parts_ttl_seconds: 3600,
      text: {
        max_pages: TEXT_LIMITS.maxPages,
        max_text_chars: TEXT_LIMITS.maxTextChars,
        page_budget: TEXT_LIMITS.pageBudget,
        pages_per_file_mib: TEXT_LIMITS.pagesPerFileMiB,
      },
    });
    // At the limit exactly, it is taken.
    const ok = await post(token, [["pdf_file", { data: fakePdf(LIMIT), filename: "juste.pdf" }]]);
    expect(ok.status).toBe(202);
  });

  it("POST /api/v1/process-pdf-async: 413 too_large by Content-Length before a byte is read, or while streaming", async () => {
    const token = await signIn("big2@example.com");
    const reserve = await call("/api/v1/credits/reserve", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ estimated_tokens: 10 }),
    });
    const { job_id } = (await reserve.json()) as any;
    const { type, bytes } = await encoded([
      ["job_id", job_id],
      ["pdf_file", { data: fakePdf(LIMIT + 200_000), filename: "gros.pdf" }],
    ]);
    // Content-Length says more than a file may be: refused before a byte is read (the body never
    // ends). Through the HTTP front door (SELF), where Content-Length is set: the default limit.
    const declared = 24 * MiB + 200_000;
    const { readable, writable } = new FixedLengthStream(declared);
    const w = writable.getWriter();
    void w.write(bytes.slice(0, 1024));
    const known = await Promise.race([
      SELF.fetch("http://localhost/api/v1/process-pdf-async", {
        method: "POST",
        headers: { ...bearer(token), "content-type": type },
        body: readable,
        duplex: "half",
      } as RequestInit),
      new Promise<Response>((_, reject) => setTimeout(() => reject(new Error("the server waited for the body")), 5000)),
    ]);
    void w.abort().catch(() => undefined);
    const knownError = await expectError(known, 413, "too_large", "pdf_file");
    expect(knownError.message).toContain("Send the book in parts of at most 24 MB");
    const streamed = await call("/api/v1/process-pdf-async", {
      method: "POST",
      headers: { ...bearer(token), "content-type": type },
      body: streamOf(bytes),
      duplex: "half",
    });
    await expectError(streamed, 413, "too_large", "pdf_file");
    expect((await jobRow(job_id))!.status).toBe("reserved");
    expect(await keysUnder(`uploads/${job_id}/`)).toEqual([]);
    expect((await env.FILES.list({ prefix: "uploads/pending-" })).objects).toEqual([]);
  });
});

describe("a book in parts, in one request (pdf_file repeated)", () => {
  it("stores each part as its own object, in order, and the job starts with its parts", async () => {
    const token = await signIn("multi1@example.com");
    const [a, b, c] = [fakePdf(300_000, 1), fakePdf(200_000, 2), fakePdf(100_000, 3)];
    planned.length = 0;
    const res = await post(token, [
      ["pdf_file", { data: a, filename: "livre-1.pdf" }],
      ["sentence_length_limit", "15"],
      ["pdf_file", { data: b, filename: "livre-2.pdf" }],
      ["pdf_file", { data: c, filename: "livre-3.pdf" }],
    ]);
    expect(res.status).toBe(202);
    const job = (await res.json()) as any;
    expect(job).toMatchObject({
      status: "queued",
      original_filename: "livre-1.pdf",
      file_size: 600_000,
      part_count: 3,
      parts_received: 3,
      upload_expires_at: null,
    });
    expect(job.settings.sentence_length_limit).toBe(15);
    expect(planned).toEqual([{ job_id: job.id }]);
    const parts = (await (await call(`/api/v1/jobs/${job.id}/parts`, { headers: bearer(token) })).json()) as any;
    expect(parts).toMatchObject({ part_count: 3, missing: [], upload_expires_at: null });
    expect(parts.parts.map((p: any) => [p.n, p.size, p.filename])).toEqual([
      [1, 300_000, "livre-1.pdf"],
      [2, 200_000, "livre-2.pdf"],
      [3, 100_000, "livre-3.pdf"],
    ]);
    const rows = await env.DB.prepare("SELECT n, key FROM job_parts WHERE job_id = ? ORDER BY n")
      .bind(job.id)
      .all<{ n: number; key: string }>();
    for (const [i, data] of [a, b, c].entries()) {
      const obj = await env.FILES.get(rows.results[i]!.key);
      expect(new Uint8Array(await obj!.arrayBuffer())).toEqual(data);
    }
    // Part 1 goes where a single file would (it is known to be a part only once part 2 begins).
    expect(await keysUnder(`uploads/${job.id}/`)).toEqual([
      `uploads/${job.id}/parts/2.pdf`,
      `uploads/${job.id}/parts/3.pdf`,
      sourceKey(job.id),
    ]);
    expect((await limits(token)).storage.used_bytes).toBe(600_000);
    // Deleting the job removes every part.
    expect((await call(`/api/v1/jobs/${job.id}`, { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    expect(await keysUnder(`uploads/${job.id}/`)).toEqual([]);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM job_parts WHERE job_id = ?").bind(job.id).first<{ n: number }>())!.n).toBe(0);
  });

  it("each part within MAX_PART_BYTES, all within MAX_UPLOAD_BYTES, each a PDF: else refused, nothing kept", async () => {
    const token = await signIn("multi2@example.com");
    const before = await allUploads();
    const over = await post(token, [
      ["pdf_file", { data: fakePdf(1000), filename: "a.pdf" }],
      ["pdf_file", { data: fakePdf(LIMIT + 1), filename: "b.pdf" }],
    ]);
    const e = await expectError(over, 413, "too_large", "pdf_file");
    expect(e.message).toMatch(/^Part 2 \(b\.pdf\) is larger than the 1 MB/);
    const total = await post(
      token,
      [1, 2, 3].map((i): Entry => ["pdf_file", { data: fakePdf(900_000, i), filename: `${i}.pdf` }]),
      { MAX_UPLOAD_BYTES: String(2 * MiB) },
    );
    await expectError(total, 413, "file_too_large", "pdf_file");
    const notPdf = await post(token, [
      ["pdf_file", { data: fakePdf(1000), filename: "a.pdf" }],
      ["pdf_file", { data: enc.encode("GIF89a, not a PDF at all"), filename: "b.pdf" }],
    ]);
    await expectError(notPdf, 415, "unsupported_media_type", "pdf_file");
    const empty = await post(token, [
      ["pdf_file", { data: fakePdf(1000), filename: "a.pdf" }],
      ["pdf_file", { data: new Uint8Array(0), filename: "b.pdf" }],
    ]);
    const emptyError = await expectError(empty, 400, "empty_file", "pdf_file");
    expect(emptyError.message).toBe("Part 2 (b.pdf) is empty.");
    const counted = await post(token, [
      ["parts", "3"],
      ["pdf_file", { data: fakePdf(1000), filename: "a.pdf" }],
      ["pdf_file", { data: fakePdf(1000), filename: "b.pdf" }],
    ]);
    await expectError(counted, 400, "invalid_field", "parts");
    const tooMany = await post(
      token,
      Array.from({ length: 101 }, (_, i): Entry => ["pdf_file", { data: fakePdf(100, i), filename: `${i}.pdf` }]),
    );
    await expectError(tooMany, 413, "too_many_files", "pdf_file");
    expect(await allUploads()).toEqual(before);
    expect((await limits(token)).jobs_per_hour.remaining).toBe(10);
  });

  it("Idempotency-Key: the same parts replay the job; the same parts in another order are another request", async () => {
    const token = await signIn("multi3@example.com");
    const a = fakePdf(5000, 1);
    const b = fakePdf(6000, 2);
    const send = (files: Uint8Array[]) =>
      call("/api/v1/jobs", {
        method: "POST",
        headers: { ...bearer(token), "idempotency-key": "parts-1" },
        body: form(files.map((data, i): Entry => ["pdf_file", { data, filename: `p${i}.pdf` }])),
      });
    const first = await send([a, b]);
    expect(first.status).toBe(202);
    const again = await send([a, b]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as any).id).toBe(((await first.json()) as any).id);
    await expectError(await send([b, a]), 422, "idempotency_key_reused");
  });
});

describe("a book in parts, one request each", () => {
  it("POST {parts: N} creates a job waiting for its parts; settings and webhook fields are given there", async () => {
    const token = await signIn("parts1@example.com");
    planned.length = 0;
    const res = await postJson(token, {
      parts: 3,
      filename: "C:\\livres\\Deux ans de vacances.pdf",
      sentence_length_limit: 12,
      fix_hyphenation: false,
      webhook_url: "https://hooks.test/parts",
    });
    expect(res.status).toBe(201);
    const job = (await res.json()) as any;
    expect(res.headers.get("location")).toBe(`/api/v1/jobs/${job.id}`);
    expect(res.headers.get("ratelimit-remaining")).toBe("9");
    expect(job).toMatchObject({
      status: "uploading",
      current_step: "waiting for 3 parts",
      original_filename: "Deux ans de vacances.pdf",
      file_size: 0,
      part_count: 3,
      parts_received: 0,
      settings: { sentence_length_limit: 12, fix_hyphenation: false },
    });
    const ttl = Date.parse(job.upload_expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(3590_000);
    expect(ttl).toBeLessThanOrEqual(3600_000);
    expect(planned).toEqual([]);
    expect((await jobRow(job.id))!.webhook_url).toBe("https://hooks.test/parts");
    // A form without a file says the same with a `parts` field.
    const viaForm = await post(token, [
      ["parts", "2"],
      ["min_sentence_length", "3"],
    ]);
    expect(viaForm.status).toBe(201);
    expect((await viaForm.json()) as any).toMatchObject({
      status: "uploading",
      part_count: 2,
      original_filename: "upload.pdf",
      settings: { min_sentence_length: 3 },
    });
  });

  it("refuses a bad number of parts or a bad setting, naming the field", async () => {
    const token = await signIn("parts2@example.com");
    for (const parts of [1, 0, 101, 2.5, "trois", null]) {
      await expectError(await postJson(token, { parts }), 400, "invalid_field", "parts");
    }
    await expectError(await postJson(token, {}), 400, "invalid_field", "parts");
    await expectError(await postJson(token, { parts: 2, sentence_length_limit: -1 }), 400, "invalid_field", "sentence_length_limit");
    await expectError(await postJson(token, { parts: 2, colour: "red" }), 400, "invalid_field", "colour");
    await expectError(await post(token, [["parts", "1"]]), 400, "invalid_field", "parts");
    await expectError(await post(token, [["sentence_length_limit", "3"]]), 400, "missing_file", "pdf_file");
    await expectError(
      await call("/api/v1/jobs", { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: "[1]" }),
      400,
      "invalid_json",
    );
    expect((await limits(token)).jobs_per_hour.remaining).toBe(10);
  });

  it("PUT stores part n, a part sent again replaces it, and the last missing part starts the job", async () => {
    const token = await signIn("parts3@example.com");
    const { id } = (await (await postJson(token, { parts: 3 })).json()) as any;
    planned.length = 0;

    const second = await putPart(token, id, 2, fakePdf(4000, 2), { "content-disposition": 'attachment; filename="tome-2.pdf"' });
    expect(second.status).toBe(200);
    const s = (await second.json()) as any;
    expect(s.part).toMatchObject({ n: 2, size: 4000, filename: "tome-2.pdf" });
    expect(s.part.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s).toMatchObject({ part_count: 3, missing: [1, 3] });
    expect(s.job).toMatchObject({ status: "uploading", parts_received: 1, file_size: 4000 });
    const firstKeys = await keysUnder(`uploads/${id}/parts/`);
    expect(firstKeys).toHaveLength(1);

    // Sent again: replaced (one file, the new bytes), still one part received.
    const again = await putPart(token, id, 2, fakePdf(5000, 9));
    expect(again.status).toBe(200);
    const a = (await again.json()) as any;
    expect(a.part).toMatchObject({ n: 2, size: 5000, filename: "part-2.pdf" });
    expect(a.part.sha256).not.toBe(s.part.sha256);
    expect(a.job).toMatchObject({ parts_received: 1, file_size: 5000 });
    const keys = await keysUnder(`uploads/${id}/parts/`);
    expect(keys).toHaveLength(1);
    expect(keys).not.toEqual(firstKeys);
    expect(new Uint8Array(await (await env.FILES.get(keys[0]!))!.arrayBuffer())).toEqual(fakePdf(5000, 9));

    expect((await putPart(token, id, 1, fakePdf(3000, 1))).status).toBe(200);
    expect(planned).toEqual([]);
    const last = await putPart(token, id, 3, fakePdf(2000, 3));
    expect(last.status).toBe(202);
    const l = (await last.json()) as any;
    expect(l.job).toMatchObject({ status: "queued", parts_received: 3, file_size: 10_000, upload_expires_at: null });
    expect(l.missing).toEqual([]);
    expect(planned).toEqual([{ job_id: id }]);
    expect(await tracker(env, id).status()).toEqual({ status: "queued", total: 0 });
    // Started: it takes no more parts.
    await expectError(await putPart(token, id, 3, fakePdf(2000, 3)), 409, "job_not_uploading");
    expect(planned).toEqual([{ job_id: id }]);
    expect((await limits(token)).jobs_per_hour.remaining).toBe(9); // counted once
  });

  it("answers 400 for a part number out of range, 404 for a stranger's job, 409 for a job not taking parts, 415/400/413 for bad bodies", async () => {
    const token = await signIn("parts4@example.com");
    const stranger = await signIn("parts4-stranger@example.com");
    const { id } = (await (await postJson(token, { parts: 2 })).json()) as any;
    for (const n of [0, 3, -1, "x", "1.5"]) await expectError(await putPart(token, id, n, fakePdf(100)), 400, "invalid_part", "n");
    await expectError(await putPart(stranger, id, 1, fakePdf(100)), 404, "not_found");
    await expectError(await putPart(token, crypto.randomUUID(), 1, fakePdf(100)), 404, "not_found");
    expect((await call(`/api/v1/jobs/${id}/parts`, { headers: bearer(stranger) })).status).toBe(404);

    const before = await allUploads();
    const multipart = await call(`/api/v1/jobs/${id}/parts/1`, {
      method: "PUT",
      headers: bearer(token),
      body: form([["pdf_file", { data: fakePdf(100), filename: "a.pdf" }]]),
    });
    await expectError(multipart, 415, "unsupported_media_type", "body");
    await expectError(await putPart(token, id, 1, enc.encode("not a pdf, just words")), 415, "unsupported_media_type", "body");
    await expectError(await putPart(token, id, 1, new Uint8Array(0)), 400, "empty_file", "body");
    const big = fakePdf(LIMIT + 1);
    const known = await putPart(token, id, 1, big, { "content-length": String(big.length) });
    const e = await expectError(known, 413, "too_large", "body");
    expect(e.message).toMatch(/^Part 1 is 1(\.0)? MB, more than the 1 MB/);
    const streamed = await call(`/api/v1/jobs/${id}/parts/1`, {
      method: "PUT",
      headers: { ...bearer(token), "content-type": "application/pdf" },
      body: streamOf(big),
      duplex: "half",
    });
    expectAdvice((await expectError(streamed, 413, "too_large", "body")).message);
    // The parts together stay within MAX_UPLOAD_BYTES.
    expect((await putPart(token, id, 1, fakePdf(700_000))).status).toBe(200);
    await expectError(await putPart(token, id, 2, fakePdf(700_000), {}, { MAX_UPLOAD_BYTES: String(MiB) }), 413, "file_too_large", "body");
    expect(await allUploads()).toHaveLength(before.length + 1);
    expect((await getJob(token, id)).parts_received).toBe(1);

    // A job sent as one file takes no parts.
    const single = (await (await post(token, [["pdf_file", { data: fakePdf(1000), filename: "a.pdf" }]])).json()) as any;
    await expectError(await putPart(token, single.id, 1, fakePdf(100)), 409, "job_not_uploading");
  });

  it("cancelling a job waiting for parts deletes them; it then takes none", async () => {
    const token = await signIn("parts5@example.com");
    const { id } = (await (await postJson(token, { parts: 2 })).json()) as any;
    expect((await putPart(token, id, 1, fakePdf(1000))).status).toBe(200);
    const cancelled = (await (await call(`/api/v1/jobs/${id}/cancel`, { method: "POST", headers: bearer(token) })).json()) as any;
    expect(cancelled).toMatchObject({ status: "cancelled" });
    expect(await keysUnder(`uploads/${id}/`)).toEqual([]);
    await expectError(await putPart(token, id, 2, fakePdf(1000)), 409, "job_not_uploading");
    expect((await limits(token)).storage.used_bytes).toBe(0);
  });

  it("an incomplete upload expires: the cron fails it upload_incomplete, deletes its parts and gives its slot back", async () => {
    const token = await signIn("parts6@example.com");
    const { id } = (await (await postJson(token, { parts: 3 })).json()) as any;
    expect((await putPart(token, id, 2, fakePdf(3000))).status).toBe(200);
    expect((await limits(token)).jobs_per_hour.remaining).toBe(9);
    expect((await limits(token)).storage.used_bytes).toBe(3000);
    // Not yet: each part moves the deadline on by PARTS_TTL_SECONDS.
    await sweep(env, Date.now() + 30 * 60_000);
    expect((await jobRow(id))!.status).toBe("uploading");
    await sweep(env, Date.now() + 61 * 60_000);
    const row = (await jobRow(id))!;
    expect(row).toMatchObject({ status: "failed", error_code: "upload_incomplete" });
    expect(row.error_message).toBe(
      "Only 1 of the 3 parts arrived before the upload expired, so the job did not start and the parts sent were deleted. Create the job again and send every part.",
    );
    expect(row.uploads_expired_at).not.toBeNull();
    expect(await keysUnder(`uploads/${id}/`)).toEqual([]);
    expect(await limits(token)).toMatchObject({ jobs_per_hour: { remaining: 10 }, storage: { used_bytes: 0 } });
    await expectError(await putPart(token, id, 1, fakePdf(1000)), 410, "upload_expired");
  });

  it("a part sent after the deadline, before the cron, ends the upload there: 410", async () => {
    const token = await signIn("parts7@example.com");
    const { id } = (await (await postJson(token, { parts: 2 })).json()) as any;
    expect((await putPart(token, id, 1, fakePdf(1000))).status).toBe(200);
    await env.DB.prepare("UPDATE jobs SET upload_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(id).run();
    await expectError(await putPart(token, id, 2, fakePdf(1000)), 410, "upload_expired");
    expect((await jobRow(id))!).toMatchObject({ status: "failed", error_code: "upload_incomplete" });
    expect(await keysUnder(`uploads/${id}/`)).toEqual([]);
  });
});

// ---- the plan step ---------------------------------------------------------------------

/** A text book made here (no corpus inside workerd): a running head, page numbers, paragraphs over page breaks. */
async function textBook(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  for (let p = 1; p <= pages; p++) {
    const page = doc.addPage([400, 600]);
    page.drawText("LES PARTIES DU LIVRE", { x: 140, y: 570, size: 9, font });
    for (let line = 0; line < 30; line++) {
      const indent = line % 7 === 0 ? 15 : 0;
      const end = line % 7 === 6 ? "." : "";
      page.drawText(`La nuit tombait sur le quai ${p}-${line} et il marchait lentement${end}`, {
        x: 30 + indent,
        y: 540 - line * 14,
        size: 9,
        font,
      });
    }
    page.drawText(String(p), { x: 195, y: 30, size: 9, font });
  }
  return doc.save();
}

/** Pages from..to (1-based) of a PDF, as a PDF of their own. */
const cut = (bytes: Uint8Array, from: number, to: number) => subsetPdf(bytes, from - 1, to - from + 1);

/** Runs the plan consumer on a job; returns the chunk messages it would send. */
async function plan(id: string, vars: Record<string, string> = {}) {
  const sent: unknown[] = [];
  const batch = createMessageBatch("fnt-plan", [{ id: "p0", timestamp: new Date(), attempts: 1, body: { job_id: id } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<any>, { ...testEnv(vars), CHUNK_QUEUE: recorder(sent) } as unknown as Env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.explicitAcks).toEqual(["p0"]);
  return sent;
}

const storedChunk = async (id: string, n: number) => (await (await env.FILES.get(chunkKey(id, n)))!.json()) as any;

describe("planning a book sent in parts", () => {
  it("reads the parts one after another as one book: pages numbered across, the same chunks as the book sent whole", async () => {
    const token = await signIn("plan1@example.com");
    const book = await textBook(9);
    const parts = [await cut(book, 1, 4), await cut(book, 5, 7), await cut(book, 8, 9)];
    const { id } = (await (await postJson(token, { parts: 3, filename: "quai.pdf" })).json()) as any;
    // In any order.
    for (const n of [3, 1, 2]) expect((await putPart(token, id, n, parts[n - 1]!)).status).toBe(n === 2 ? 202 : 200);
    const sent = await plan(id, { CHUNK_CHARS: "3000" });
    const whole = await planDocument(book, { fixHyphenation: true, maxChunkChars: 3000 });
    expect(whole.chunks.length).toBeGreaterThan(2);
    expect(sent).toEqual(whole.chunks.map((c) => ({ job_id: id, chunk: c.index })));
    for (const c of whole.chunks) expect(await storedChunk(id, c.index)).toEqual(c);
    expect(whole.paragraphs.map((p) => p.text).join(" ")).not.toContain("LES PARTIES DU LIVRE");
    expect(whole.chunks.at(-1)!.last_page).toBe(9);
    expect((await jobRow(id))!).toMatchObject({ status: "processing", page_count: 9, total_chunks: whole.chunks.length });
  });

  it("a scan in parts (Gemini): page ranges cut within each part, numbered across, never spanning two", async () => {
    const token = await signIn("plan2@example.com");
    const pngs = await Promise.all(Array.from({ length: 9 }, (_, i) => makePng(60 + i, 80, "gray", i)));
    const scan = (from: number, to: number) =>
      imagesToPdf(pngs.slice(from - 1, to).map((bytes, i) => ({ bytes, type: "png" as const, page: from + i })));
    const parts = [await scan(1, 3), await scan(4, 9)];
    const res = await post(
      token,
      parts.map((data, i): Entry => ["pdf_file", { data, filename: `scan-${i + 1}.pdf` }]),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const sent = await plan(id, { GEMINI_API_KEY: "test-key" });
    expect(sent).toHaveLength(3);
    const ranges = [];
    for (let n = 0; n < 3; n++) {
      const c = await storedChunk(id, n);
      expect(c).toMatchObject({ index: n, scan: true, paragraphs: [] });
      ranges.push([c.first_page, c.last_page]);
      const pdf = await PDFDocument.load(await (await env.FILES.get(scanPagesKey(id, n)))!.arrayBuffer());
      // Each range's PDF holds its own pages: widths 60 + (page - 1).
      expect(pdf.getPages().map((p) => p.getWidth())).toEqual(
        Array.from({ length: c.last_page - c.first_page + 1 }, (_, k) => 60 + c.first_page - 1 + k),
      );
    }
    expect(ranges).toEqual([
      [1, 3],
      [4, 7],
      [8, 9],
    ]);
    expect((await jobRow(id))!).toMatchObject({ status: "processing", page_count: 9, total_chunks: 3 });
  });

  it("workerd frees a part's bytes at once: release empties bytes read from R2, and what was stored stays whole", async () => {
    const data = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    await env.FILES.put("release-probe", data);
    release(data); // as planScan does once a range is stored
    expect(data.byteLength).toBe(0);
    const bytes = new Uint8Array(await (await env.FILES.get("release-probe"))!.arrayBuffer());
    expect(bytes.byteLength).toBe(256 * 1024);
    expect(bytes[1000]).toBe(1000 % 251);
    release(bytes);
    expect(bytes.byteLength).toBe(0);
    expect((await env.FILES.get("release-probe"))!.size).toBe(256 * 1024);
    await env.FILES.delete("release-probe");
  });

  it("a stored file or part over MAX_PART_BYTES fails the job too_large before any PDF reader opens it", async () => {
    // A single file stored under a larger limit (or before there was one).
    const single = await insertJob("plan3");
    await tracker(env, single).register(single, DEFAULT_SETTINGS);
    await env.FILES.put(sourceKey(single), fakePdf(LIMIT + 10));
    expect(await plan(single)).toEqual([]);
    const row = (await jobRow(single))!;
    expect(row).toMatchObject({ status: "failed", error_code: "too_large" });
    expect(row.error_message).toMatch(/^This PDF is 1(\.0)? MB, more than the 1 MB the server can open at once\. Send the book in parts/);

    // A part: the same, naming it.
    const token = await signIn("plan4@example.com");
    const { id } = (await (await postJson(token, { parts: 2 })).json()) as any;
    expect((await putPart(token, id, 1, fakePdf(2000))).status).toBe(200);
    expect((await putPart(token, id, 2, fakePdf(500_000), {}, { MAX_PART_BYTES: String(2 * MiB) })).status).toBe(202);
    expect(await plan(id, { MAX_PART_BYTES: "100000" })).toEqual([]);
    const parted = (await jobRow(id))!;
    expect(parted).toMatchObject({ status: "failed", error_code: "too_large" });
    expect(parted.error_message).toMatch(/^Part 2 of this book is 0\.48 MB, more than the 0\.095 MB the server can open at once\./);
  });

  it("a book over the text limits in parts is refused as a whole: its parts' pages are all held at once", async () => {
    const token = await signIn("plan6@example.com");
    const book = await textBook(9);
    const res = await post(token, [
      ["pdf_file", { data: await cut(book, 1, 4), filename: "a.pdf" }],
      ["pdf_file", { data: await cut(book, 5, 9), filename: "b.pdf" }],
    ]);
    const { id } = (await res.json()) as any;
    // The same object the plan step reads, lowered for this job: each part within 8 pages, the book not.
    const saved = { ...TEXT_LIMITS };
    Object.assign(TEXT_LIMITS, { maxPages: 8 });
    try {
      expect(await plan(id)).toEqual([]);
    } finally {
      Object.assign(TEXT_LIMITS, saved);
    }
    const row = (await jobRow(id))!;
    expect(row).toMatchObject({ status: "failed", error_code: "too_many_pages" });
    expect(row.error_message).toMatch(/^Part 2 of 2: This book has at least 9 pages; the server reads at most 8 pages of text in one job/);
  });

  it("a damaged part fails the job, naming the part", async () => {
    const token = await signIn("plan5@example.com");
    const good = await textBook(2);
    const res = await post(token, [
      ["pdf_file", { data: good, filename: "a.pdf" }],
      ["pdf_file", { data: fakePdf(3000), filename: "b.pdf" }],
    ]);
    const { id } = (await res.json()) as any;
    expect(await plan(id)).toEqual([]);
    const row = (await jobRow(id))!;
    expect(row).toMatchObject({ status: "failed", error_code: "invalid_pdf" });
    expect(row.error_message).toMatch(/^Part 2 of 2: This file could not be read as a PDF/);
  });
});
