/**
 * RETENTION_DAYS, the one setting of how long a reader's books are kept: a finished job (its
 * upload, chunks, result, edits and record) is deleted by the cron this many days after it ended.
 * The uploaded file goes sooner, after UPLOAD_DAYS at most (a job needs it only while it runs).
 * Read by the cron (which deletes), the API (which tells the reader: GET /api/v1/me) and the
 * deploy's checks (which refuse a bad value). No imports: Node runs it as it is.
 */
export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;
/** An uploaded PDF or page images are kept at most this long after the job ended. */
export const UPLOAD_DAYS = 7;

export class RetentionConfigError extends Error {}

/** The days a finished job is kept: a whole number from 1 to MAX_RETENTION_DAYS (unset or empty: the default). */
export function parseRetentionDays(raw: string | undefined): number {
  const text = (raw ?? "").trim();
  if (text === "") return DEFAULT_RETENTION_DAYS;
  const days = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(days >= 1 && days <= MAX_RETENTION_DAYS)) {
    throw new RetentionConfigError(
      `RETENTION_DAYS must be a whole number of days from 1 to ${MAX_RETENTION_DAYS} (how long a finished job is kept); it is ${JSON.stringify(raw)}.`,
    );
  }
  return days;
}

/** How long the upload of a job kept `days` stays: the shorter of the two. */
export const uploadDays = (days: number) => Math.min(UPLOAD_DAYS, days);
