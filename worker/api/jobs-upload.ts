import type { Context } from "hono";
import { resolver } from "hono-openapi";
import { JobUploadFormSchema, MAX_PARTS } from "../../schema/api";
import { type Room, storageRoom } from "./intake";
import { pageImageKey, pageImagesKey, partKey, sourceKey } from "../jobs/keys";
import { maxPartBytes } from "../jobs/part-limits";
import { partsJobInput } from "./parts";
import { openJob } from "../jobs/intake";
import { deleteKeys } from "../jobs/files";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { receiveUpload, type UploadOptions } from "./upload";
import { jsonFingerprint, nullBucket, uploadFingerprint } from "./idempotency";
import { readJson } from "./validate";
import { config } from "../core/config";

/**
 * The upload of a new job (POST /api/v1/jobs): its form read into R2 (a PDF, a book's parts, page
 * images) or its JSON body (a book whose parts come one request each), then opened through the
 * jobs layer's intake (worker/jobs/intake.ts). The route itself is in ./jobs.ts.
 */

/** One page image is read whole into memory before it goes to R2. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * A job's upload form: a PDF, or a book's parts (pdf_file repeated, in page order), or page
 * images in order; or no file but `parts`, for a book whose parts come one request each.
 */
export const uploadOptions = (env: Env, id: string, maxBytes: number, overLimit?: UploadOptions["overLimit"]): UploadOptions => ({
  maxBytes,
  overLimit,
  fileField: "pdf_file",
  maxFileBytes: maxPartBytes(env),
  files: { max: MAX_PARTS, key: (n) => partKey(id, n) },
  allowNoFile: (fields) => fields.parts !== undefined,
  images: {
    field: "page_images",
    maxPages: config(env).MAX_PAGE_IMAGES,
    maxImageBytes: MAX_IMAGE_BYTES,
    key: (page, ext) => pageImageKey(id, page, ext),
  },
});

/** The upload's form as the document shows it: POST /api/v1/jobs and the estimate take the same. */
export const UPLOAD_FORM = {
  schema: resolver(JobUploadFormSchema),
  encoding: { pdf_file: { contentType: "application/pdf" }, page_images: { contentType: "image/png, image/jpeg" } },
};

export const isJson = (c: Context<AppEnv>) => /^\s*application\/json\b/i.test(c.req.header("content-type") ?? "");
export const partsBody = async (c: Context<AppEnv>) => {
  const body = await readJson(c, '{"parts": 3}');
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new ApiError(400, "invalid_json", 'Send a JSON object like {"parts": 3}.');
  return body as Record<string, unknown>;
};

/** A retried request's fingerprint: its upload read and hashed, nothing stored. */
export async function replayedUploadFingerprint(c: Context<AppEnv>) {
  if (isJson(c)) return jsonFingerprint(await partsBody(c));
  const upload = await receiveUpload(c.req.raw, nullBucket, "replay", uploadOptions(c.env, "replay", config(c.env).MAX_UPLOAD_BYTES));
  return uploadFingerprint(upload);
}

/** Streams the upload of a new job into R2 and records the job; nothing is kept on failure. */
export async function receiveJob(c: Context<AppEnv>, id: string, userId: string) {
  const room = await storageRoom(c, "pdf_file");
  try {
    const opened = await openUpload(c, id, userId, room);
    await room.settle(opened.job.file_size);
    return opened;
  } catch (err) {
    await room.release();
    throw err;
  }
}

async function openUpload(c: Context<AppEnv>, id: string, userId: string, room: Room) {
  const key = sourceKey(id);
  const upload = await receiveUpload(
    c.req.raw,
    c.env.FILES,
    key,
    uploadOptions(c.env, id, Math.min(config(c.env).MAX_UPLOAD_BYTES, room.maxBytes), room.overLimit),
  );
  c.set("fingerprint", uploadFingerprint(upload));
  const images = upload.images;
  const files = upload.files ?? [];
  // No file but `parts`: the parts come one request each.
  if (!images && files.length === 0) {
    const { parts, filename, fields } = partsJobInput(upload.fields);
    const { job } = await openJob(c.env, id, userId, fields, { kind: "parts", parts, filename });
    return { job, waiting: true };
  }
  // Nothing of a refused upload is kept.
  const discard = () =>
    deleteKeys(c.env.FILES, images ? [...images.map((i) => i.key), pageImagesKey(id)] : [key, ...files.map((f) => f.key)]);
  const { parts, ...fields } = upload.fields;
  if (parts !== undefined && (images || Number(parts) !== files.length)) {
    await discard();
    const message = images
      ? "parts: page images are sent without it."
      : `parts: ${parts} announced, but ${files.length} PDF${files.length === 1 ? " was" : "s were"} sent in pdf_file.`;
    throw new ApiError(400, "invalid_field", message, "parts");
  }
  const { filename, size } = upload.file;
  const { job } = await openJob(c.env, id, userId, fields, { kind: "upload", filename, size, files, images }, discard);
  return { job, waiting: false };
}

/** POST /api/v1/jobs with a JSON body: a book whose parts come one request each. */
export async function createPartsJob(c: Context<AppEnv>, id: string, userId: string) {
  const body = await partsBody(c);
  c.set("fingerprint", jsonFingerprint(body));
  const { parts, filename, fields } = partsJobInput(body);
  const { job } = await openJob(c.env, id, userId, fields, { kind: "parts", parts, filename });
  return { job, waiting: true };
}
