import { and, desc, eq, lt, or } from "drizzle-orm";
import { isFinal, type Job, type JobResult, type ResultSentence } from "../../schema/api";
import { jobParts, jobs, sentenceEdits, type JobRow } from "../../schema/db";
import type { StoredFile } from "../api/upload";
import { JobSettingsSchema, type JobSettings } from "../../schema/settings";
import { ApiError } from "../api/errors";
import { db, nowIso } from "./db";
import { deletePrefix } from "./files";
import { toCredits } from "../credits/pricing";
import { creditAccount, type Billing } from "../credits/service";
import type { JobHooks } from "../webhooks/service";
import { jobPrefix, resultKey } from "./keys";
import { releaseSource } from "./sources";
import { endUpload, partRows } from "./parts";
import { sentenceFacts, withFacts, type StoredResult } from "../pipeline/facts";

/** Routes and consumers talk to a job's Durable Object only through this. */
export const tracker = (env: Env, jobId: string) => env.JOB_TRACKER.get(env.JOB_TRACKER.idFromName(jobId));

export function toPublicJob(row: JobRow): Job {
  const base = `/api/v1/jobs/${row.id}`;
  return {
    id: row.id,
    status: row.status,
    progress_percent: row.progress_percent,
    current_step: row.current_step,
    total_chunks: row.total_chunks,
    processed_chunks: row.processed_chunks,
    failed_chunks: row.failed_chunks,
    original_filename: row.original_filename,
    file_size: row.file_size,
    page_count: row.page_count,
    settings: JobSettingsSchema.parse(JSON.parse(row.settings)),
    engine: row.engine,
    model: row.model,
    estimated_tokens: row.estimated_tokens,
    actual_tokens: row.actual_tokens,
    sentence_count: row.sentence_count,
    failed_pages: row.failed_pages ? (JSON.parse(row.failed_pages) as number[]) : [],
    error_code: row.error_code,
    error_message: row.error_message,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    processing_time_seconds: row.processing_time_seconds,
    estimated_credits: row.estimated_millicredits === null ? null : toCredits(row.estimated_millicredits),
    actual_credits: row.actual_millicredits === null ? null : toCredits(row.actual_millicredits),
    pricing_version: row.pricing_version,
    pricing_rate: row.pricing_rate,
    reservation_expires_at: row.reservation_expires_at,
    part_count: row.part_count,
    parts_received: row.parts_received,
    upload_expires_at: row.upload_expires_at,
    book_page_count: row.book_page_count,
    source_sha256: row.source_sha256,
    same_source_as: row.same_source_as,
    rerun_of: row.rerun_of,
    source_kept: sourceKept(row),
    links: { self: base, result: `${base}/result`, events: `${base}/events`, cancel: `${base}/cancel` },
  };
}

/** Whether the job's book is still stored (its upload, or the one it was processed again from). */
export const sourceKept = (row: JobRow) => row.uploads_expired_at === null && row.status !== "reserved" && row.status !== "uploading";

/** Where a new job's book comes from, and what is known of it. */
export interface JobSource {
  /** SHA-256 of the book as uploaded. */
  sha256?: string | null;
  /** An earlier job of the reader on the same book. */
  sameSourceAs?: string | null;
  /** Pages in the book, when counted already. */
  bookPages?: number | null;
  /** Process again: the job whose stored files are read, and the job it was asked of. */
  sourceJobId?: string | null;
  rerunOf?: string | null;
}

export interface NewJob {
  id: string;
  ownerId: string;
  filename: string;
  size: number;
  settings: JobSettings;
  billing: Billing;
  /** Where webhook events go, if anywhere. */
  hooks?: JobHooks;
  /** A book sent as several PDFs in one request: each part as stored, in order. */
  parts?: StoredFile[];
  source?: JobSource;
}

/**
 * A job's row as it is first written: `queued` for an upload, `reserved` for credits held
 * ahead of one, `uploading` for a book whose parts come one request each.
 */
export function newJobRow(j: NewJob, status: "queued" | "reserved" | "uploading", extra: Partial<JobRow> = {}): JobRow {
  const now = nowIso();
  return {
    id: j.id,
    owner_id: j.ownerId,
    status,
    progress_percent: 0,
    current_step: status,
    total_chunks: 0,
    processed_chunks: 0,
    failed_chunks: 0,
    original_filename: j.filename,
    file_size: j.size,
    page_count: null,
    settings: JSON.stringify(j.settings),
    engine: j.billing.engine,
    model: j.billing.model,
    estimated_tokens: null,
    actual_tokens: 0,
    sentence_count: null,
    failed_pages: null,
    error_code: null,
    error_message: null,
    created_at: now,
    started_at: null,
    completed_at: null,
    processing_time_seconds: null,
    estimated_millicredits: null,
    actual_millicredits: null,
    pricing_version: j.billing.pricing_version,
    pricing_rate: j.billing.rate,
    reservation_expires_at: null,
    webhook_url: null,
    webhook_progress_every: null,
    uploads_expired_at: null,
    part_count: null,
    parts_received: 0,
    upload_expires_at: null,
    book_page_count: j.source?.bookPages ?? null,
    source_job_id: j.source?.sourceJobId ?? null,
    rerun_of: j.source?.rerunOf ?? null,
    source_sha256: j.source?.sha256 ?? null,
    same_source_as: j.source?.sameSourceAs ?? null,
    updated_at: now,
    ...extra,
  };
}

/** Registers the job's tracker (with who pays) and enqueues the plan step. */
export async function startJob(env: Env, jobId: string, settings: JobSettings, billing: Billing, hooks?: JobHooks): Promise<void> {
  await tracker(env, jobId).register(jobId, settings, billing, hooks);
  await env.PLAN_QUEUE.send({ job_id: jobId });
}

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
export async function ownJob(env: Env, ownerId: string, jobId: string): Promise<JobRow> {
  const row = await db(env.DB)
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.owner_id, ownerId)))
    .get();
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
  const ended = await db(env.DB)
    .update(jobs)
    .set({ status, current_step: status, completed_at: now, updated_at: now })
    .where(and(eq(jobs.id, row.id), eq(jobs.status, "reserved")))
    .returning({ id: jobs.id })
    .all();
  if (ended.length) await creditAccount(env, row.owner_id).release(row.id, `reservation ${status}`);
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
    throw new ApiError(400, "invalid_field", `text: must be at most ${max} characters (three times the sentence's own, 200 at least)`, "text");
  }
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
  const edits = await db(env.DB).select({ idx: sentenceEdits.idx }).from(sentenceEdits).where(eq(sentenceEdits.job_id, row.id)).limit(1).all();
  if (edits.length) {
    throw new ApiError(409, "job_has_edits", "This job has corrected sentences; retrying would renumber them. Export your edits first, or delete and upload again.");
  }
  const r = await retryTracker(env, row.id);
  if (!r.ok) {
    if (r.code === "insufficient_credits") throw new ApiError(402, r.code, r.message);
    throw new ApiError(409, r.code === "not_found" ? "not_retryable" : r.code, r.message);
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
