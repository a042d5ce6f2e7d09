/** The job's D1 row, as its tracker writes it: each phase's values made from one progress snapshot. */
import { eq } from "drizzle-orm";
import type { JobStatus } from "../../../schema/api";
import { jobs } from "../../../schema/db";
import { db, nowIso } from "../../core/db";
import { type JobFields, transition } from "../lifecycle";
import type { Snapshot } from "./progress";

/** Figures of the row; the status is never among them (it changes through ../lifecycle.ts). */
export type RowValues = JobFields;
/** A phase that moves the job to another status (or writes the same one again, with new figures). */
export type StatusRow = RowValues & { status: JobStatus };

/**
 * Writes the job's row: a status change through the lifecycle (refused by its table, it writes
 * nothing and says so in the log), plain figures as they are.
 */
export async function writeRow(env: Env, jobId: string, values: RowValues | StatusRow): Promise<void> {
  if ("status" in values) {
    const { status, ...rest } = values;
    const row = await transition(env.DB, jobId, status, { ...rest, updated_at: nowIso() });
    if (!row) console.warn(JSON.stringify({ msg: "job status change refused", job_id: jobId, to: status }));
    return;
  }
  await db(env.DB)
    .update(jobs)
    .set({ ...values, updated_at: nowIso() })
    .where(eq(jobs.id, jobId));
}

/** While the plan reads the PDF. */
export const planningRow = (s: Snapshot): StatusRow => ({ status: s.status, current_step: s.current_step });

/** The plan is cut into chunks (`extra`: its page counts, estimates and pricing). */
export const startRow = (s: Snapshot, startedMs: number, extra: RowValues): StatusRow => ({
  status: s.status,
  current_step: s.current_step,
  total_chunks: s.total_chunks,
  ...extra,
  started_at: new Date(startedMs).toISOString(),
  progress_percent: s.progress_percent,
});

/** A chunk ended and others are pending. */
export const chunkRow = (s: Snapshot, actualTokens: number): RowValues => ({
  processed_chunks: s.processed_chunks,
  failed_chunks: s.failed_chunks,
  progress_percent: s.progress_percent,
  current_step: s.current_step,
  actual_tokens: actualTokens,
});

/** Failed chunks go again: the job is processing, its error cleared. */
export const retryRow = (s: Snapshot): StatusRow => ({
  status: s.status,
  current_step: s.current_step,
  processed_chunks: s.processed_chunks,
  failed_chunks: s.failed_chunks,
  progress_percent: s.progress_percent,
  error_code: null,
  error_message: null,
  completed_at: null,
});

/** The job ended (its step is its status). */
export const finishRow = (
  s: Snapshot,
  end: {
    charged: number | null;
    failed_pages: number[];
    sentence_count: number | null;
    actual_tokens: number;
    error_code: string | null;
    error_message: string | null;
    ended_ms: number;
    created_ms: number;
  },
): StatusRow => ({
  status: s.status,
  progress_percent: s.progress_percent,
  current_step: s.current_step,
  ...(end.charged === null ? {} : { actual_millicredits: end.charged }),
  processed_chunks: s.processed_chunks,
  failed_chunks: s.failed_chunks,
  failed_pages: JSON.stringify(end.failed_pages),
  sentence_count: end.sentence_count,
  actual_tokens: end.actual_tokens,
  error_code: end.error_code,
  error_message: end.error_message,
  completed_at: new Date(end.ended_ms).toISOString(),
  processing_time_seconds: Math.round((end.ended_ms - end.created_ms) / 100) / 10,
});
