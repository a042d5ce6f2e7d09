import { eq } from "drizzle-orm";
import { ChunkMessageSchema, PlanMessageSchema, type ChunkMessage, type PlanMessage } from "../../schema/api";
import { jobs } from "../../schema/db";
import { JobSettingsSchema } from "../../schema/settings";
import { PipelineError } from "../pipeline/errors";
import { planDocument } from "../pipeline/index";
import { LocalNormalizer } from "../pipeline/local";
import type { Chunk, Normalizer } from "../pipeline/types";
import { db } from "./db";
import { chunkKey, sourceKey } from "./keys";
import { tracker } from "./service";

/** Attempts a chunk gets before it is declared failed: `max_retries` (4) in wrangler.toml + 1. */
export const CHUNK_MAX_ATTEMPTS = 5;
/** Attempts the plan step gets: `max_retries` (3) + 1. */
export const PLAN_MAX_ATTEMPTS = 4;
/** Messages of one batch worked on at once. */
const CHUNK_CONCURRENCY = 4;

/** Exponential backoff with jitter for queue retries (no sleeping inside a Worker). */
export function backoffSeconds(attempts: number, base: number): number {
  const exp = base * 2 ** Math.max(0, attempts - 1);
  return Math.min(300, Math.round(exp + Math.random() * base));
}

const retryBase = (env: Env) => Number(env.RETRY_BASE_SECONDS ?? 2);

export async function handlePlanBatch(batch: MessageBatch<PlanMessage>, env: Env): Promise<void> {
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
    const obj = await env.FILES.get(sourceKey(jobId));
    if (!obj) {
      await t.fail("file_missing", "The uploaded file could not be found. Please upload it again.");
      return msg.ack();
    }
    const bytes = new Uint8Array(await obj.arrayBuffer());
    const plan = await planDocument(bytes, {
      fixHyphenation: settings.fix_hyphenation,
      maxChunkChars: Number(env.CHUNK_CHARS ?? 12000),
    });
    await putAll(
      env,
      plan.chunks.map((c) => [chunkKey(jobId, c.index), JSON.stringify(c)] as const),
    );
    const chars = plan.paragraphs.reduce((s, p) => s + p.text.length, 0);
    const started = await t.start({
      page_count: plan.pageCount,
      chunks: plan.chunks.map((c) => ({ first_page: c.first_page, last_page: c.last_page })),
      estimated_tokens: Math.ceil(chars / 4),
    });
    if (started) {
      const messages = plan.chunks.map((c) => ({ body: { job_id: jobId, chunk: c.index } satisfies ChunkMessage }));
      for (let i = 0; i < messages.length; i += 100) await env.CHUNK_QUEUE.sendBatch(messages.slice(i, i + 100));
    }
    msg.ack();
  } catch (err) {
    if (err instanceof PipelineError) {
      await t.fail(err.code, err.message);
      return msg.ack();
    }
    if (msg.attempts >= PLAN_MAX_ATTEMPTS) {
      console.error("plan failed for good", jobId, err);
      await t.fail("processing_error", "The PDF could not be read because of an internal error. Please try again.");
      return msg.ack();
    }
    console.warn("plan attempt failed, retrying", jobId, msg.attempts, String(err));
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, retryBase(env)) });
  }
}

async function putAll(env: Env, entries: ReadonlyArray<readonly [string, string]>) {
  for (let i = 0; i < entries.length; i += 8) {
    await Promise.all(entries.slice(i, i + 8).map(([k, v]) => env.FILES.put(k, v)));
  }
}

export function normalizerFor(_env: Env): Normalizer {
  return new LocalNormalizer();
}

export async function handleChunkBatch(batch: MessageBatch<ChunkMessage>, env: Env): Promise<void> {
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
  try {
    const decision = await t.shouldProcess(n);
    if (!decision.process) return msg.ack();
    const obj = await env.FILES.get(chunkKey(jobId, n));
    if (!obj) throw new Error(`chunk ${n} input is missing`);
    const chunk = parseChunk(await obj.text(), n);
    const result = await normalizerFor(env).normalize(chunk, decision.settings);
    await t.chunkDone(n, result);
    msg.ack();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (msg.attempts >= CHUNK_MAX_ATTEMPTS) {
      console.error("chunk failed for good", jobId, n, reason);
      await t.chunkFailed(n, reason);
      return msg.ack();
    }
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, retryBase(env)) });
  }
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
  for (const msg of batch.messages) {
    const chunk = ChunkMessageSchema.safeParse(msg.body);
    const plan = PlanMessageSchema.safeParse(msg.body);
    try {
      if (chunk.success) await tracker(env, chunk.data.job_id).chunkFailed(chunk.data.chunk, "retries exhausted");
      else if (plan.success)
        await tracker(env, plan.data.job_id).fail("processing_error", "The PDF could not be read. Please try again.");
    } catch (err) {
      console.error("dead letter handling failed", err);
    }
    msg.ack();
  }
}
