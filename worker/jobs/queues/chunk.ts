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
import { HEARTBEAT_MS } from "../tracker";

import { CHUNK_MAX_ATTEMPTS } from "./attempts";

export { CHUNK_MAX_ATTEMPTS } from "./attempts";
/**
 * Messages of one batch worked on at once by the local engine, whose work is CPU in this isolate.
 * Gemini's work is waiting on Google: every message of a batch is in flight at once (the
 * shared limiter paces the calls), so a batch takes about its slowest call, not the sum.
 */
const LOCAL_CONCURRENCY = 4;
/**
 * A slot of the shared limiter booked up to this far ahead is waited for here, the chunk still
 * held and beating, rather than the message sent back to the queue: a batch's calls then go as
 * the quota refills instead of in waves of whole batches (the Verne novel at 8 s a call took
 * 153 s with every wait sent back to the queue). Longer waits, and Google's own 429s, go back
 * to the queue as before.
 */
const INLINE_WAIT_S = 30;
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
  const concurrency = env.GEMINI_API_KEY ? queue.length : LOCAL_CONCURRENCY;
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
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
  // This delivery's hold on the chunk: taken by shouldProcess, beaten while the work runs, let go
  // when the chunk waits; the tracker's watchdog sends the chunk again when the beats stop.
  const lease = crypto.randomUUID();
  let beats: ReturnType<typeof setInterval> | undefined;
  const pause = (delaySeconds: number) => t.pause(n, lease, delaySeconds * 1000).catch(() => undefined);
  try {
    const decision = await t.shouldProcess(n, lease);
    if (!decision.process) return msg.ack();
    beats = setInterval(() => void t.heartbeat(n, lease).catch(() => undefined), HEARTBEAT_MS);
    const obj = await env.FILES.get(chunkKey(jobId, n));
    if (!obj) throw new Error(`chunk ${n} input is missing`);
    const chunk = parseChunk(await obj.text(), n);
    info.pages = chunk.last_page - chunk.first_page + 1;
    const normalizer = normalizerFor(env, decision.settings, async ({ index, estimatedTokens }) => {
      // One chunk may take several calls (halves, a retry): a job cancelled meanwhile stops here.
      if (index > 0 && !(await t.shouldProcess(n, lease)).process) throw new GeminiError("cancelled", "the job has ended");
      // A slot booked up to INLINE_WAIT_S ahead is waited for here, the chunk still beating.
      const slot = await geminiLimiter(env).acquire(estimatedTokens, INLINE_WAIT_S * 1000);
      if (!slot.ok) throw new GeminiError("rate_limited", "waiting for the Gemini rate limit", slot.retryAfterSeconds);
      if (slot.waitMs) {
        await new Promise((r) => setTimeout(r, slot.waitMs));
        if (!(await t.heartbeat(n, lease))) throw new GeminiError("cancelled", "the job has ended");
      }
      await t.admitted(n, lease).catch(() => undefined);
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
    clearInterval(beats);
    if (err instanceof GeminiError) {
      // What its requests used is paid for whatever the end: counted on the job, billed with it.
      if (err.tokens > 0) await t.spent(n, err.tokens).catch((e) => console.warn("tokens not counted", jobId, n, err.tokens, String(e)));
      return onGeminiError(err, msg, parsed.data, env, (outcome, e) => record(outcome, e, err.tokens), pause);
    }
    if (msg.attempts >= CHUNK_MAX_ATTEMPTS) return deadLetter(msg, err, record, pause);
    await record("retry", err);
    const delaySeconds = backoffSeconds(msg.attempts, retryBase(env));
    await pause(delaySeconds);
    msg.retry({ delaySeconds });
  } finally {
    clearInterval(beats);
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
/** Lets the tracker know the chunk waits in the queue this long (its watchdog then leaves it be). */
type Pause = (delaySeconds: number) => Promise<unknown>;

/** How long the dead-letter queue may take to fail a chunk handed to it. */
const DEAD_LETTER_WAIT_S = 120;

async function onGeminiError(
  err: GeminiError,
  msg: Message<ChunkMessage>,
  body: ChunkMessage,
  env: Env,
  record: RecordAttempt,
  pause: Pause,
) {
  if (err.code === "cancelled") return msg.ack();
  const delaySeconds = Math.min(err.retryAfterSeconds ?? backoffSeconds(msg.attempts, retryBase(env)), 3600);
  const deferrals = body.deferrals ?? 0;
  if (err.code === "rate_limited" && deferrals < MAX_DEFERRALS) {
    try {
      // A new message, so the wait does not use up one of the chunk's attempts.
      await env.CHUNK_QUEUE.send({ ...body, deferrals: deferrals + 1 } satisfies ChunkMessage, { delaySeconds });
      await pause(delaySeconds);
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
  if (msg.attempts >= CHUNK_MAX_ATTEMPTS) return deadLetter(msg, err, record, pause);
  await record("retry", err);
  await pause(delaySeconds);
  msg.retry({ delaySeconds });
}

/**
 * A chunk whose transient failures used up its attempts: one more retry hands the message to
 * the dead-letter queue, whose consumer fails the chunk (so the job ends) and keeps the message
 * for an operator to replay once the cause is gone.
 */
async function deadLetter(msg: Message<ChunkMessage>, err: unknown, record: RecordAttempt, pause: Pause) {
  console.error(
    "chunk failed for good, to the dead-letter queue",
    msg.body.job_id,
    msg.body.chunk,
    err instanceof Error ? err.message : String(err),
  );
  await record("failed", err);
  await pause(DEAD_LETTER_WAIT_S);
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
