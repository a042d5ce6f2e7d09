import { and, asc, inArray, lt, sql } from "drizzle-orm";
import { FINAL_STATUSES } from "../../schema/api";
import { jobs, type JobRow } from "../../schema/db";
import { parseRetentionDays, RetentionConfigError, uploadDays } from "../../schema/retention";
import { db, nowIso } from "../core/db";
import { expireSources } from "./sources";
import { deleteJob, tracker } from "./service";
import { purgeExpiredSessions } from "../auth/sessions";
import { expireReservations } from "../credits/service";
import { purgeIdempotencyKeys } from "../core/idempotency";
import { expireUploads } from "./parts";
import { transition } from "./lifecycle";

/** A job whose row has not moved for this long is stuck (the tracker's own watchdog failed). */
const STUCK_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** Finished jobs deleted by one run of the cron at most (the oldest first; the next run goes on). */
const DELETE_PER_RUN = 50;

/** RETENTION_DAYS (schema/retention.ts), or null, said in the log, when it is not a valid value. */
export function retentionOrNull(env: Env): number | null {
  try {
    return parseRetentionDays(env.RETENTION_DAYS);
  } catch (err) {
    if (!(err instanceof RetentionConfigError)) throw err;
    console.error(JSON.stringify({ msg: "retention not enforced: bad RETENTION_DAYS", err: err.message }));
    return null;
  }
}

/**
 * Cron: ends jobs that are stuck, expires old uploads, deletes finished jobs past RETENTION_DAYS
 * and ended sign-ins, so nothing waits or stays forever. A bad RETENTION_DAYS deletes nothing.
 */
export async function sweep(env: Env, now = Date.now()): Promise<{ stuck: number; expired: number; deleted: number }> {
  const d = db(env.DB);
  const stuck = await d
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(inArray(jobs.status, ["queued", "planning", "processing"]), lt(jobs.updated_at, new Date(now - STUCK_MS).toISOString())))
    .limit(50);
  for (const { id } of stuck) {
    const t = tracker(env, id);
    await t.fail("stalled", "The job stopped making progress and was ended. Please upload the PDF again.");
    // A job whose tracker never got registered cannot end itself: close the row here.
    if (!(await t.status())) {
      await transition(
        env.DB,
        id,
        "failed",
        {
          error_code: "stalled",
          error_message: "The job never started. Please upload the PDF again.",
          completed_at: nowIso(),
          updated_at: nowIso(),
        },
        { from: ["queued", "planning", "processing"] },
      );
    }
  }
  const days = retentionOrNull(env);
  let expired = 0;
  let deleted = 0;
  if (days !== null) {
    const endedBefore = (ms: number) =>
      and(inArray(jobs.status, FINAL_STATUSES as JobRow["status"][]), lt(endedAt, new Date(now - ms).toISOString()));
    // Whole jobs past their retention, oldest first: files, tracker, every row (deleteJob; a book
    // another job was processed again from stays with that job).
    const past = await d
      .select()
      .from(jobs)
      .where(endedBefore(days * DAY_MS))
      .orderBy(asc(endedAt))
      .limit(DELETE_PER_RUN);
    for (const row of past) await deleteJob(env, row);
    deleted = past.length;
    // Each book's files are expired once, min(7, RETENTION_DAYS) days after the last job on them ended.
    expired = await expireSources(env, now, uploadDays(days) * DAY_MS);
  }
  await purgeExpiredSessions(env);
  await expireReservations(env, new Date(now));
  await expireUploads(env, new Date(now));
  await purgeIdempotencyKeys(env);
  return { stuck: stuck.length, expired, deleted };
}

/** When a job ended (a row that ended without the time: its last change). */
const endedAt = sql<string>`COALESCE(${jobs.completed_at}, ${jobs.updated_at})`;
