import { Hono, type Context } from "hono";
import { EventsQuerySchema, ListJobsQuerySchema, MAX_PARTS, ResultQuerySchema, SentenceEditSchema } from "../../schema/api";
import { JobSettingsSchema, jobSettingsSchema } from "../../schema/settings";
import { billingFor } from "../credits/service";
import { admitJob, releaseSlot, requireIntakeOpen, requireSomeCredit, storageRoom } from "./intake";
import { pageImageKey, pageImagesKey, partKey, sourceKey } from "../jobs/keys";
import { maxPartBytes } from "../jobs/part-limits";
import { createUploadingJob, getParts, partsJobInput, putPart } from "./parts";
import { allowedModels } from "../jobs/engine";
import { deleteKeys } from "../jobs/files";
import { savePageImages } from "../jobs/page-images";
import { cancelJob, createJob, deleteJob, editSentence, jobResult, listJobs, ownJob, retryJob, toPublicJob, tracker } from "../jobs/service";
import { requireAuth } from "../auth/caller";
import { credentialTag, recordSocket } from "../auth/sockets";
import { SOCKET_EXPIRES_HEADER, SOCKET_ID_HEADER } from "../jobs/tracker";
import { ApiError } from "./errors";
import { renderResult } from "./export";
import type { AppEnv } from "./types";
import { receiveUpload, type UploadOptions } from "./upload";
import { idempotent, jsonFingerprint, nullBucket, uploadFingerprint } from "./idempotency";
import { takeHookFields } from "../webhooks/fields";
import { jobDeliveries } from "../webhooks/service";
import { readJson, validate } from "./validate";

/** One page image is read whole into memory before it goes to R2. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * A job's upload form: a PDF, or a book's parts (pdf_file repeated, in page order), or page
 * images in order; or no file but `parts`, for a book whose parts come one request each.
 */
const uploadOptions = (env: Env, id: string, maxBytes: number, overLimit?: UploadOptions["overLimit"]): UploadOptions => ({
  maxBytes,
  overLimit,
  fileField: "pdf_file",
  maxFileBytes: maxPartBytes(env),
  files: { max: MAX_PARTS, key: (n) => partKey(id, n) },
  allowNoFile: (fields) => fields.parts !== undefined,
  images: {
    field: "page_images",
    maxPages: Number(env.MAX_PAGE_IMAGES) || 1000,
    maxImageBytes: MAX_IMAGE_BYTES,
    key: (page, ext) => pageImageKey(id, page, ext),
  },
});

const isJson = (c: Context<AppEnv>) => /^\s*application\/json\b/i.test(c.req.header("content-type") ?? "");
const partsBody = async (c: Context<AppEnv>) => {
  const body = await readJson(c, '{"parts": 3}');
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "invalid_json", 'Send a JSON object like {"parts": 3}.');
  return body as Record<string, unknown>;
};

/** A retried request's fingerprint: its upload read and hashed, nothing stored. */
async function replayedUploadFingerprint(c: Context<AppEnv>) {
  if (isJson(c)) return jsonFingerprint(await partsBody(c));
  const upload = await receiveUpload(c.req.raw, nullBucket, "replay", uploadOptions(c.env, "replay", Number(c.env.MAX_UPLOAD_BYTES)));
  return uploadFingerprint(upload);
}

/** Streams the upload of a new job into R2 and records the job; nothing is kept on failure. */
async function receiveJob(c: Context<AppEnv>, id: string, userId: string) {
  const key = sourceKey(id);
  const room = await storageRoom(c, "pdf_file");
  const upload = await receiveUpload(
    c.req.raw,
    c.env.FILES,
    key,
    uploadOptions(c.env, id, Math.min(Number(c.env.MAX_UPLOAD_BYTES), room.maxBytes), room.overLimit),
  );
  c.set("fingerprint", uploadFingerprint(upload));
  const images = upload.images;
  const files = upload.files ?? [];
  let settings;
  let billing;
  let hooks;
  try {
    // No file but `parts`: the parts come one request each.
    if (!images && files.length === 0) return { job: await createUploadingJob(c.env, id, userId, await partsJobInput(c.env, userId, upload.fields)), waiting: true };
    const { parts, ...fields } = upload.fields;
    if (parts !== undefined && (images || Number(parts) !== files.length)) {
      const message = images
        ? "parts: page images are sent without it."
        : `parts: ${parts} announced, but ${files.length} PDF${files.length === 1 ? " was" : "s were"} sent in pdf_file.`;
      throw new ApiError(400, "invalid_field", message, "parts");
    }
    const taken = await takeHookFields(c.env, userId, fields);
    hooks = taken.hooks;
    // gemini_model must be on the configured allow-list (GEMINI_MODELS).
    settings = validate(jobSettingsSchema(allowedModels(c.env)), taken.rest);
    billing = billingFor(c.env, userId, settings.gemini_model);
    if (images) await savePageImages(c.env.FILES, id, images);
  } catch (err) {
    // Nothing of a refused upload is kept.
    const stored = images ? [...images.map((i) => i.key), pageImagesKey(id)] : [key, ...files.map((f) => f.key)];
    await deleteKeys(c.env.FILES, stored);
    throw err;
  }
  const pages = images?.length ?? 0;
  const job = await createJob(c.env, {
    id,
    ownerId: userId,
    filename: images ? upload.file.filename || `${pages} page image${pages === 1 ? "" : "s"}` : upload.file.filename || "upload.pdf",
    size: upload.file.size,
    settings,
    billing,
    hooks,
    parts: files,
  });
  return { job, waiting: false };
}

/** POST /api/v1/jobs with a JSON body: a book whose parts come one request each. */
async function createPartsJob(c: Context<AppEnv>, id: string, userId: string) {
  const body = await partsBody(c);
  c.set("fingerprint", jsonFingerprint(body));
  return { job: await createUploadingJob(c.env, id, userId, await partsJobInput(c.env, userId, body)), waiting: true };
}

export const jobRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .post("/", idempotent("jobs.create", replayedUploadFingerprint), async (c) => {
    const id = crypto.randomUUID();
    const userId = c.get("userId");
    await requireIntakeOpen(c.env);
    await requireSomeCredit(c.env, billingFor(c.env, userId, allowedModels(c.env)[0]!));
    await admitJob(c, id);
    try {
      const { job, waiting } = isJson(c) ? await createPartsJob(c, id, userId) : await receiveJob(c, id, userId);
      c.header("Location", job.links.self);
      // A job waiting for its parts is created (201); one with its file is accepted and runs (202).
      return waiting ? c.json(job, 201) : c.json(job, 202);
    } catch (err) {
      await releaseSlot(c.env, userId, id);
      throw err;
    }
  })
  .get("/", async (c) => {
    const q = validate(ListJobsQuerySchema, c.req.query());
    return c.json(await listJobs(c.env, c.get("userId"), q.limit, q.cursor), 200);
  })
  .get("/:id", async (c) => {
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    return c.json(toPublicJob(row), 200);
  })
  .post("/:id/cancel", async (c) => {
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    return c.json(await cancelJob(c.env, row), 200);
  })
  .get("/:id/parts", (c) => getParts(c))
  .put("/:id/parts/:n", (c) => putPart(c))
  .get("/:id/webhooks", async (c) => {
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    return c.json({ deliveries: await jobDeliveries(c.env, row.id) }, 200);
  })
  .post("/:id/retry", async (c) => {
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    return c.json(await retryJob(c.env, row), 200);
  })
  .delete("/:id", async (c) => {
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    await deleteJob(c.env, row);
    return c.body(null, 204);
  })
  .get("/:id/result", async (c) => {
    const { format } = validate(ResultQuerySchema, c.req.query());
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    const result = await jobResult(c.env, row);
    if (format === "json") return c.json(result, 200);
    const settings = JobSettingsSchema.parse(JSON.parse(row.settings));
    const { body, contentType, extension } = renderResult(result, format, settings.preserve_formatting);
    const base = row.original_filename.replace(/\.(pdf|png|jpe?g)$/i, "") || "sentences";
    c.header("Content-Type", contentType);
    // An ASCII fallback, and the real (accented) name in RFC 5987 form for every modern client.
    const ascii = base.normalize("NFD").replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "") || "sentences";
    c.header(
      "Content-Disposition",
      `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encodeURIComponent(`${base}.${extension}`)}`,
    );
    return c.body(body, 200);
  })
  .patch("/:id/sentences/:index", async (c) => {
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    const index = Number(c.req.param("index"));
    if (!Number.isInteger(index) || index < 0) throw new ApiError(404, "not_found", "No such sentence.");
    const body = await readJson(c, '{"text": "…"}');
    const { text } = validate(SentenceEditSchema, body);
    return c.json(await editSentence(c.env, row, index, text), 200);
  })
  .get("/:id/events", async (c) => {
    validate(EventsQuerySchema, { after: c.req.query("after") ?? undefined });
    const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "upgrade_required", "This endpoint speaks WebSocket: connect with Upgrade: websocket.");
    }
    const caller = c.get("caller");
    const socketId = crypto.randomUUID();
    // The tracker tags the socket with its id and the credential's expiry; the D1 record lets
    // sign-out or revocation find and close it.
    const headers = new Headers(c.req.raw.headers);
    for (const h of ["Authorization", "Cookie", SOCKET_EXPIRES_HEADER]) headers.delete(h);
    headers.set(SOCKET_ID_HEADER, socketId);
    if (caller.expiresAt) headers.set(SOCKET_EXPIRES_HEADER, caller.expiresAt);
    const upstream = new URL(c.req.url);
    const res = await tracker(c.env, row.id).fetch(new Request(upstream, { headers }));
    if (res.status === 101) await recordSocket(c.env, socketId, row.id, credentialTag(caller.auth, caller.credentialId));
    return res;
  });
