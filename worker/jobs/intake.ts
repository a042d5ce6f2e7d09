/**
 * One intake step for every way a book comes in — an upload (a PDF, a book's parts in one
 * request, or page images), a job whose parts come one request each, and the PDF of a job
 * reserved ahead (POST /api/v1/process-pdf-async): the webhook fields, the settings over the
 * reader's saved defaults, the price, the page range against the book, then the job's row and
 * its start. The routes (worker/api/) only parse the request and store its files; admission
 * (intake open, credit, the hourly limit, storage) stays with them (worker/api/intake.ts).
 */
import type { Job } from "../../schema/api";
import { jobs } from "../../schema/db";
import type { JobSettings } from "../../schema/settings";
import { ApiError } from "../core/errors";
import { db, nowIso } from "../core/db";
import type { StoredFile, StoredImage } from "../core/stored";
import { type Billing, billingFor } from "../credits/service";
import { uploadSettings } from "../defaults/service";
import { takeHookFields } from "../webhooks/fields";
import type { JobHooks } from "../webhooks/service";
import { deleteKeys, moveObject } from "./files";
import { sourceKey } from "./keys";
import { transition } from "./lifecycle";
import { savePageImages } from "./page-images";
import { partsTtlMs } from "./part-limits";
import { newJobRow, startJob, toPublicJob } from "./records";
import { createJob } from "./service";
import { bookSha256, requirePagesFit, sameSourceAs, storedBookPages } from "./sources";

/** What every intake reads from the request's fields: the webhook, the settings, the price. */
export interface Intake {
  settings: JobSettings;
  hooks?: JobHooks;
  billing: Billing;
}

/**
 * The webhook fields taken out of the form (without them the reader's default URL applies), the
 * rest as settings over the reader's saved defaults (gemini_model on the allow-list), and what
 * the job is priced at.
 */
export async function readIntake(env: Env, userId: string, fields: Record<string, string>): Promise<Intake> {
  const taken = await takeHookFields(env, userId, fields);
  const settings = await uploadSettings(env, userId, taken.rest);
  return { settings, hooks: taken.hooks, billing: billingFor(env, userId, settings.gemini_model) };
}

/** The webhook columns of a job's row. */
export const hookColumns = (hooks?: JobHooks) => ({
  webhook_url: hooks?.url ?? null,
  webhook_progress_every: hooks?.progress_every ?? null,
});

/** A book as a request brought it. */
export type IntakeRequest =
  /** Its files are stored: one PDF, its parts in order (`files`), or page images. Starts now. */
  | { kind: "upload"; filename: string; size: number; files: StoredFile[]; images?: StoredImage[] }
  /** No file yet: `parts` PDFs come one request each; the job waits, `uploading`. */
  | { kind: "parts"; parts: number; filename: string }
  /** The PDF of a reserved job, stored at `key` (moved to the job's source key here). Starts now. */
  | { kind: "reservation"; key: string; filename: string; size: number; sha256: string | null };

/**
 * Opens job `id` for `userId` from a request's fields and what it brought: the intake fields
 * read, the page range checked against the book, the row written (or the reservation claimed)
 * and the job started. `refused` runs when a step before the row refuses (the caller's stored
 * files go then); `started` is false for a job that waits for its parts.
 */
export async function openJob(
  env: Env,
  id: string,
  userId: string,
  fields: Record<string, string>,
  req: IntakeRequest,
  refused: () => Promise<void> = async () => undefined,
): Promise<{ job: Job; started: boolean }> {
  let intake: Intake;
  let bookPages: number | null = null;
  try {
    intake = await readIntake(env, userId, fields);
    // A page range is checked against the book now (400 naming `pages`): its pages counted from
    // what was stored (page images are one page each). A book in parts is checked by the plan.
    if (intake.settings.pages && req.kind !== "parts") {
      bookPages =
        req.kind === "reservation"
          ? await storedBookPages(env.FILES, [req.key])
          : req.images
            ? req.images.length
            : await storedBookPages(
                env.FILES,
                req.files.map((f) => f.key),
              );
      requirePagesFit(intake.settings.pages, bookPages);
    }
    if (req.kind === "upload" && req.images) await savePageImages(env.FILES, id, req.images);
    if (req.kind === "reservation" && req.key !== sourceKey(id)) await moveObject(env.FILES, req.key, sourceKey(id));
  } catch (err) {
    await refused();
    throw err;
  }
  if (req.kind === "parts") return { job: await createUploadingJob(env, id, userId, req, intake), started: false };
  if (req.kind === "reservation") return { job: await claimReservation(env, id, userId, req, intake), started: true };
  const pages = req.images?.length ?? 0;
  const sha256 = bookSha256(req.images ?? req.files);
  const job = await createJob(env, {
    id,
    ownerId: userId,
    filename: req.images ? req.filename || `${pages} page image${pages === 1 ? "" : "s"}` : req.filename || "upload.pdf",
    size: req.size,
    ...intake,
    parts: req.files,
    source: { sha256, sameSourceAs: await sameSourceAs(env, userId, sha256, id), bookPages: req.images ? pages : bookPages },
  });
  return { job, started: true };
}

/** Records a job that waits for its parts; nothing starts until the last one is stored. */
async function createUploadingJob(env: Env, id: string, userId: string, req: { parts: number; filename: string }, intake: Intake) {
  const row = newJobRow(
    { id, ownerId: userId, filename: req.filename, size: 0, settings: intake.settings, billing: intake.billing },
    "uploading",
    {
      current_step: `waiting for ${req.parts} parts`,
      part_count: req.parts,
      upload_expires_at: new Date(Date.now() + partsTtlMs(env)).toISOString(),
      ...hookColumns(intake.hooks),
    },
  );
  await db(env.DB).insert(jobs).values(row);
  return toPublicJob(row);
}

/** The reserved job takes its PDF and starts: claimed once, so a second request for it finds it taken (409). */
async function claimReservation(
  env: Env,
  id: string,
  userId: string,
  req: Extract<IntakeRequest, { kind: "reservation" }>,
  { settings, billing, hooks }: Intake,
) {
  const claimed = await transition(
    env.DB,
    id,
    "queued",
    {
      current_step: "queued",
      original_filename: req.filename,
      file_size: req.size,
      settings: JSON.stringify(settings),
      engine: billing.engine,
      model: billing.model,
      pricing_rate: billing.rate,
      pricing_version: billing.pricing_version,
      ...hookColumns(hooks),
      source_sha256: req.sha256,
      same_source_as: await sameSourceAs(env, userId, req.sha256, id),
      updated_at: nowIso(),
    },
    { from: ["reserved"] },
  );
  if (!claimed) {
    await deleteKeys(env.FILES, [sourceKey(id)]);
    throw new ApiError(409, "job_not_reserved", "This reservation was used or expired meanwhile.");
  }
  await startJob(env, id, settings, billing, hooks);
  return toPublicJob(claimed);
}
