import { and, eq, inArray, lt } from "drizzle-orm";
import { jobs } from "../../schema/db";
import { db, nowIso } from "./db";
import { expireSources } from "./sources";
import { tracker } from "./service";
import { purgeExpiredSessions } from "../auth/sessions";
import { expireReservations } from "../credits/service";
import { purgeIdempotencyKeys } from "../api/idempotency";
import { expireUploads } from "./parts";

/** A job whose row has not moved for this long is stuck (the tracker's own watchdog failed). */
const STUCK_MS = 60 * 60_000;
/** Uploads (PDFs, page images) are kept this long after the last job on them ended; results stay. */
const SOURCE_TTL_MS = 7 * 24 * 60 * 60_000;

/** Cron: ends jobs that are stuck, expires old uploads and ended sign-ins, so nothing waits forever. */
export async function sweep(env: Env, now = Date.now()): Promise<{ stuck: number; expired: number }> {
  const d = db(env.DB);
  const stuck = await d
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(inArray(jobs.status, ["queued", "planning", "processing"]), lt(jobs.updated_at, new Date(now - STUCK_MS).toISOString())),
    )
    .limit(50);
  for (const { id } of stuck) {
    const t = tracker(env, id);
    await t.fail("stalled", "The job stopped making progress and was ended. Please upload the PDF again.");
    // A job whose tracker never got registered cannot end itself: close the row here.
    if (!(await t.status())) {
      await d
        .update(jobs)
        .set({ status: "failed", error_code: "stalled", error_message: "The job never started. Please upload the PDF again.", completed_at: nowIso(), updated_at: nowIso() })
        .where(eq(jobs.id, id));
    }
  }
  // Each book's files are expired once, 7 days after the last job on them ended.
  const expired = await expireSources(env, now, SOURCE_TTL_MS);
  await purgeExpiredSessions(env);
  await expireReservations(env, new Date(now));
  await expireUploads(env, new Date(now));
  await purgeIdempotencyKeys(env);
  return { stuck: stuck.length, expired };
}
