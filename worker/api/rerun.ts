import type { Context } from "hono";
import type { Job } from "../../schema/api";
import { JobSettingsSchema, jobSettingsSchema } from "../../schema/settings";
import { billingFor } from "../credits/service";
import { allowedModels } from "../jobs/engine";
import { listParts } from "../jobs/parts";
import { createJob, ownJob } from "../jobs/service";
import { requirePagesFit, sourceAvailable, sourceRoot } from "../jobs/sources";
import { takeHookFields } from "../webhooks/fields";
import { ApiError } from "../core/errors";
import { admitJob, releaseSlot, requireIntakeOpen, requireSomeCredit } from "./intake";
import type { AppEnv } from "../core/types";
import { validate } from "./validate";

/**
 * "Process again" (POST /api/v1/jobs/:id/rerun): a new job on the book a job already has in
 * storage, with other settings and no upload. It reads the same stored files (nothing is
 * copied: worker/jobs/sources.ts says who owns them) and is admitted, limited and charged as
 * any new job. The settings start from the job's own; the fields sent override them.
 */

/** The body's settings: at the top level, or in `settings` (the top level wins); webhook fields apart. */
function sentFields(body: Record<string, unknown>): Record<string, unknown> {
  const { settings, ...top } = body;
  if (settings !== undefined && (settings === null || typeof settings !== "object" || Array.isArray(settings))) {
    throw new ApiError(400, "invalid_field", "settings: must be an object of settings.", "settings");
  }
  return { ...(settings as Record<string, unknown> | undefined), ...top };
}

export async function rerunJob(c: Context<AppEnv>, body: Record<string, unknown>): Promise<Job> {
  const userId = c.get("userId");
  const original = await ownJob(c.env, userId, c.req.param("id")!);
  if (original.status === "reserved" || original.status === "uploading") {
    throw new ApiError(409, "job_not_rerunnable", `This job is ${original.status}: it has no whole book stored yet to process again.`);
  }
  if (!(await sourceAvailable(c.env, original))) {
    throw new ApiError(
      410,
      "source_expired",
      "This book's file is no longer stored (uploads are kept 7 days after their last job ended, and go with the last job on them): upload it again.",
    );
  }
  const { webhook_url, webhook_progress_every, ...fields } = sentFields(body);
  const hookFields = Object.fromEntries(
    Object.entries({ webhook_url, webhook_progress_every })
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => [k, String(v)]),
  );
  const taken = await takeHookFields(c.env, userId, hookFields);
  // The job's own settings, less a model no longer allowed (the server's default then), under what was sent.
  const models = allowedModels(c.env);
  const { gemini_model, ...base } = JobSettingsSchema.parse(JSON.parse(original.settings));
  const settings = validate(jobSettingsSchema(models), {
    ...base,
    ...(models.includes(gemini_model) ? { gemini_model } : {}),
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  });
  requirePagesFit(settings.pages, original.book_page_count);

  const id = crypto.randomUUID();
  const billing = billingFor(c.env, userId, settings.gemini_model);
  await requireIntakeOpen(c.env);
  await requireSomeCredit(c.env, billing);
  await admitJob(c, id);
  try {
    // A book in parts: the new job's part rows point at the same stored parts.
    const parts = original.part_count
      ? (await listParts(c.env, original.id)).map(({ n, key, size, filename, sha256 }) => ({ n, key, size, filename, sha256 }))
      : undefined;
    return await createJob(c.env, {
      id,
      ownerId: userId,
      filename: original.original_filename,
      size: original.file_size,
      settings,
      billing,
      hooks: taken.hooks,
      parts,
      source: {
        sha256: original.source_sha256,
        bookPages: original.book_page_count,
        sourceJobId: sourceRoot(original),
        rerunOf: original.id,
      },
    });
  } catch (err) {
    await releaseSlot(c.env, userId, id);
    throw err;
  }
}
