import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChunkMessage, JobResult, PlanMessage } from "../../schema/api";
import worker from "../../worker/index";
import { sourceKey } from "../../worker/jobs/keys";
import { sweep } from "../../worker/jobs/sweep";
import { measurePdf } from "../../worker/pipeline/extract";
import { parsePages } from "../../schema/pages";
import { bookLine, bookPdf } from "../fixtures/book";
import { subsetPdf } from "../../worker/pipeline/scan";
import { bearer, signIn } from "./http";
import { jobRow } from "./jobs";

// Before and after a job (issue 24): the estimate, the `pages` setting, "process again" on the
// stored book, the same book uploaded twice, and the saved export columns. Requests go to the
// Worker with queues that only record; the test runs the plan and chunk consumers itself. The
// workers project prices the local engine at 1 credit per 1,000 tokens, 100 credits a month.

const BOOK_PAGES = 30;
const book = bookPdf(BOOK_PAGES);

/** A queue binding that keeps what is sent. */
function sink<T>() {
  const sent: T[] = [];
  return {
    sent,
    queue: {
      send: async (b: T) => void sent.push(b),
      sendBatch: async (ms: Array<{ body: T }>) => void sent.push(...ms.map((m) => m.body)),
    },
  };
}
const plans = sink<PlanMessage>();
const testEnv = (vars: Record<string, string> = {}) => ({ ...env, PLAN_QUEUE: plans.queue, ...vars }) as unknown as Env;

async function call(path: string, init: RequestInit = {}, vars?: Record<string, string>) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://localhost${path}`, init), testEnv(vars), ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const getJson = async (token: string, path: string) => (await (await call(path, { headers: bearer(token) })).json()) as any;
const postJson = (token: string, path: string, body: unknown, vars?: Record<string, string>) =>
  call(path, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify(body) }, vars);

function form(fields: Record<string, string>, pdf?: Uint8Array) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (pdf) f.append("pdf_file", new Blob([pdf as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), "roman.pdf");
  return f;
}
const upload = async (token: string, fields: Record<string, string> = {}, pdf?: Uint8Array) =>
  call("/api/v1/jobs", { method: "POST", headers: bearer(token), body: form(fields, pdf ?? (await book)) });
const estimateForm = async (token: string, fields: Record<string, string> = {}, pdf?: Uint8Array) =>
  call("/api/v1/estimate", { method: "POST", headers: bearer(token), body: form(fields, pdf ?? (await book)) });

async function deliver<T>(queue: string, bodies: T[], runEnv: Env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `${queue}-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<any>, runEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** Runs a job's plan, then its chunks, through the real consumers. */
async function run(id: string) {
  const chunks = sink<ChunkMessage>();
  await deliver("fnt-plan", [{ job_id: id }], { ...env, CHUNK_QUEUE: chunks.queue } as unknown as Env);
  for (let i = 0; i < chunks.sent.length; i += 10) await deliver("fnt-chunks", chunks.sent.slice(i, i + 10), env);
  return (await jobRow(id))!;
}

async function expectError(res: Response, status: number, code: string, field?: string) {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect({ status: res.status, code: body.error.code, field: body.error.field }).toEqual({ status, code, field });
  return body.error;
}

const uploads = async () => (await env.FILES.list({ prefix: "uploads/" })).objects.map((o) => o.key).sort();
const jobCount = async (owner: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs j JOIN users u ON u.id = j.owner_id WHERE u.email = ?")
    .bind(owner)
    .first<{ n: number }>())!.n;

/** What the book holds on `pages`: its characters of text, as the server and the web app count them. */
async function textOf(pages: string | null) {
  const m = await measurePdf(await book, { pages: pages ? parsePages(pages) : null });
  return m.pages.reduce((n, p) => n + p.chars, 0);
}

describe("POST /api/v1/estimate", () => {
  it("JSON {pages, text_chars}: tokens, credits by engine, time, limits and refusals; nothing stored, no slot taken", async () => {
    const email = "estimate-json@example.com";
    const token = await signIn(email);
    const before = await uploads();
    const res = await postJson(token, "/api/v1/estimate", { pages: 325, text_chars: 709_866 });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toBe("30");
    const e = (await res.json()) as any;
    expect(e).toMatchObject({
      page_count: 325,
      book_page_count: 325,
      scanned: false,
      text_chars: 709_866,
      estimated_tokens: Math.ceil(709_866 / 4),
      engine: "local",
      model: null,
      credits: { local: 177.467 },
      available_credits: 100,
      balance_covers: false,
      fits_limits: true,
    });
    expect(e.seconds_expected).toBeGreaterThan(0);
    expect(e.refusals.map((r: any) => r.code)).toEqual(["insufficient_credits"]);
    // A smaller book is covered; too many pages, or a scan without Gemini, would be refused.
    const small = (await (await postJson(token, "/api/v1/estimate", { pages: 20, text_chars: 40_000 })).json()) as any;
    expect(small).toMatchObject({
      estimated_tokens: 10_000,
      credits: { local: 10 },
      balance_covers: true,
      fits_limits: true,
      refusals: [],
    });
    const long = (await (await postJson(token, "/api/v1/estimate", { pages: 2000, text_chars: 100_000 })).json()) as any;
    expect(long.fits_limits).toBe(false);
    expect(long.refusals.map((r: any) => [r.code, r.field])).toEqual([["too_many_pages", "pages"]]);
    const scan = (await (await postJson(token, "/api/v1/estimate", { pages: 12, text_chars: 30 })).json()) as any;
    expect(scan).toMatchObject({ scanned: true, estimated_tokens: 12 * 800, fits_limits: true });
    expect(scan.refusals.map((r: any) => r.code)).toContain("no_text_layer");

    // Bad bodies: 400 naming the field; a page range where a count is due too.
    await expectError(await postJson(token, "/api/v1/estimate", { text_chars: 10 }), 400, "invalid_field", "pages");
    await expectError(await postJson(token, "/api/v1/estimate", { pages: "10-20", text_chars: 10 }), 400, "invalid_field", "pages");
    await expectError(await postJson(token, "/api/v1/estimate", { pages: 3, text_chars: -1 }), 400, "invalid_field", "text_chars");
    await expectError(
      await postJson(token, "/api/v1/estimate", { pages: 3, text_chars: 1, colour: "red" }),
      400,
      "invalid_field",
      "colour",
    );

    expect(await uploads()).toEqual(before);
    expect(await jobCount(email)).toBe(0);
    expect((await getJson(token, "/api/v1/limits")).jobs_per_hour.remaining).toBe(10);
    expect((await call("/api/v1/estimate", { method: "POST" })).status).toBe(401);
  });

  it("the upload's form: the PDF measured (the pages setting applied), never stored; a range past the end 400", async () => {
    const email = "estimate-form@example.com";
    const token = await signIn(email);
    const before = await uploads();
    const whole = (await (await estimateForm(token)).json()) as any;
    const chars = await textOf(null);
    expect(whole).toMatchObject({
      page_count: BOOK_PAGES,
      book_page_count: BOOK_PAGES,
      scanned: false,
      text_chars: chars,
      estimated_tokens: Math.ceil(chars / 4),
    });
    const some = (await (await estimateForm(token, { pages: "10-20" })).json()) as any;
    const someChars = await textOf("10-20");
    expect(someChars).toBeLessThan(chars / 2);
    expect(some).toMatchObject({
      page_count: 11,
      book_page_count: BOOK_PAGES,
      text_chars: someChars,
      estimated_tokens: Math.ceil(someChars / 4),
      refusals: [],
    });
    // The same numbers from a client that measured the PDF itself.
    const client = (await (
      await postJson(token, "/api/v1/estimate", { pages: 11, book_pages: BOOK_PAGES, text_chars: someChars })
    ).json()) as any;
    expect(client).toMatchObject({
      page_count: 11,
      book_page_count: BOOK_PAGES,
      estimated_tokens: some.estimated_tokens,
      credits: some.credits,
    });

    await expectError(await estimateForm(token, { pages: "25-40" }), 400, "invalid_field", "pages");
    await expectError(await estimateForm(token, { pages: "nine" }), 400, "invalid_field", "pages");
    const notPdf = await call("/api/v1/estimate", {
      method: "POST",
      headers: bearer(token),
      body: form({}, new TextEncoder().encode("plain text")),
    });
    await expectError(notPdf, 415, "unsupported_media_type", "pdf_file");
    expect(await uploads()).toEqual(before);
    expect(await jobCount(email)).toBe(0);
  });

  it("is rate-limited on its own (MAX_ESTIMATES_PER_MINUTE), apart from the jobs of the hour", async () => {
    const token = await signIn("estimate-limit@example.com");
    const vars = { MAX_ESTIMATES_PER_MINUTE: "3" };
    for (let i = 0; i < 3; i++) expect((await postJson(token, "/api/v1/estimate", { pages: 1, text_chars: 100 }, vars)).status).toBe(200);
    const refused = await postJson(token, "/api/v1/estimate", { pages: 1, text_chars: 100 }, vars);
    const e = await expectError(refused, 429, "rate_limited");
    expect(e.message).toMatch(/^At most 3 estimates a minute/);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Uploads still go: estimates took none of the hour's slots.
    expect((await upload(token)).status).toBe(202);
    expect((await getJson(token, "/api/v1/limits")).jobs_per_hour.remaining).toBe(9);
  });
});

describe("the pages setting, process again, the same book twice", () => {
  it("reads and charges only the pages asked for, keeping their numbers; then processes the stored book again, also after the first job is deleted", async () => {
    const email = "pages-rerun@example.com";
    const token = await signIn(email);
    const estimate = (await (await estimateForm(token, { pages: "10-20" })).json()) as any;

    const res = await upload(token, { pages: " 10 - 20 " });
    expect(res.status).toBe(202);
    const first = (await res.json()) as any;
    expect(first).toMatchObject({
      settings: { pages: "10-20" },
      book_page_count: BOOK_PAGES,
      same_source_as: null,
      rerun_of: null,
      source_kept: true,
    });
    expect(first.source_sha256).toMatch(/^[0-9a-f]{64}$/);
    const done = await run(first.id);
    expect(done).toMatchObject({ status: "completed", page_count: 11, book_page_count: BOOK_PAGES });
    // Charged for the 11 pages' text, as estimated; the local engine's tokens are its text's.
    expect(done.actual_tokens).toBe(done.estimated_tokens);
    expect(Math.abs(done.actual_tokens / estimate.estimated_tokens - 1)).toBeLessThan(0.1);
    expect(done.actual_millicredits).toBe(Math.ceil(done.actual_tokens));
    const result = (await getJson(token, `/api/v1/jobs/${first.id}/result`)) as JobResult;
    expect(new Set(result.sentences.map((s) => s.page))).toEqual(new Set(Array.from({ length: 11 }, (_, i) => 10 + i)));
    // Each line names its page; a sentence is on the page its paragraph starts on (it may run on to the next).
    for (const s of result.sentences) {
      const named = Number(/page (\d+),/.exec(s.text)![1]);
      expect(named >= 10 && named <= 20 && s.page <= named, s.text).toBe(true);
    }
    const texts = result.sentences.map((s) => s.text);
    expect(texts).toContain(bookLine(10, 0));
    expect(texts).toContain(bookLine(20, 29));
    expect(texts.some((t) => /page (9|21),/.test(t))).toBe(false);

    // Process again with a length limit: no upload, the same stored file, its own job and charge.
    const storedBefore = await uploads();
    const again = await postJson(token, `/api/v1/jobs/${first.id}/rerun`, { sentence_length_limit: 8 });
    expect(again.status).toBe(202);
    const second = (await again.json()) as any;
    expect(again.headers.get("Location")).toBe(`/api/v1/jobs/${second.id}`);
    expect(second).toMatchObject({
      status: "queued",
      rerun_of: first.id,
      settings: { sentence_length_limit: 8, pages: "10-20" },
      source_sha256: first.source_sha256,
    });
    expect(await uploads()).toEqual(storedBefore);
    expect((await getJson(token, "/api/v1/limits")).jobs_per_hour.remaining).toBe(8);
    const rerun = await run(second.id);
    expect(rerun).toMatchObject({ status: "completed", page_count: 11 });
    expect(rerun.actual_millicredits).toBeGreaterThan(0);
    const ledger = (await getJson(token, "/api/v1/credits/ledger")).entries.filter(
      (e: any) => e.job_id === second.id && e.kind === "settle",
    );
    expect(ledger).toHaveLength(1);
    const cut = (await getJson(token, `/api/v1/jobs/${second.id}/result`)) as JobResult;
    expect(cut.sentences.length).toBeGreaterThan(result.sentences.length);
    // Stored once, whatever the number of jobs on it.
    expect((await getJson(token, "/api/v1/limits")).storage.used_bytes).toBe((await book).byteLength);

    // The whole book ("" or "all"), and a range past its end refused before anything starts.
    await expectError(await postJson(token, `/api/v1/jobs/${second.id}/rerun`, { pages: "25-40" }), 400, "invalid_field", "pages");
    await expectError(
      await postJson(token, `/api/v1/jobs/${second.id}/rerun`, { min_sentence_length: "lots" }),
      400,
      "invalid_field",
      "min_sentence_length",
    );
    // A stranger's job is no job.
    const stranger = await signIn("stranger-rerun@example.com");
    await expectError(await postJson(stranger, `/api/v1/jobs/${first.id}/rerun`, {}), 404, "not_found");

    // Deleting the first job leaves the file to the job processed from it, which can go again.
    expect((await call(`/api/v1/jobs/${first.id}`, { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    expect(await env.FILES.head(sourceKey(first.id))).not.toBeNull();
    const third = (await (await postJson(token, `/api/v1/jobs/${second.id}/rerun`, { settings: { pages: "all" } })).json()) as any;
    expect(third).toMatchObject({ rerun_of: second.id, settings: { pages: null, sentence_length_limit: 8 } });
    expect(await run(third.id)).toMatchObject({ status: "completed", page_count: BOOK_PAGES });

    // The same book uploaded again is answered as usual, and says which job had it.
    const twice = (await (await upload(token)).json()) as any;
    expect(twice.same_source_as).toBe(third.id);
    const other = (await (await upload(token, {}, await bookPdf(3))).json()) as any;
    expect(other.same_source_as).toBeNull();
    // Deleting a job takes the other jobs' links to it away (their own book stays).
    expect((await call(`/api/v1/jobs/${second.id}`, { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    const links = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE same_source_as = ?1 OR rerun_of = ?1")
      .bind(second.id)
      .first<{ n: number }>();
    expect(links!.n).toBe(0);
    expect(((await (await call(`/api/v1/jobs/${third.id}`, { headers: bearer(token) })).json()) as any).rerun_of).toBeNull();

    // Expired by the cron 7 days after the last job on it ended: 410, and the file is gone.
    const old = new Date(Date.now() - 8 * 86_400_000).toISOString();
    await env.DB.prepare("UPDATE jobs SET completed_at = ? WHERE id IN (?, ?)").bind(old, second.id, third.id).run();
    await sweep(env);
    expect(await env.FILES.head(sourceKey(first.id))).toBeNull();
    expect((await getJson(token, `/api/v1/jobs/${third.id}`)).source_kept).toBe(false);
    // (No body at all: the job's own settings.)
    await expectError(await call(`/api/v1/jobs/${third.id}/rerun`, { method: "POST", headers: bearer(token) }), 410, "source_expired");
  });

  it("a page range outside the book or not one is 400 naming pages at upload, nothing kept, the slot given back", async () => {
    const email = "pages-bad@example.com";
    const token = await signIn(email);
    const before = await uploads();
    const outside = await expectError(await upload(token, { pages: "25-40" }), 400, "invalid_field", "pages");
    expect(outside.message).toBe("pages: page 40 is past the end of this book, which has 30 pages.");
    await expectError(await upload(token, { pages: "20-10" }), 400, "invalid_field", "pages");
    await expectError(await upload(token, { pages: "1;2" }), 400, "invalid_field", "pages");
    expect(await uploads()).toEqual(before);
    expect(await jobCount(email)).toBe(0);
    expect((await getJson(token, "/api/v1/limits")).jobs_per_hour.remaining).toBe(10);
  });
});

describe("the pages setting on a book in parts", () => {
  it("in one request: checked against all the parts' pages, read across them; one request a part: checked when the book is read", async () => {
    const token = await signIn("pages-parts@example.com");
    const whole = await book;
    const parts = [await subsetPdf(whole, 0, 15), await subsetPdf(whole, 15, 15)];
    const f = (pages: string) => {
      const body = form({ pages });
      for (const [i, p] of parts.entries())
        body.append("pdf_file", new Blob([p as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), `part-${i + 1}.pdf`);
      return call("/api/v1/jobs", { method: "POST", headers: bearer(token), body });
    };
    await expectError(await f("25-40"), 400, "invalid_field", "pages");
    const res = await f("14-17");
    expect(res.status).toBe(202);
    const job = (await res.json()) as any;
    expect(job).toMatchObject({ part_count: 2, book_page_count: BOOK_PAGES, settings: { pages: "14-17" } });
    expect(await run(job.id)).toMatchObject({ status: "completed", page_count: 4, book_page_count: BOOK_PAGES });
    const named = ((await getJson(token, `/api/v1/jobs/${job.id}/result`)) as JobResult).sentences.map((s) =>
      Number(/page (\d+),/.exec(s.text)![1]),
    );
    expect(new Set(named)).toEqual(new Set([14, 15, 16, 17]));

    // One request a part: no request holds the book, so the range is judged when it is read.
    const created = (await (await postJson(token, "/api/v1/jobs", { parts: 2, filename: "roman.pdf", pages: "25-40" })).json()) as any;
    expect(created.settings.pages).toBe("25-40");
    for (const [i, p] of parts.entries()) {
      const put = await call(`/api/v1/jobs/${created.id}/parts/${i + 1}`, {
        method: "PUT",
        headers: { ...bearer(token), "content-type": "application/pdf" },
        body: p as Uint8Array<ArrayBuffer>,
      });
      expect(put.status).toBe(i === 0 ? 200 : 202);
    }
    const failed = await run(created.id);
    expect(failed).toMatchObject({ status: "failed", error_code: "pages_outside_book" });
    expect(failed.error_message).toContain("page 40 is past the end of this book, which has 30 pages");
  });
});

describe("my saved export columns", () => {
  it("apply to a job's table exports (csv, tsv); columns sent override them; an unknown one is 400", async () => {
    const token = await signIn("columns@example.com");
    const job = (await (await upload(token, { pages: "1-2" })).json()) as any;
    await run(job.id);
    const csv = async (q = "") =>
      (await (await call(`/api/v1/jobs/${job.id}/result?format=csv${q}`, { headers: bearer(token) })).text()).split("\r\n");
    expect((await csv())[0]).toBe("index,sentence,page,chunk,original,word_count,has_verb");
    const put = await call("/api/v1/settings", {
      method: "PUT",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ export_columns: ["page", "sentence", "rank"] }),
    });
    expect(put.status).toBe(200);
    // (Response.text() drops the BOM.) `rank` is a learning set's column: a job's export takes the saved columns it has.
    const lines = await csv();
    expect(lines[0]).toBe("page,sentence");
    expect(lines[1]).toBe(`1,"${bookLine(1, 0)}"`);
    expect((await csv("&columns=index,sentence"))[0]).toBe("index,sentence");
    const tsv = await (await call(`/api/v1/jobs/${job.id}/result?format=tsv`, { headers: bearer(token) })).text();
    expect(tsv.split("\r\n")[0]).toBe("page\tsentence");
    await expectError(
      await call(`/api/v1/jobs/${job.id}/result?format=csv&columns=index,colour`, { headers: bearer(token) }),
      400,
      "invalid_field",
      "columns",
    );
  });
});
