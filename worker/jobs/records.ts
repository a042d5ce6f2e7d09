/**
 * A job's records, the lowest layer of worker/jobs: the tracker's stub, the public view of a row,
 * a new row and its parts' rows, and starting a job. service.ts, parts.ts and sources.ts build on
 * it (so they need not import one another in a circle).
 */
import { asc, eq } from "drizzle-orm";
import type { Job } from "../../schema/api";
import { jobParts, type JobPartRow, type JobRow } from "../../schema/db";
import { JobSettingsSchema, type JobSettings } from "../../schema/settings";
import { db, nowIso } from "../core/db";
import type { StoredFile } from "../core/stored";
import { toCredits } from "../credits/pricing";
import type { Billing } from "../credits/service";
import type { JobHooks } from "../webhooks/service";

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

export const partRows = (jobId: string, files: readonly StoredFile[], at = nowIso()): JobPartRow[] =>
  files.map((f) => ({ job_id: jobId, n: f.n, key: f.key, size: f.size, filename: f.filename, sha256: f.sha256, created_at: at }));

export async function listParts(env: Env, jobId: string): Promise<JobPartRow[]> {
  return db(env.DB).select().from(jobParts).where(eq(jobParts.job_id, jobId)).orderBy(asc(jobParts.n)).all();
}
