/**
 * A job's statuses, as plain values (no zod: the web app imports them without the schemas).
 * `reserved`: credits held ahead of the upload (POST /api/v1/credits/reserve), no file yet.
 * `uploading`: a book sent in parts, one request each, waiting for its parts; it starts
 * (`queued`) when the last one arrives.
 */
export const JOB_STATUSES = [
  "reserved",
  "uploading",
  "queued",
  "planning",
  "processing",
  "completed",
  "partial",
  "failed",
  "cancelled",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses a job ends in. */
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "partial", "failed", "cancelled"];
export type FinalStatus = "completed" | "partial" | "failed" | "cancelled";
export const isFinal = (s: JobStatus): s is FinalStatus => FINAL_STATUSES.includes(s);

/**
 * Where a job may go from each status: every change of `jobs.status` goes through
 * worker/jobs/lifecycle.ts, which applies this table as the guard of a conditional UPDATE.
 * A job is created `reserved`, `uploading` or `queued` (nothing moves a job into the first two).
 * A status listed under itself is written again with new figures: a redelivered plan message
 * (`planning`), failed pages retried while others still run (`processing`).
 */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // Its PDF came (process-pdf-async); cancelled; lapsed unused (reservation_expired).
  reserved: ["queued", "cancelled", "failed"],
  // The last part came; cancelled; lapsed before every part arrived (upload_incomplete).
  uploading: ["queued", "cancelled", "failed"],
  // The plan step begins; or the job ends before it did (cancelled, stalled, timed out).
  queued: ["planning", "failed", "cancelled"],
  planning: ["planning", "processing", "failed", "cancelled"],
  processing: ["processing", "completed", "partial", "failed", "cancelled"],
  completed: [],
  // Failed pages retried (POST /jobs/:id/retry); a failed job only when every chunk failed.
  partial: ["processing"],
  failed: ["processing"],
  cancelled: [],
};

/** Whether the table lets a job go from `from` to `to`. */
export const canTransition = (from: JobStatus, to: JobStatus): boolean => JOB_TRANSITIONS[from].includes(to);

/** The statuses a job may be in to go to `to`. */
export const allowedFrom = (to: JobStatus): JobStatus[] => JOB_STATUSES.filter((s) => canTransition(s, to));

/** The statuses a change to `to` may start from: those asked (each one the table allows into `to`), else all it allows. */
export function fromStatuses(to: JobStatus, from?: readonly JobStatus[]): JobStatus[] {
  if (!from) return allowedFrom(to);
  const bad = from.filter((s) => !canTransition(s, to));
  if (bad.length) throw new Error(`a job cannot go from ${bad.join(", ")} to ${to} (schema/statuses.ts JOB_TRANSITIONS)`);
  return [...from];
}
