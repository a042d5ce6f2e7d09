import { and, desc, eq, isNull, notInArray, or, sql } from "drizzle-orm";
import { getDocumentProxy } from "unpdf";
import { FINAL_STATUSES } from "../../schema/api";
import { jobs, type JobRow } from "../../schema/db";
import { outsideBook, parsePages } from "../../schema/pages";
import { ApiError } from "../core/errors";
import { hashText } from "../core/idempotency";
import { db, nowIso } from "../core/db";
import { deletePrefix } from "./files";
import { listParts } from "./records";
import { pageImagesKey, sourceKey, uploadsPrefix } from "./keys";

/**
 * A job's book as stored: the files uploaded with a job (uploads/<job>/: the PDF, its parts,
 * or page images) are its **source**. "Process again" (POST /jobs/:id/rerun) makes a job that
 * reads the same files, nothing copied: its `source_job_id` names the job they were uploaded
 * with (the source's root), and its parts, if any, are rows pointing at the same objects.
 *
 * Who owns the files: every job on the source together. The source stays while any of them
 * is kept: deleting a job deletes the files only when no other job on them remains (deleting
 * the first job leaves its reruns able to run and be processed again), and the cron expires
 * a source 7 days after the last of its jobs ended, marking them all. Storage counts each
 * source once, whichever of its jobs remain.
 */

/** The job whose upload holds a job's files. */
export const sourceRoot = (row: Pick<JobRow, "id" | "source_job_id">) => row.source_job_id ?? row.id;

/** Jobs on the source whose root is `root` (the root itself, while its row exists). */
const onSource = (root: string) => or(eq(jobs.id, root), eq(jobs.source_job_id, root));

/**
 * The book's SHA-256: the PDF's when sent whole; for a book in parts or page images, the
 * SHA-256 of their SHA-256s (hex, one a line, in order).
 */
export function bookSha256(files: readonly { sha256?: string }[]): string | null {
  if (files.length === 0 || files.some((f) => !f.sha256)) return null;
  if (files.length === 1) return files[0]!.sha256!;
  return hashText(files.map((f) => f.sha256).join("\n"));
}

/**
 * The reader's latest earlier job on the same book whose upload is still kept (a finished one
 * first), or null: what `same_source_as` names.
 */
export async function sameSourceAs(env: Env, ownerId: string, sha256: string | null, exceptId: string): Promise<string | null> {
  if (!sha256) return null;
  const row = await db(env.DB)
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.owner_id, ownerId),
        eq(jobs.source_sha256, sha256),
        isNull(jobs.uploads_expired_at),
        notInArray(jobs.status, ["reserved", "uploading"]),
        sql`${jobs.id} <> ${exceptId}`,
      ),
    )
    .orderBy(desc(sql`${jobs.status} IN ('completed', 'partial')`), desc(jobs.created_at))
    .limit(1)
    .get();
  return row?.id ?? null;
}

/** Pages of a stored PDF, or null when pdf.js cannot open it (the plan step then says why). */
export async function storedPageCount(bucket: R2Bucket, key: string): Promise<number | null> {
  const obj = await bucket.get(key);
  if (!obj) return null;
  try {
    const doc = await getDocumentProxy(new Uint8Array(await obj.arrayBuffer()), { verbosity: 0 });
    try {
      return doc.numPages;
    } finally {
      await doc.destroy();
    }
  } catch {
    return null;
  }
}

/** Pages of a book stored as PDFs (a part after another), or null when one cannot be counted. */
export async function storedBookPages(bucket: R2Bucket, keys: readonly string[]): Promise<number | null> {
  let pages = 0;
  for (const key of keys) {
    const n = await storedPageCount(bucket, key);
    if (n === null) return null;
    pages += n;
  }
  return pages;
}

/** The `pages` setting against a book of `bookPages` pages: 400 naming `pages` when a range passes its end. */
export function requirePagesFit(pages: string | null, bookPages: number | null): void {
  if (!pages || bookPages === null) return;
  const outside = outsideBook(parsePages(pages), bookPages);
  if (outside) throw new ApiError(400, "invalid_field", `pages: ${outside}.`, "pages");
}

/**
 * Whether a job's book can still be read: its row says so (not expired) and the files are
 * there (the PDF, the page images' list, or its first part).
 */
export async function sourceAvailable(env: Env, row: JobRow): Promise<boolean> {
  if (row.uploads_expired_at !== null || row.status === "reserved" || row.status === "uploading") return false;
  const root = sourceRoot(row);
  if (row.part_count) {
    const first = (await listParts(env, row.id))[0];
    return first !== undefined && (await env.FILES.head(first.key)) !== null;
  }
  return (await env.FILES.head(sourceKey(root))) !== null || (await env.FILES.head(pageImagesKey(root))) !== null;
}

/**
 * A job is being deleted: its source's files go too unless another job on them remains (then
 * they stay for it, and go with the last one or when the cron expires them).
 */
export async function releaseSource(env: Env, row: JobRow): Promise<void> {
  const root = sourceRoot(row);
  const other = await db(env.DB)
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(onSource(root), sql`${jobs.id} <> ${row.id}`, isNull(jobs.uploads_expired_at)))
    .limit(1)
    .get();
  if (!other) await deletePrefix(env.FILES, uploadsPrefix(root));
}

/**
 * Cron: sources whose every job ended more than `ttlMs` ago are deleted, each once, and all
 * their jobs marked (`uploads_expired_at`); a source with a job still running, or ended
 * recently, waits. Returns how many sources expired.
 */
export async function expireSources(env: Env, now: number, ttlMs: number): Promise<number> {
  const cutoff = new Date(now - ttlMs).toISOString();
  const ended = FINAL_STATUSES.map((s) => `'${s}'`).join(", ");
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT COALESCE(j.source_job_id, j.id) AS root FROM jobs j
     WHERE j.status IN (${ended}) AND j.completed_at < ?1 AND j.uploads_expired_at IS NULL
       AND NOT EXISTS (
         SELECT 1 FROM jobs k
         WHERE (k.id = COALESCE(j.source_job_id, j.id) OR k.source_job_id = COALESCE(j.source_job_id, j.id))
           AND k.uploads_expired_at IS NULL AND (k.status NOT IN (${ended}) OR k.completed_at >= ?1))
     LIMIT 100`,
  )
    .bind(cutoff)
    .all<{ root: string }>();
  for (const { root } of results) {
    await deletePrefix(env.FILES, uploadsPrefix(root));
    await db(env.DB)
      .update(jobs)
      .set({ uploads_expired_at: nowIso() })
      .where(and(onSource(root), isNull(jobs.uploads_expired_at)));
  }
  return results.length;
}
