import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { isFinal, type Job, type JobResult, type ResultSentence } from "../../schema/api";
import { jobParts, jobs, sentenceEdits, type JobRow } from "../../schema/db";
import { ApiError } from "../core/errors";
import { db, nowIso } from "../core/db";
import { deletePrefix } from "./files";
import { creditAccount, quotaExceeded, storageQuota, storageUsed } from "../credits/service";
import { jobPrefix, resultKey } from "./keys";
import { releaseSource } from "./sources";
import { endUpload } from "./parts";
import { transition } from "./lifecycle";
import { newJobRow, partRows, startJob, toPublicJob, tracker, type NewJob } from "./records";

export { newJobRow, sourceKept, startJob, toPublicJob, tracker, type JobSource, type NewJob } from "./records";
import { sentenceFacts, withFacts, type StoredResult } from "../pipeline/facts";

/** Records the job (and its parts, if several), registers its tracker and enqueues the plan step. */
export async function createJob(env: Env, j: NewJob): Promise<Job> {
  const parts = j.parts && j.parts.length > 1 ? j.parts : undefined;
  const row = newJobRow(j, "queued", {
    webhook_url: j.hooks?.url ?? null,
    webhook_progress_every: j.hooks?.progress_every ?? null,
    ...(parts ? { part_count: parts.length, parts_received: parts.length } : {}),
  });
  const d = db(env.DB);
  if (parts) await d.batch([d.insert(jobs).values(row), ...partRows(j.id, parts).map((p) => d.insert(jobParts).values(p))]);
  else await d.insert(jobs).values(row);
  await startJob(env, j.id, j.settings, j.billing, j.hooks);
  return toPublicJob(row);
}

/** A job of the caller, or 404: another user's job is indistinguishable from none. */
export const ownJob = (env: Env, ownerId: string, jobId: string): Promise<JobRow> =>
  jobOr404(env, and(eq(jobs.id, jobId), eq(jobs.owner_id, ownerId)));

/** Any reader's job (the operator console), or 404. */
export const anyJob = (env: Env, jobId: string): Promise<JobRow> => jobOr404(env, eq(jobs.id, jobId));

async function jobOr404(env: Env, where: SQL | undefined): Promise<JobRow> {
  const row = await db(env.DB).select().from(jobs).where(where).get();
  if (!row) throw new ApiError(404, "not_found", "No such job.");
  return row;
}

export async function listJobs(env: Env, ownerId: string, limit: number, cursor?: string) {
  let after: { created_at: string; id: string } | null = null;
  if (cursor) {
    try {
      after = JSON.parse(atob(cursor));
    } catch {
      throw new ApiError(400, "invalid_cursor", "The cursor is not valid.", "cursor");
    }
    if (typeof after?.created_at !== "string" || typeof after?.id !== "string") {
      throw new ApiError(400, "invalid_cursor", "The cursor is not valid.", "cursor");
    }
  }
  const rows = await db(env.DB)
    .select()
    .from(jobs)
    .where(
      after
        ? and(
            eq(jobs.owner_id, ownerId),
            or(lt(jobs.created_at, after.created_at), and(eq(jobs.created_at, after.created_at), lt(jobs.id, after.id))),
          )
        : eq(jobs.owner_id, ownerId),
    )
    .orderBy(desc(jobs.created_at), desc(jobs.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    jobs: page.map(toPublicJob),
    next_cursor: rows.length > limit && last ? btoa(JSON.stringify({ created_at: last.created_at, id: last.id })) : null,
  };
}

export async function cancelJob(env: Env, row: JobRow): Promise<Job> {
  if (row.status === "reserved") await endReservation(env, row, "cancelled");
  else if (row.status === "uploading") await endUpload(env, row, "cancelled");
  else if (!isFinal(row.status)) await tracker(env, row.id).cancel();
  return toPublicJob(await ownJob(env, row.owner_id, row.id));
}

/** A reserved job (no file, no tracker yet) ends here: its credits go back, once. */
async function endReservation(env: Env, row: JobRow, status: "cancelled") {
  const now = nowIso();
  const ended = await transition(
    env.DB,
    row.id,
    status,
    { current_step: status, completed_at: now, updated_at: now },
    { from: ["reserved"] },
  );
  if (ended) await creditAccount(env, row.owner_id).release(row.id, `reservation ${status}`);
}

const hasResult = (row: JobRow) => row.status === "completed" || row.status === "partial";

/**
 * The stored result, with the reader's edits, once a job has ended (a cancelled or failed job's
 * finished chunks are stored when its tracker lets go: worker/jobs/release.ts); the tracker's
 * running merge before. Every sentence has its word count and verb: stored with the result, computed here for
 * an edited sentence and for a result without them (stored before them, or partial).
 */
export async function jobResult(env: Env, row: JobRow): Promise<JobResult> {
  if (isFinal(row.status)) {
    const obj = await env.FILES.get(resultKey(row.id));
    if (obj) {
      const result = (await obj.json()) as StoredResult;
      result.flagged ??= []; // results stored before flags existed
      result.rewritten_count ??= result.sentences.filter((s) => s.original !== undefined).length;
      const edits = await db(env.DB).select().from(sentenceEdits).where(eq(sentenceEdits.job_id, row.id));
      for (const e of edits) {
        const s = result.sentences[e.idx];
        // The reader's text replaces the engine's; `original` (the book's) stays.
        if (s) Object.assign(s, { text: e.text, edited: true, ...sentenceFacts(e.text) });
      }
      return { ...result, sentences: result.sentences.map(withFacts) };
    }
  }
  const partial = await tracker(env, row.id).partialResult();
  if (partial) return { ...partial, sentences: partial.sentences.map(withFacts) };
  return {
    job_id: row.id,
    status: row.status,
    complete: false,
    total_chunks: row.total_chunks,
    chunks_included: [],
    failed_pages: [],
    flagged: [],
    rewritten_count: 0,
    sentences: [],
  };
}

/**
 * Deletes all of a job: it is stopped first (so nothing writes after), then its tracker's storage,
 * its files, its id from its owner's credit ledger (amounts stay), and every D1 row that holds its
 * id, in one batch. A learning set made from it keeps
 * its sentences (copied when it ran) but not the id: the job leaves `job_ids` and counts in `deleted_jobs`.
 */
export async function deleteJob(env: Env, row: JobRow): Promise<void> {
  if (row.status === "reserved") await endReservation(env, row, "cancelled");
  else if (row.status === "uploading") await endUpload(env, row, "cancelled");
  else if (!isFinal(row.status)) await tracker(env, row.id).cancel();
  if (row.status !== "reserved" && row.status !== "uploading") await tracker(env, row.id).purge();
  // The book's files stay while another job on them (processed again) remains.
  await releaseSource(env, row);
  await deletePrefix(env.FILES, jobPrefix(row.id));
  await creditAccount(env, row.owner_id).dropJob(row.id);
  await env.DB.batch(jobRowDeletes(env.DB, row));
}

/** Every D1 row that holds the job's id, gone; child rows before the job's own. */
function jobRowDeletes(d1: D1Database, row: JobRow): D1PreparedStatement[] {
  const byJob = (sql: string) => d1.prepare(sql).bind(row.id);
  return [
    byJob("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE job_id = ?1)"),
    byJob("DELETE FROM webhook_deliveries WHERE job_id = ?1"),
    // Chunk attempts are the metrics' counters (worker/ops/metrics.ts: they never go down): kept, without the job's id or error text.
    byJob("UPDATE chunk_attempts SET job_id = '', error_message = NULL WHERE job_id = ?1"),
    byJob("DELETE FROM dead_letters WHERE job_id = ?1"),
    byJob("DELETE FROM live_sockets WHERE job_id = ?1"),
    byJob("DELETE FROM sentence_edits WHERE job_id = ?1"),
    byJob("DELETE FROM job_parts WHERE job_id = ?1"),
    // The answer an Idempotency-Key replays names the job it made.
    d1.prepare("DELETE FROM idempotency_keys WHERE user_id = ?2 AND instr(body, ?1) > 0").bind(row.id, row.owner_id),
    d1
      .prepare(
        `UPDATE learning_sets SET deleted_jobs = deleted_jobs + 1,
           job_ids = (SELECT json_group_array(value) FROM json_each(learning_sets.job_ids) WHERE value <> ?1)
         WHERE owner_id = ?2 AND EXISTS (SELECT 1 FROM json_each(learning_sets.job_ids) WHERE value = ?1)`,
      )
      .bind(row.id, row.owner_id),
    // Another job's links to it ("you processed this book on…", "processed again from") go with it;
    // `source_job_id` stays: it names the folder the book's files are kept in for that job.
    byJob("UPDATE jobs SET same_source_as = NULL WHERE same_source_as = ?1"),
    byJob("UPDATE jobs SET rerun_of = NULL WHERE rerun_of = ?1"),
    byJob("DELETE FROM jobs WHERE id = ?1"),
  ];
}

/**
 * How long a correction may be: three times the engine's sentence, 200 characters at least (a
 * correction fixes a sentence; it is no place to store a book), within SentenceEditSchema's 5,000.
 */
export const maxEditLength = (engineText: string) => Math.max(200, 3 * engineText.length);

/**
 * Saves a reader's correction of sentence `index` of a finished job. Reads the stored result
 * as the engine wrote it (never the other edits: one row is written, none read) and writes one row.
 */
export async function editSentence(env: Env, row: JobRow, index: number, text: string): Promise<ResultSentence> {
  if (!hasResult(row)) {
    throw new ApiError(409, "job_not_finished", "Sentences can be edited once the job has finished.");
  }
  const obj = await env.FILES.get(resultKey(row.id));
  const sentence = obj ? ((await obj.json()) as StoredResult).sentences[index] : undefined;
  if (!sentence) throw new ApiError(404, "not_found", `No sentence ${index} in this job.`);
  const max = maxEditLength(sentence.text);
  if (text.length > max) {
    throw new ApiError(
      400,
      "invalid_field",
      `text: must be at most ${max} characters (three times the sentence's own, 200 at least)`,
      "text",
    );
  }
  // Corrections count toward the storage quota (a correction that would pass it is refused).
  const used = await storageUsed(env, row.owner_id);
  if (used + new TextEncoder().encode(text).byteLength > storageQuota(env))
    throw quotaExceeded(used, storageQuota(env), "text", "This correction");
  const now = nowIso();
  await db(env.DB)
    .insert(sentenceEdits)
    .values({ job_id: row.id, idx: index, text, updated_at: now })
    .onConflictDoUpdate({ target: [sentenceEdits.job_id, sentenceEdits.idx], set: { text, updated_at: now } });
  return { ...withFacts(sentence), text, edited: true, ...sentenceFacts(text) };
}

/**
 * Tries a job's failed pages again (the owner's "Retry failed pages", an operator's retry).
 * Refused while the reader's edits would be renumbered by the new sentences.
 */
export async function retryJob(env: Env, row: JobRow): Promise<{ job: Job; retried_chunks: number[] }> {
  const edits = await db(env.DB)
    .select({ idx: sentenceEdits.idx })
    .from(sentenceEdits)
    .where(eq(sentenceEdits.job_id, row.id))
    .limit(1)
    .all();
  if (edits.length) {
    throw new ApiError(
      409,
      "job_has_edits",
      "This job has corrected sentences; retrying would renumber them. Export your edits first, or delete and upload again.",
    );
  }
  const r = await retryTracker(env, row.id);
  if (!r.ok) {
    if (r.code === "insufficient_credits") throw new ApiError(402, r.code, r.message);
    throw new ApiError(409, "not_retryable", r.message);
  }
  const fresh = await db(env.DB).select().from(jobs).where(eq(jobs.id, row.id)).get();
  return { job: toPublicJob(fresh ?? row), retried_chunks: r.chunks };
}

/**
 * Retries failed chunks (all, or those named) in the job's tracker; a tracker that let go of its
 * storage after the job ended (worker/jobs/release.ts) is loaded again from R2 first.
 */
export async function retryTracker(env: Env, jobId: string, only?: number[]) {
  const t = tracker(env, jobId);
  const r = await t.retryChunks(only);
  if (r.ok || r.code !== "not_found" || !(await t.reload(jobId))) return r;
  return t.retryChunks(only);
}
