import { and, eq, lt } from "drizzle-orm";
import type { JobParts } from "../../schema/api";
import { jobs, type JobPartRow, type JobRow } from "../../schema/db";
import { JobSettingsSchema } from "../../schema/settings";
import type { StoredFile } from "../core/stored";
import { billingFor, creditAccount } from "../credits/service";
import { endEventId, enqueueEvent, type JobHooks } from "../webhooks/service";
import { db, nowIso } from "../core/db";
import { deletePrefix } from "./files";
import { uploadsPrefix } from "./keys";
import { transition } from "./lifecycle";
import { listParts, startJob, toPublicJob } from "./records";

export { listParts, partRows } from "./records";
import { bookSha256, sameSourceAs } from "./sources";

/**
 * A book sent in parts: several PDFs, each a consecutive page range, in order. They come
 * in one request (pdf_file repeated) or one request each (the job is created `uploading`
 * with its number of parts and starts when the last one is stored). D1 holds the list
 * (`job_parts`); it only changes while the job is `uploading`, so the plan reads a fixed one.
 */

/** GET /api/v1/jobs/:id/parts, and what each part's request answers. */
export function partsView(row: JobRow, parts: readonly JobPartRow[]): JobParts {
  const have = new Set(parts.map((p) => p.n));
  const count = row.part_count ?? 0;
  return {
    part_count: row.part_count,
    parts: parts.map((p) => ({ n: p.n, size: p.size, sha256: p.sha256, filename: p.filename, received_at: p.created_at })),
    missing: Array.from({ length: count }, (_, i) => i + 1).filter((n) => !have.has(n)),
    upload_expires_at: row.upload_expires_at,
  };
}

/** An `uploading` job whose deadline has passed (the cron may not have ended it yet). */
export const uploadLapsed = (row: JobRow, now = nowIso()) =>
  row.error_code === "upload_incomplete" || (row.status === "uploading" && (row.upload_expires_at ?? "") < now);

/**
 * Records part `n` (replacing an earlier sending of it) while the job still waits for its
 * parts, and moves the deadline on. False when the job is no longer `uploading`: the caller
 * deletes the file it stored. The replaced file is deleted here.
 */
export async function storePart(env: Env, jobId: string, n: number, file: Omit<StoredFile, "n">, expiresAt: string): Promise<boolean> {
  const now = nowIso();
  const before = await env.DB.prepare("SELECT key FROM job_parts WHERE job_id = ? AND n = ?").bind(jobId, n).first<{ key: string }>();
  const [upsert] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO job_parts (job_id, n, key, size, filename, sha256, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1 AND status = 'uploading')
       ON CONFLICT (job_id, n) DO UPDATE SET key = excluded.key, size = excluded.size, filename = excluded.filename,
         sha256 = excluded.sha256, created_at = excluded.created_at`,
    ).bind(jobId, n, file.key, file.size, file.filename, file.sha256, now),
    env.DB.prepare(
      `UPDATE jobs SET file_size = (SELECT COALESCE(SUM(size), 0) FROM job_parts WHERE job_id = ?1),
         parts_received = (SELECT COUNT(*) FROM job_parts WHERE job_id = ?1), upload_expires_at = ?2, updated_at = ?3
       WHERE id = ?1 AND status = 'uploading'`,
    ).bind(jobId, expiresAt, now),
  ]);
  if (!upsert?.meta.changes) return false;
  if (before && before.key !== file.key) await env.FILES.delete(before.key).catch(() => undefined);
  return true;
}

/**
 * Starts the job once every part is stored: claimed once (two last parts arriving together
 * start it once), priced as an upload is, then registered and sent to the plan queue.
 */
export async function startIfComplete(env: Env, row: JobRow): Promise<JobRow | null> {
  const settings = JobSettingsSchema.parse(JSON.parse(row.settings));
  const billing = billingFor(env, row.owner_id, settings.gemini_model);
  // The book is whole now: its hash, and whether the reader sent it before.
  const sha256 = bookSha256(await listParts(env, row.id));
  const same = await sameSourceAs(env, row.owner_id, sha256, row.id);
  const claimed = await transition(
    env.DB,
    row.id,
    "queued",
    {
      source_sha256: sha256,
      same_source_as: same,
      current_step: "queued",
      upload_expires_at: null,
      engine: billing.engine,
      model: billing.model,
      pricing_rate: billing.rate,
      pricing_version: billing.pricing_version,
      updated_at: nowIso(),
    },
    { from: ["uploading"], where: eq(jobs.parts_received, jobs.part_count) },
  );
  if (!claimed) return null;
  await startJob(env, claimed.id, settings, billing, hooksOf(claimed));
  return claimed;
}

/** The job's webhook (the upload's field, or the owner's default then), if it has one. */
const hooksOf = (row: JobRow): JobHooks | undefined =>
  row.webhook_url ? { user_id: row.owner_id, url: row.webhook_url, progress_every: row.webhook_progress_every } : undefined;

/**
 * Ends an `uploading` job (cancelled, or failed when it lapsed) and deletes its parts, once;
 * its webhook, if it has one, gets `job.cancelled` / `job.failed` as a started job's would.
 */
export async function endUpload(
  env: Env,
  row: JobRow,
  status: "cancelled" | "failed",
  error?: { code: string; message: string },
  onlyBefore?: string,
): Promise<boolean> {
  const now = nowIso();
  const ended = await transition(
    env.DB,
    row.id,
    status,
    {
      current_step: status,
      error_code: error?.code ?? null,
      error_message: error?.message ?? null,
      completed_at: now,
      updated_at: now,
    },
    { from: ["uploading"], ...(onlyBefore ? { where: lt(jobs.upload_expires_at, onlyBefore) } : {}) },
  );
  if (!ended) return false;
  await deletePrefix(env.FILES, uploadsPrefix(row.id));
  const [final] = await db(env.DB).update(jobs).set({ uploads_expired_at: nowIso() }).where(eq(jobs.id, row.id)).returning().all();
  const hooks = final && hooksOf(final);
  if (hooks) {
    await enqueueEvent(env, hooks, endEventId(row.id, status), `job.${status}`, toPublicJob(final!)).catch((err: unknown) =>
      console.error(JSON.stringify({ msg: "could not queue a webhook", job_id: row.id, type: `job.${status}`, err: String(err) })),
    );
  }
  return true;
}

/**
 * Cron: books whose parts did not all arrive in time fail (upload_incomplete); their files
 * are deleted and the job's slot in the hourly limit is given back (nothing ran). No credits
 * are held before the plan, so none are to release.
 */
export async function expireUploads(env: Env, now = new Date()): Promise<number> {
  const at = now.toISOString();
  const lapsed = await db(env.DB)
    .select()
    .from(jobs)
    .where(and(eq(jobs.status, "uploading"), lt(jobs.upload_expires_at, at)))
    .limit(100)
    .all();
  let ended = 0;
  for (const row of lapsed) {
    const message =
      `Only ${row.parts_received} of the ${row.part_count} parts arrived before the upload expired, so the job did not start ` +
      `and the parts sent were deleted. Create the job again and send every part.`;
    if (await endUpload(env, row, "failed", { code: "upload_incomplete", message }, at)) {
      ended++;
      await creditAccount(env, row.owner_id)
        .forgetJob(row.id)
        .catch(() => undefined);
    }
  }
  return ended;
}
