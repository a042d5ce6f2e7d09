/** The chunk queue's consumer (`fnt-chunks`): one chunk through the engine, its attempt recorded, its result to the tracker. */
import { ChunkMessageSchema, type ChunkMessage } from "../../../schema/api";
import type { JobSettings } from "../../../schema/settings";
import { withAnalysis } from "../../learning/analyse";
import { errorClass, recordAttempt, type Outcome } from "../../ops/attempts";
import { heartbeat } from "../../ops/state";
import { GeminiNormalizer, type GeminiOptions } from "../../pipeline/gemini";
import { GeminiError } from "../../pipeline/gemini-errors";
import { LocalNormalizer } from "../../pipeline/local";
import type { Chunk, Normalizer } from "../../pipeline/types";
import { chunkKey, scanPagesKey } from "../keys";
import { backoffSeconds, retryBase } from "../plan-chunks";
import { geminiLimiter } from "../rate-limiter";
import { tracker } from "../service";

import { CHUNK_MAX_ATTEMPTS } from "./attempts";

export { CHUNK_MAX_ATTEMPTS } from "./attempts";
/** Messages of one batch worked on at once. */
const CHUNK_CONCURRENCY = 4;
/** Times a chunk may wait for a rate limit (ours or Gemini's 429) before waits count as attempts. */
const MAX_DEFERRALS = 30;

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
  console.error(
    "chunk failed for good, to the dead-letter queue",
    msg.body.job_id,
    msg.body.chunk,
    err instanceof Error ? err.message : String(err),
  );
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
