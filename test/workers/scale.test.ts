import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PDFDocument } from "pdf-lib";
import type { ChunkMessage, JobResult, PlanMessage } from "../../schema/api";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { analysisKey, resultKey, scanPagesKey, sourceKey } from "../../worker/jobs/keys";
import type { StoredAnalysis } from "../../worker/learning/stored";
import { createJob, tracker } from "../../worker/jobs/service";
import { RESULT_PART_CHARS, splitForRows, type JobTracker } from "../../worker/jobs/tracker";
import { jobDeliveries } from "../../worker/webhooks/service";
import { BOOK_LINES_PER_PAGE, bookLine, bookPdf } from "../fixtures/book";
import { imagesToPdf } from "../../worker/pipeline/images";
import { makePng } from "../fixtures/images";
import { insertJob, jobRow, startedJob } from "./jobs";

// Issue 14's platform limits, checked on a job the size of a 1,000-page book run through the
// real consumers, tracker and D1 (isolated storage, real migrations):
// - no D1 statement binds more than 100 parameters (D1 refuses more, and so does local D1;
//   every bind is recorded besides, so the largest is asserted even where a failure is caught);
// - no Durable Object row is over 2 MB (every table of the tracker's SQLite measured);
// - queue messages carry ids, never text.

const D1_MAX_PARAMS = 100;
const DO_MAX_ROW_BYTES = 2 * 1000 * 1000;
const PAGES = 1000;

/** Every bind of every D1 statement, whoever makes it (routes, consumers, the Durable Objects). */
const binds = { count: 0, max: 0, sql: "" };
let unpatch = () => {};
beforeAll(() => {
  const proto = Object.getPrototypeOf(env.DB.prepare("SELECT 1")) as { bind: (...values: unknown[]) => unknown };
  const bind = proto.bind;
  proto.bind = function (this: { statement?: string }, ...values: unknown[]) {
    binds.count++;
    if (values.length > binds.max) [binds.max, binds.sql] = [values.length, String(this.statement ?? "")];
    return bind.apply(this, values);
  };
  unpatch = () => void (proto.bind = bind);
});
afterAll(() => unpatch());

/** A queue binding that keeps what is sent instead of sending it. */
function sink<T>() {
  const sent: T[] = [];
  return {
    sent,
    queue: {
      send: async (body: T) => void sent.push(body),
      sendBatch: async (messages: Iterable<{ body: T }>) => void sent.push(...[...messages].map((m) => m.body)),
    },
  };
}

async function deliver<T>(queue: string, bodies: T[], runEnv: Env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `${queue}-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<any>, runEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** The largest row of every table of a Durable Object's SQLite storage, in bytes. */
async function largestRows(stub: DurableObjectStub<JobTracker>): Promise<Record<string, number>> {
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
      .toArray()
      .map((t) => t.name);
    const sizes: Record<string, number> = {};
    for (const table of tables) {
      const columns = sql
        .exec<{ name: string }>(`PRAGMA table_info("${table}")`)
        .toArray()
        .map((c) => c.name);
      const size = columns.map((c) => `coalesce(length(CAST("${c}" AS BLOB)), 0)`).join(" + ");
      sizes[table] = sql.exec<{ m: number | null }>(`SELECT max(${size}) AS m FROM "${table}"`).one().m ?? 0;
    }
    return sizes;
  });
}

describe("a job the size of a 1,000-page book", () => {
  it("the D1 bind recorder sees every statement, so its maximum means something (local D1 refuses 101, as D1 does)", async () => {
    const before = binds.count;
    const many = Array.from({ length: D1_MAX_PARAMS + 1 }, (_, i) => i);
    const maxBefore = binds.max;
    const query = `SELECT count(*) AS n WHERE 1 IN (${many.map(() => "?").join(", ")})`;
    await expect(
      env.DB.prepare(query)
        .bind(...many)
        .first(),
    ).rejects.toThrow(/too many SQL variables/);
    expect(
      await env.DB.prepare(query.replace("?, ", ""))
        .bind(...many.slice(1))
        .first("n"),
    ).toBe(1);
    expect(binds.count).toBe(before + 2);
    expect(binds.max).toBe(D1_MAX_PARAMS + 1);
    [binds.max, binds.sql] = [maxBefore, ""];
  });

  it("completes through the plan and chunk consumers within D1's, the Durable Object's and the queues' limits", async () => {
    const owner = "scale-owner";
    await env.DB.prepare("INSERT OR IGNORE INTO users (id, email, issuer, subject) VALUES (?, ?, 'test', ?)")
      .bind(owner, `${owner}@example.com`, owner)
      .run();
    const pdf = await bookPdf(PAGES);
    const id = crypto.randomUUID();
    await env.FILES.put(sourceKey(id), pdf);
    const plans = sink<PlanMessage>();
    await createJob({ ...env, PLAN_QUEUE: plans.queue } as unknown as Env, {
      id,
      ownerId: owner,
      filename: "gros-livre.pdf",
      size: pdf.byteLength,
      settings: DEFAULT_SETTINGS,
      billing: { owner_id: owner, engine: "local", model: null, rate: 0, pricing_version: "p-test" },
    });

    const chunks = sink<ChunkMessage>();
    const planRun = await deliver("fnt-plan", plans.sent, { ...env, CHUNK_QUEUE: chunks.queue } as unknown as Env);
    expect(planRun.explicitAcks).toHaveLength(1);
    const planned = await jobRow(id);
    expect(planned).toMatchObject({ status: "processing", page_count: PAGES });
    expect(planned!.total_chunks).toBeGreaterThan(100);

    // Queue messages are ids: the plan message and one message per chunk, nothing else.
    const messages = [...plans.sent, ...chunks.sent];
    expect(plans.sent).toEqual([{ job_id: id }]);
    expect(chunks.sent.map((m) => m.chunk)).toEqual(Array.from({ length: planned!.total_chunks }, (_, i) => i));
    for (const m of chunks.sent) expect(Object.keys(m).sort()).toEqual(["chunk", "job_id"]);
    expect(Math.max(...messages.map((m) => JSON.stringify(m).length))).toBeLessThan(100);

    // The chunk consumer, in batches of the queue's max_batch_size (10).
    for (let i = 0; i < chunks.sent.length; i += 10) {
      const run = await deliver("fnt-chunks", chunks.sent.slice(i, i + 10), env);
      expect(run.retryMessages).toEqual([]);
    }
    const done = await jobRow(id);
    expect(done).toMatchObject({ status: "completed", processed_chunks: planned!.total_chunks, failed_chunks: 0 });
    const result = (await (await env.FILES.get(resultKey(id)))!.json()) as JobResult;
    expect(result.sentences.length).toBe(done!.sentence_count);
    expect(result.sentences.length).toBe(PAGES * BOOK_LINES_PER_PAGE);
    expect(result.sentences.at(-1)).toMatchObject({ page: PAGES, text: bookLine(PAGES, BOOK_LINES_PER_PAGE - 1) });
    expect(result.sentences.filter((s) => s.page === PAGES).length).toBeGreaterThan(0);
    // The chunk consumer kept every sentence's lemmas: the tracker wrote them beside the result.
    const analysis = (await (await env.FILES.get(analysisKey(id)))!.json()) as StoredAnalysis;
    expect(analysis.sentences).toHaveLength(result.sentences.length);
    expect(analysis.sentences.every((s) => s !== null)).toBe(true);

    // No D1 statement bound more than 100 parameters, though hundreds were made.
    expect(binds.count).toBeGreaterThan(planned!.total_chunks);
    expect(binds.max, binds.sql).toBeLessThanOrEqual(D1_MAX_PARAMS);

    // No row of the tracker's storage is near 2 MB; the whole result is far bigger.
    const rows = await largestRows(tracker(env, id));
    expect(Object.keys(rows)).toEqual(expect.arrayContaining(["meta", "chunks", "events", "result_parts"]));
    expect(Math.max(...Object.values(rows))).toBeLessThanOrEqual(DO_MAX_ROW_BYTES);
    expect(JSON.stringify(result).length).toBeGreaterThan(DO_MAX_ROW_BYTES);
  }, 240_000);
});

describe("the plan step's bytes", () => {
  it("a single scan: pdf.js gets the bytes as they are, then the file is read again for its page ranges (Gemini)", async () => {
    const pngs = await Promise.all(Array.from({ length: 6 }, (_, i) => makePng(50 + i, 70, "gray", i)));
    const scan = await imagesToPdf(pngs.map((bytes, i) => ({ bytes, type: "png" as const, page: i + 1 })));
    const id = await insertJob("scan-owner");
    await tracker(env, id).register(id, DEFAULT_SETTINGS);
    await env.FILES.put(sourceKey(id), scan);
    const chunks = sink<ChunkMessage>();
    const run = await deliver("fnt-plan", [{ job_id: id }], {
      ...env,
      GEMINI_API_KEY: "test-key",
      CHUNK_QUEUE: chunks.queue,
    } as unknown as Env);
    expect(run.explicitAcks).toHaveLength(1);
    expect(chunks.sent).toEqual([
      { job_id: id, chunk: 0 },
      { job_id: id, chunk: 1 },
    ]);
    for (const n of [0, 1]) {
      const pdf = await PDFDocument.load(await (await env.FILES.get(scanPagesKey(id, n)))!.arrayBuffer());
      expect(pdf.getPages().map((p) => p.getWidth())).toEqual(n === 0 ? [50, 51, 52, 53] : [54, 55]);
    }
    expect((await jobRow(id))!).toMatchObject({ status: "processing", page_count: 6, total_chunks: 2 });
  });
});

describe("a chunk whose result alone is over 2 MB", () => {
  it("is kept in parts, each row under 2 MB, and merged back whole", async () => {
    const { id, t } = await startedJob([
      [1, 1],
      [2, 2],
    ]);
    // One "sentence" of 1.6 M UTF-16 units, ~2.4 MB of UTF-8, and an emoji at each cut.
    const unit = `${`é${"😀"}`.repeat(5)}le long du quai `;
    const huge = unit.repeat(Math.ceil(1_600_000 / unit.length));
    await t.chunkDone(0, { sentences: [{ text: huge, page: 1, paragraph: 0 }], tokens: 0 });
    await t.chunkDone(1, { sentences: [{ text: "Fin.", page: 2, paragraph: 1 }], tokens: 0 });
    const rows = await largestRows(t);
    expect(Math.max(...Object.values(rows))).toBeLessThanOrEqual(DO_MAX_ROW_BYTES);
    expect(rows.result_parts).toBeGreaterThan(0);
    const stored = (await (await env.FILES.get(resultKey(id)))!.json()) as JobResult;
    expect(stored.sentences.map((s) => s.text)).toEqual([huge, "Fin."]);
    expect((await jobRow(id))!.status).toBe("completed");
  });

  it("is cut between code points, never inside one", () => {
    const text = "a😀".repeat(10);
    for (const size of [1, 2, 3, 4, 7]) {
      const parts = splitForRows(text, size);
      expect(parts.join("")).toBe(text);
      for (const p of parts) expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
    }
    expect(splitForRows("court")).toEqual(["court"]);
    expect(RESULT_PART_CHARS * 3).toBeLessThanOrEqual(DO_MAX_ROW_BYTES);
  });
});

describe("large lists in D1 statements", () => {
  it("a job's webhook deliveries are all listed with their attempts, more than 90 of them", async () => {
    const { id } = await startedJob([[1, 1]]);
    const now = new Date().toISOString();
    const n = 130;
    for (let i = 0; i < n; i++) {
      const delivery = `msg_${id}_progress_${i}`;
      await env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, job_id, user_id, event_type, url, payload, state, attempts, created_at) VALUES (?, ?, 'u1', 'job.progress', 'https://hooks.test/', '{}', 'delivered', 1, ?)",
      )
        .bind(delivery, id, new Date(Date.parse(now) + i).toISOString())
        .run();
      await env.DB.prepare("INSERT INTO webhook_attempts (delivery_id, attempt, at, status, latency_ms) VALUES (?, 1, ?, 204, 5)")
        .bind(delivery, now)
        .run();
    }
    const maxBefore = binds.max;
    binds.max = 0;
    const deliveries = await jobDeliveries(env, id);
    expect(deliveries).toHaveLength(n);
    expect(deliveries.every((d) => d.attempts.length === 1)).toBe(true);
    expect(binds.max).toBeGreaterThan(0);
    expect(binds.max).toBeLessThanOrEqual(D1_MAX_PARAMS);
    binds.max = Math.max(binds.max, maxBefore);
  });
});
