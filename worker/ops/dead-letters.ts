import { and, desc, eq, isNull } from "drizzle-orm";
import { chunkAttempts, deadLetters } from "../../schema/db";
import { db, nowIso } from "../core/db";
import { retryTracker } from "../jobs/service";

/**
 * Keeps a dead-lettered message (once per message id), classed by its last attempt's error;
 * answers that error's message (null when no attempt was recorded).
 */
export async function keepDeadLetter(
  env: Env,
  queue: string,
  msg: { id: string; body: unknown },
  body: { job_id: string; chunk?: number } | null,
): Promise<string | null> {
  let cls = "retries_exhausted";
  let message: string | null = null;
  if (body && body.chunk !== undefined) {
    const last = await db(env.DB)
      .select({ error_class: chunkAttempts.error_class, error_message: chunkAttempts.error_message })
      .from(chunkAttempts)
      .where(and(eq(chunkAttempts.job_id, body.job_id), eq(chunkAttempts.chunk, body.chunk)))
      .orderBy(desc(chunkAttempts.id))
      .limit(1)
      .get();
    cls = last?.error_class ?? cls;
    message = last?.error_message ?? null;
  }
  await db(env.DB)
    .insert(deadLetters)
    .values({
      id: msg.id,
      queue,
      body: JSON.stringify(msg.body ?? null),
      job_id: body?.job_id ?? null,
      chunk: body?.chunk ?? null,
      error_class: cls,
      received_at: nowIso(),
    })
    .onConflictDoNothing();
  return message;
}

export interface ReplayResult {
  replayed: number;
  /** Messages that changed nothing (the chunk had already been redone, or is not a chunk). */
  unchanged: number;
  ids: string[];
}

/**
 * Replays dead-lettered chunk messages: the chunk is tried again through the tracker, which
 * only takes chunks that are failed, so replaying twice changes nothing.
 */
export async function replayDeadLetters(env: Env, which: { id?: string; error_class?: string }): Promise<ReplayResult> {
  const where = which.id
    ? eq(deadLetters.id, which.id)
    : and(eq(deadLetters.error_class, which.error_class!), isNull(deadLetters.replayed_at));
  const rows = await db(env.DB).select().from(deadLetters).where(where).limit(500).all();
  const out: ReplayResult = { replayed: 0, unchanged: 0, ids: [] };
  for (const r of rows) {
    let retried: number[] = [];
    if (r.job_id && r.chunk !== null) {
      const res = await retryTracker(env, r.job_id, [r.chunk]);
      retried = res.ok ? res.chunks : [];
    }
    if (retried.length) out.replayed++;
    else out.unchanged++;
    out.ids.push(r.id);
    await db(env.DB).update(deadLetters).set({ replayed_at: nowIso() }).where(eq(deadLetters.id, r.id));
  }
  return out;
}
