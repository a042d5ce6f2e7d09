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
