import { eq } from "drizzle-orm";
import { ChunkMessageSchema, PlanMessageSchema, type ChunkMessage, type PlanMessage } from "../../schema/api";
import { jobs } from "../../schema/db";
import { JobSettingsSchema, type JobSettings } from "../../schema/settings";
import { PipelineError } from "../pipeline/errors";
import { GeminiNormalizer, type GeminiOptions } from "../pipeline/gemini";
import { GeminiError } from "../pipeline/gemini-errors";
import { planDocument, release } from "../pipeline/index";
import { LocalNormalizer } from "../pipeline/local";
import { pageRanges, type PageRange } from "../pipeline/scan";
import type { Chunk, Normalizer } from "../pipeline/types";
import { enqueueChunks } from "./chunk-queue";
import { db } from "./db";
import { chunkKey, scanPagesKey, sourceKey } from "./keys";
import { imageRanges, loadPageImages } from "./page-images";
import { geminiLimiter } from "./rate-limiter";
import { errorClass, recordAttempt, type Outcome } from "../ops/attempts";
import { keepDeadLetter } from "../ops/dead-letters";
import { heartbeat } from "../ops/state";
import { planParts, refuseOversized } from "./plan-parts";
import { tracker } from "./service";
import { withAnalysis } from "../learning/analyse";
import { parsePages } from "../../schema/pages";
import { SCAN_TOKENS_PER_PAGE, textTokens } from "../pipeline/tokens";

/** Attempts a chunk gets before it is declared failed: `max_retries` (4) in wrangler.toml + 1. */
export const CHUNK_MAX_ATTEMPTS = 5;
/** Attempts the plan step gets: `max_retries` (3) + 1. */
export const PLAN_MAX_ATTEMPTS = 4;
/** Messages of one batch worked on at once. */
const CHUNK_CONCURRENCY = 4;
/** Times a chunk may wait for a rate limit (ours or Gemini's 429) before waits count as attempts. */
const MAX_DEFERRALS = 30;
/** Pages of a scan that Gemini reads in one chunk. */
export const SCAN_PAGES_PER_CHUNK = 4;
/** Bytes of page images in one chunk (fewer pages when they are big), bounding the plan step's memory. */
const SCAN_CHUNK_IMAGE_BYTES = 16 * 1024 * 1024;
/** A scan's paragraphs are numbered per chunk (the book's count is unknown before it is read). */
const SCAN_PARAGRAPH_STRIDE = 1000;

/** Exponential backoff with jitter for queue retries (no sleeping inside a Worker). */
export function backoffSeconds(attempts: number, base: number): number {
  const exp = base * 2 ** Math.max(0, attempts - 1);
  return Math.min(300, Math.round(exp + Math.random() * base));
}

const retryBase = (env: Env) => Number(env.RETRY_BASE_SECONDS ?? 2);

export async function handlePlanBatch(batch: MessageBatch<PlanMessage>, env: Env): Promise<void> {
  await heartbeat(env, batch.queue);
  for (const msg of batch.messages) await planOne(msg, env);
}

async function planOne(msg: Message<PlanMessage>, env: Env) {
  const parsed = PlanMessageSchema.safeParse(msg.body);
  if (!parsed.success) return msg.ack(); // not ours: nothing could ever process it
  const jobId = parsed.data.job_id;
  const t = tracker(env, jobId);
  try {
    const row = await db(env.DB).select().from(jobs).where(eq(jobs.id, jobId)).get();
    if (!row) return msg.ack(); // deleted meanwhile
    if (!(await t.planning())) return msg.ack(); // cancelled before it began
    const settings = JobSettingsSchema.parse(JSON.parse(row.settings));
    const pages = settings.pages ? parsePages(settings.pages) : null;
    // A book sent in parts is read part by part (its part 1 may sit where a single file would).
    if (row.part_count) {
      await planParts(env, t, row, settings);
      return msg.ack();
    }
    // A job processed again reads the files uploaded with the job they came with.
    const src = row.source_job_id ?? jobId;
    const obj = await env.FILES.get(sourceKey(src));
    const images = obj ? null : await loadPageImages(env.FILES, src);
    if (images) {
      if (!env.GEMINI_API_KEY) {
        await t.fail(
          "no_text_layer",
          "These page images have no text layer. Text recognition needs the Gemini engine, which is not configured on this server.",
        );
        return msg.ack();
      }
      await planScan(env, t, jobId, imageRanges(env.FILES, images, SCAN_PAGES_PER_CHUNK, SCAN_CHUNK_IMAGE_BYTES, pages), images.length);
      return msg.ack();
    }
    if (!obj) {
      if (row.source_job_id) await t.fail("source_expired", SOURCE_GONE);
      else await t.fail("file_missing", "The uploaded file could not be found. Please upload it again.");
      return msg.ack();
    }
    // Its size (R2's record) before pdf.js or pdf-lib sees a byte of it.
    if (!(await refuseOversized(env, t, obj.size))) {
      await obj.body.cancel();
      return msg.ack();
    }
    // Handed over to pdf.js, so the file is held once while it is read (a scan reads it again).
    const plan = await planDocument(new Uint8Array(await obj.arrayBuffer()), {
      fixHyphenation: settings.fix_hyphenation,
      maxChunkChars: Number(env.CHUNK_CHARS ?? 12000),
      handOver: true,
      pages,
    }).catch((e: unknown) => {
      // A scan has no text to cut into paragraphs: with Gemini on, its pages are read instead.
      if (e instanceof PipelineError && e.code === "no_text_layer" && env.GEMINI_API_KEY) return null;
      throw e;
    });
    if (!plan) {
      const again = await env.FILES.get(sourceKey(src));
      if (!again) throw new Error("the uploaded file vanished while it was read");
      await planScan(env, t, jobId, pageRanges(new Uint8Array(await again.arrayBuffer()), SCAN_PAGES_PER_CHUNK, { handOver: true, pages }));
      return msg.ack();
    }
    await putAll(
      env,
      plan.chunks.map((c) => [chunkKey(jobId, c.index), JSON.stringify(c)] as const),
    );
    await startChunks(env, t, jobId, plan.chunks, plan.pageCount, plan.bookPages);
    msg.ack();
  } catch (err) {
    if (err instanceof PipelineError) {
      await t.fail(err.code, err.message);
      return msg.ack();
    }
    if (msg.attempts >= PLAN_MAX_ATTEMPTS) {
      console.error("plan failed for good", jobId, err);
      await t.fail("processing_error", "The upload could not be read because of an internal error. Please try again.");
      return msg.ack();
    }
    console.warn("plan attempt failed, retrying", jobId, msg.attempts, String(err));
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, retryBase(env)) });
  }
}

/** Why a job processed again cannot read its book. */
export const SOURCE_GONE = "The book's stored file is no longer kept (uploads are kept 7 days after their last job ended). Please upload it again.";

/**
 * Pages to be read by Gemini (a scanned PDF, or page images), a chunk per page range,
 * each range stored as its own small PDF; ranges come one at a time. `bookPages`: the book's
 * pages, when known.
 */
export async function planScan(env: Env, t: ReturnType<typeof tracker>, jobId: string, ranges: AsyncIterable<PageRange>, bookPages?: number) {
  const chunks: Chunk[] = [];
  for await (const r of ranges) {
    const n = chunks.length;
    const { first_page, last_page } = r;
    const chunk: Chunk = { index: n, first_paragraph: n * SCAN_PARAGRAPH_STRIDE, paragraphs: [], first_page, last_page, scan: true };
    await env.FILES.put(scanPagesKey(jobId, n), r.pdf);
    release(r.pdf); // stored: freed now rather than piled up with the next ranges until a GC
    await env.FILES.put(chunkKey(jobId, n), JSON.stringify(chunk));
    chunks.push(chunk);
  }
  const read = chunks.reduce((n, c) => n + c.last_page - c.first_page + 1, 0);
  await startChunks(env, t, jobId, chunks, read, bookPages);
}

/** Tokens a chunk is estimated at: ~4 characters a token for text, 800 a page for a scan. */
export function chunkTokens(c: Chunk): number {
  if (c.scan) return (c.last_page - c.first_page + 1) * SCAN_TOKENS_PER_PAGE;
  return textTokens(c.paragraphs.reduce((s, p) => s + p.text.length, 0));
}

/** Hands the stored chunks to the tracker, then to the queue unless the job has ended meanwhile. */
export async function startChunks(
  env: Env,
  t: ReturnType<typeof tracker>,
  jobId: string,
  chunks: readonly Chunk[],
  pageCount: number,
  bookPageCount?: number,
) {
  const tokens = chunks.map(chunkTokens);
  const started = await t.start({
    page_count: pageCount,
    ...(bookPageCount === undefined ? {} : { book_page_count: bookPageCount }),
    chunks: chunks.map((c, i) => ({ first_page: c.first_page, last_page: c.last_page, tokens: tokens[i] })),
    estimated_tokens: tokens.reduce((a, b) => a + b, 0),
  });
  if (started) await enqueueChunks(env, jobId, chunks.map((c) => c.index));
}

export async function putAll(env: Env, entries: ReadonlyArray<readonly [string, string]>) {
  for (let i = 0; i < entries.length; i += 8) {
    await Promise.all(entries.slice(i, i + 8).map(([k, v]) => env.FILES.put(k, v)));
  }
}

/** Gemini when a key is configured (GEMINI_BASE_URL overrides its endpoint), else the local rules. */
export function normalizerFor(env: Env, settings: JobSettings, beforeCall?: GeminiOptions["beforeCall"]): Normalizer {
  if (!env.GEMINI_API_KEY) return new LocalNormalizer();
  return new GeminiNormalizer({
    apiKey: env.GEMINI_API_KEY,
    baseUrl: env.GEMINI_BASE_URL || undefined,
    model: settings.gemini_model,
    beforeCall,
  });
}

export async function handleChunkBatch(batch: MessageBatch<ChunkMessage>, env: Env): Promise<void> {
  await heartbeat(env, batch.queue);
  const queue = [...batch.messages];
  const worker = async () => {
    for (let msg = queue.shift(); msg; msg = queue.shift()) await chunkOne(msg, env);
  };
  await Promise.all(Array.from({ length: Math.min(CHUNK_CONCURRENCY, queue.length) }, worker));
}

async function chunkOne(msg: Message<ChunkMessage>, env: Env) {
  const parsed = ChunkMessageSchema.safeParse(msg.body);
  if (!parsed.success) return msg.ack();
  const { job_id: jobId, chunk: n } = parsed.data;
  const t = tracker(env, jobId);
  // What the console's records say of this attempt; filled in as it becomes known.
  const started = Date.now();
  const info = { engine: env.GEMINI_API_KEY ? "gemini" : "local", model: null as string | null, pages: 0 };
  const record: RecordAttempt = (outcome, err, tokens = 0) =>
    recordAttempt(env, {
      job_id: jobId,
      chunk: n,
      attempt: msg.attempts,
      ...info,
      started_ms: started,
      tokens,
      outcome,
      error_class: err === undefined ? null : errorClass(err),
      error_message: err === undefined ? null : err instanceof Error ? err.message : String(err),
    });
  try {
    const decision = await t.shouldProcess(n);
    if (!decision.process) return msg.ack();
    const obj = await env.FILES.get(chunkKey(jobId, n));
    if (!obj) throw new Error(`chunk ${n} input is missing`);
    const chunk = parseChunk(await obj.text(), n);
    info.pages = chunk.last_page - chunk.first_page + 1;
    const normalizer = normalizerFor(env, decision.settings, async ({ index, estimatedTokens }) => {
      // One chunk may take several calls (halves, a retry): a job cancelled meanwhile stops here.
      if (index > 0 && !(await t.shouldProcess(n)).process) throw new GeminiError("cancelled", "the job has ended");
      const slot = await geminiLimiter(env).acquire(estimatedTokens);
      if (!slot.ok) throw new GeminiError("rate_limited", "waiting for the Gemini rate limit", slot.retryAfterSeconds);
    });
    info.engine = normalizer.engine;
    info.model = normalizer.model;
    const result = chunk.scan
      ? await readScan(env, normalizer, jobId, chunk, decision.settings)
      : await normalizer.normalize(chunk, decision.settings);
    if (result.flags?.length) console.warn("chunk result flagged", jobId, n, result.flags.join(","));
    // Each sentence's word count and verb, tagged here, chunk by chunk in parallel: the merge and
    // a running job's partial results then carry them instead of tagging the whole book again; its
    // lemmas too, from the same tagging, kept for learning runs (worker/learning/stored.ts).
    result.sentences = result.sentences.map(withAnalysis);
    await t.chunkDone(n, result);
    await record("done", undefined, result.tokens);
    msg.ack();
  } catch (err) {
    if (err instanceof GeminiError) return onGeminiError(err, msg, parsed.data, env, record);
    if (msg.attempts >= CHUNK_MAX_ATTEMPTS) return deadLetter(msg, err, record);
    await record("retry", err);
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, retryBase(env)) });
  }
}

async function readScan(env: Env, normalizer: Normalizer, jobId: string, chunk: Chunk, settings: JobSettings) {
  if (!(normalizer instanceof GeminiNormalizer)) {
    throw new GeminiError("bad_request", "These pages are a scan: reading them needs the Gemini engine (GEMINI_API_KEY).");
  }
  const obj = await env.FILES.get(scanPagesKey(jobId, chunk.index));
  if (!obj) throw new Error(`chunk ${chunk.index} pages are missing`);
  const input = { pdf: new Uint8Array(await obj.arrayBuffer()), first_page: chunk.first_page, last_page: chunk.last_page };
  return normalizer.transcribe(input, settings, chunk.first_paragraph);
}

/** Permanent errors fail the chunk at once; waits for a rate limit use no attempt; the rest retry. */
type RecordAttempt = (outcome: Outcome, err?: unknown, tokens?: number) => Promise<void>;

async function onGeminiError(err: GeminiError, msg: Message<ChunkMessage>, body: ChunkMessage, env: Env, record: RecordAttempt) {
  if (err.code === "cancelled") return msg.ack();
  const delaySeconds = Math.min(err.retryAfterSeconds ?? backoffSeconds(msg.attempts, retryBase(env)), 3600);
  const deferrals = body.deferrals ?? 0;
  if (err.code === "rate_limited" && deferrals < MAX_DEFERRALS) {
    try {
      // A new message, so the wait does not use up one of the chunk's attempts.
      await env.CHUNK_QUEUE.send({ ...body, deferrals: deferrals + 1 } satisfies ChunkMessage, { delaySeconds });
      await record("deferred", err);
      return msg.ack();
    } catch (sendErr) {
      console.warn("could not defer chunk, retrying it instead", body.job_id, body.chunk, String(sendErr));
    }
  }
  if (!err.retryable) {
    // Permanent (a refusal, a bad request): trying again later would answer the same.
    console.error("chunk failed for good", body.job_id, body.chunk, err.message);
    await record("failed", err);
    await tracker(env, body.job_id).chunkFailed(body.chunk, err.message);
    return msg.ack();
  }
  if (msg.attempts >= CHUNK_MAX_ATTEMPTS) return deadLetter(msg, err, record);
  await record("retry", err);
  msg.retry({ delaySeconds });
}

/**
 * A chunk whose transient failures used up its attempts: one more retry hands the message to
 * the dead-letter queue, whose consumer fails the chunk (so the job ends) and keeps the message
 * for an operator to replay once the cause is gone.
 */
async function deadLetter(msg: Message<ChunkMessage>, err: unknown, record: RecordAttempt) {
  console.error("chunk failed for good, to the dead-letter queue", msg.body.job_id, msg.body.chunk, err instanceof Error ? err.message : String(err));
  await record("failed", err);
  msg.retry();
}

function parseChunk(text: string, n: number): Chunk {
  let chunk: Chunk;
  try {
    chunk = JSON.parse(text) as Chunk;
  } catch {
    throw new Error(`chunk ${n} input is corrupt`);
  }
  if (!Array.isArray(chunk?.paragraphs) || chunk.index !== n) throw new Error(`chunk ${n} input is corrupt`);
  return chunk;
}

/** Messages that ended in a dead-letter queue: the work is failed, never left hanging. */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await heartbeat(env, batch.queue);
  for (const msg of batch.messages) {
    const chunk = ChunkMessageSchema.safeParse(msg.body);
    const plan = PlanMessageSchema.safeParse(msg.body);
    try {
      const lastError = await keepDeadLetter(env, batch.queue, msg, chunk.success ? chunk.data : plan.success ? plan.data : null);
      if (chunk.success) await tracker(env, chunk.data.job_id).chunkFailed(chunk.data.chunk, lastError ?? "retries exhausted");
      else if (plan.success)
        await tracker(env, plan.data.job_id).fail("processing_error", "The PDF could not be read. Please try again.");
    } catch (err) {
      console.error("dead letter handling failed", err);
    }
    msg.ack();
  }
}
