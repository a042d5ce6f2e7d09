import { Hono, type Context } from "hono";
import { resolver } from "hono-openapi";
import {
  EventsQuerySchema,
  CreatePartsJobRequestSchema,
  isFinal,
  JobListSchema,
  JobPartsSchema,
  JobResultSchema,
  JobRetrySchema,
  JobSchema,
  JobUploadFormSchema,
  ListJobsQuerySchema,
  MAX_PARTS,
  PartReceivedSchema,
  RESULT_EXPORT_COLUMNS,
  ResultQuerySchema,
  ResultSentenceSchema,
  SentenceEditSchema,
  WebhookDeliveryListSchema,
} from "../../schema/api";
import { JobSettingsSchema } from "../../schema/settings";
import { exportColumns } from "../defaults/service";
import { splitColumns } from "../../schema/sheets";
import { billingFor, creditAccount, RateLimited, RETRIES_PER_JOB_HOUR } from "../credits/service";
import { admitJob, releaseSlot, requireIntakeOpen, requireSomeCredit, type Room, storageRoom } from "./intake";
import { pageImageKey, pageImagesKey, partKey, sourceKey } from "../jobs/keys";
import { maxPartBytes } from "../jobs/part-limits";
import { getParts, partsJobInput, putPart } from "./parts";
import { openJob } from "../jobs/intake";
import { rerunJob } from "./rerun";
import { RerunRequestSchema } from "../../schema/before";
import { allowedModels } from "../jobs/engine";
import { deleteKeys } from "../jobs/files";
import { cancelJob, deleteJob, editSentence, jobResult, listJobs, ownJob, retryJob, toPublicJob, tracker } from "../jobs/service";
import { requireAuth } from "../auth/caller";
import { credentialTag, recordSocket } from "../auth/sockets";
import { SOCKET_EXPIRES_HEADER, SOCKET_ID_HEADER } from "../jobs/tracker";
import { endedSocket, JOB_ENDED_HEADER } from "../jobs/release";
import { ApiError } from "../core/errors";
import { bookName } from "../pipeline/anki";
import { APKG_TOO_LARGE, APKG_TYPE, attachment, renderResult, XLSX_TYPE } from "./export";
import { checkApkgSize, loadSqlJs } from "./sqljs";
import type { AppEnv } from "../core/types";
import { receiveUpload, type UploadOptions } from "./upload";
import { idempotent, jsonFingerprint, nullBucket, uploadFingerprint } from "./idempotency";
import { jobDeliveries } from "../webhooks/service";
import {
  describe,
  error,
  header,
  IDEMPOTENCY_ERRORS,
  IDEMPOTENCY_KEY,
  json,
  noContent,
  pathParam,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER,
  UPLOAD_400,
} from "./openapi";
import { jsonBody, queryParams, readJson } from "./validate";
import { config } from "../core/config";

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

const isJson = (c: Context<AppEnv>) => /^\s*application\/json\b/i.test(c.req.header("content-type") ?? "");
const partsBody = async (c: Context<AppEnv>) => {
  const body = await readJson(c, '{"parts": 3}');
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new ApiError(400, "invalid_json", 'Send a JSON object like {"parts": 3}.');
  return body as Record<string, unknown>;
};

/** A rerun's JSON body, read as every JSON body is (capped, once); none: `{}`, the job's own settings. */
async function rerunBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  if (!c.req.raw.body || c.req.header("content-length") === "0") return {};
  const body = await readJson(c, '{"sentence_length_limit": 8}');
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new ApiError(400, "invalid_json", 'Send a JSON object of settings like {"sentence_length_limit": 8}, or no body.');
  return body as Record<string, unknown>;
}

/** A retried request's fingerprint: its upload read and hashed, nothing stored. */
async function replayedUploadFingerprint(c: Context<AppEnv>) {
  if (isJson(c)) return jsonFingerprint(await partsBody(c));
  const upload = await receiveUpload(c.req.raw, nullBucket, "replay", uploadOptions(c.env, "replay", config(c.env).MAX_UPLOAD_BYTES));
  return uploadFingerprint(upload);
}

/** Streams the upload of a new job into R2 and records the job; nothing is kept on failure. */
async function receiveJob(c: Context<AppEnv>, id: string, userId: string) {
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
async function createPartsJob(c: Context<AppEnv>, id: string, userId: string) {
  const body = await partsBody(c);
  c.set("fingerprint", jsonFingerprint(body));
  const { parts, filename, fields } = partsJobInput(body);
  const { job } = await openJob(c.env, id, userId, fields, { kind: "parts", parts, filename });
  return { job, waiting: true };
}

const jobId = pathParam("id", "The job's id.");
const NOT_FOUND = "`not_found`: no such job of mine.";

export const jobRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .post(
    "/",
    describe({
      operationId: "createJob",
      summary: "Upload a book",
      description:
        "multipart/form-data: `pdf_file` (one PDF, or a big book's parts: the field repeated in page order, with `parts`) **or** one or more " +
        "`page_images` (PNG or JPEG, one page each, in the order sent), plus settings and webhook fields. Files are streamed to storage and " +
        "judged by their content, not their name. Answers 202 at once; the job then runs in the background (follow it with " +
        "GET /api/v1/jobs/{id}, its WebSocket, or a webhook).\n\n" +
        "Or application/json `{parts: N, filename?, …settings}`: a job (201, `uploading`) whose N parts come one request each with " +
        "PUT /api/v1/jobs/{id}/parts/{n}; it starts when the last arrives.",
      tag: "Jobs",
      access: "user",
      parameters: [IDEMPOTENCY_KEY],
      requestBody: {
        required: true,
        content: {
          "multipart/form-data": UPLOAD_FORM,
          "application/json": { schema: resolver(CreatePartsJobRequestSchema) },
        },
      },
      responses: {
        201: json(JobSchema, "Created (a JSON body): the job, `uploading`, waiting for its parts.", {
          Location: header("The job's URL."),
          ...RATE_LIMIT_HEADERS,
          "Idempotent-Replayed": header("`true` when this is the first answer to the same Idempotency-Key again."),
        }),
        202: json(JobSchema, "Accepted: the job, queued, with its `links`.", {
          Location: header("The job's URL."),
          ...RATE_LIMIT_HEADERS,
          "Idempotent-Replayed": header("`true` when this is the first answer to the same Idempotency-Key again."),
        }),
      },
      errors: {
        400: UPLOAD_400,
        402: "`insufficient_credits`: a priced engine and no credit available.",
        ...IDEMPOTENCY_ERRORS,
        413:
          "`too_large`: one PDF over MAX_PART_BYTES (send it in parts); `file_too_large` (over MAX_UPLOAD_BYTES), `storage_quota_exceeded`, " +
          "`image_too_large` (one image over 20 MB), `too_many_pages` (more than MAX_PAGE_IMAGES images), `too_many_files` (more than 100 parts).",
        415: "`unsupported_media_type`: neither multipart/form-data nor JSON, not a PDF (by content), or a page image that is not PNG/JPEG (the message names it).",
        429: error("`rate_limited`: more than MAX_JOBS_PER_HOUR new jobs in an hour.", { ...RETRY_AFTER, ...RATE_LIMIT_HEADERS }),
        503: error("`intake_paused`: new jobs are paused for maintenance; running jobs go on.", RETRY_AFTER),
      },
    }),
    idempotent("jobs.create", replayedUploadFingerprint),
    async (c) => {
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
    },
  )
  .get(
    "/",
    describe({
      operationId: "listJobs",
      summary: "My jobs",
      description: "Newest first; `next_cursor` gives the next page.",
      tag: "Jobs",
      access: "user",
      responses: { 200: json(JobListSchema, "A page of jobs.") },
      errors: { 400: "`invalid_field`: a parameter is invalid (`field` names it); `invalid_cursor`." },
    }),
    queryParams(ListJobsQuerySchema),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(await listJobs(c.env, c.get("userId"), q.limit, q.cursor), 200);
    },
  )
  .get(
    "/:id",
    describe({
      operationId: "getJob",
      summary: "One job",
      description: "Its status and progress (`progress_percent`, `current_step`, chunk counts), settings, engine, tokens and credits.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: { 200: json(JobSchema, "The job.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => {
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      return c.json(toPublicJob(row), 200);
    },
  )
  .post(
    "/:id/cancel",
    describe({
      operationId: "cancelJob",
      summary: "Cancel a job",
      description:
        "Once it answers, no further chunk is processed; a reserved job gives its credits back. An ended job is answered as it is.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: { 200: json(JobSchema, "The job now.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => {
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      return c.json(await cancelJob(c.env, row), 200);
    },
  )
  .get(
    "/:id/parts",
    describe({
      operationId: "getJobParts",
      summary: "The parts of a book sent in parts",
      description: "The parts stored and the part numbers still missing.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: { 200: json(JobPartsSchema, "The parts.") },
      errors: { 404: NOT_FOUND },
    }),
    (c) => getParts(c),
  )
  .put(
    "/:id/parts/:n",
    describe({
      operationId: "putJobPart",
      summary: "Send one part of a book",
      description:
        "The body is the part's PDF itself (`Content-Type: application/pdf`, at most MAX_PART_BYTES); `Content-Disposition: attachment; " +
        "filename=…` may name it. Sending a part again replaces it. The job starts when its last missing part is stored (202).",
      tag: "Jobs",
      access: "user",
      parameters: [
        jobId,
        {
          ...pathParam("n", "The part's number, from 1 to the job's `part_count`, in page order."),
          schema: { type: "integer", minimum: 1 },
        },
      ],
      requestBody: {
        required: true,
        content: { "application/pdf": { schema: { type: "string", format: "binary", contentMediaType: "application/pdf" } } },
      },
      responses: {
        200: json(PartReceivedSchema, "Stored; other parts are still missing.", { Location: header("The job's URL.") }),
        202: json(PartReceivedSchema, "Stored, and it was the last: the job started.", { Location: header("The job's URL.") }),
      },
      errors: {
        400: "`invalid_part`: no such part number for this job (`field`: `n`); `empty_file`.",
        404: NOT_FOUND,
        409: "`job_not_uploading`: the job takes no (more) parts.",
        410: "`upload_expired`: the upload expired before all its parts arrived; create the job again.",
        413: "`too_large`: the part is over MAX_PART_BYTES; `file_too_large`: the parts together over MAX_UPLOAD_BYTES; `storage_quota_exceeded`.",
        415: "`unsupported_media_type`: the part is not a PDF, or was sent as a form.",
      },
    }),
    (c) => putPart(c),
  )
  .get(
    "/:id/webhooks",
    describe({
      operationId: "listJobWebhookDeliveries",
      summary: "Webhook deliveries of a job",
      description: "Every event sent for the job, with each attempt (status, latency, error).",
      tag: "Webhooks",
      access: "user",
      parameters: [jobId],
      responses: { 200: json(WebhookDeliveryListSchema, "The deliveries, oldest first.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => {
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      return c.json({ deliveries: await jobDeliveries(c.env, row.id) }, 200);
    },
  )
  .post(
    "/:id/rerun",
    describe({
      operationId: "rerunJob",
      summary: "Process the book again with other settings",
      description:
        "A new job on the book this job has in storage (no upload): the job's own settings, the fields sent overriding them (at the top level or in " +
        "`settings`; `pages` too). It is admitted, limited (MAX_JOBS_PER_HOUR) and charged as any new job. The stored file is read, not copied: it " +
        "stays while any job on it remains and is expired 7 days after the last of them ended; then 410 `source_expired`.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId, IDEMPOTENCY_KEY],
      requestBody: { required: false, content: { "application/json": { schema: resolver(RerunRequestSchema) } } },
      responses: {
        202: json(JobSchema, "Accepted: the new job, queued, with its `links` and `rerun_of`.", {
          Location: header("The new job's URL."),
          ...RATE_LIMIT_HEADERS,
          "Idempotent-Replayed": header("`true` when this is the first answer to the same Idempotency-Key again."),
        }),
      },
      errors: {
        400: "`invalid_field`: a setting is invalid or unknown (`field` names it; `pages` past the book's end); `invalid_json`.",
        402: "`insufficient_credits`: a priced engine and no credit available.",
        404: NOT_FOUND,
        ...IDEMPOTENCY_ERRORS,
        409: "`job_not_rerunnable`: the job has no whole book stored yet (reserved, or waiting for its parts); `idempotency_in_progress`.",
        410: "`source_expired`: the book's file is no longer stored; upload it again.",
        429: error("`rate_limited`: more than MAX_JOBS_PER_HOUR new jobs in an hour.", { ...RETRY_AFTER, ...RATE_LIMIT_HEADERS }),
        503: error("`intake_paused`: new jobs are paused for maintenance; running jobs go on.", RETRY_AFTER),
      },
    }),
    idempotent("jobs.rerun", async (c) => jsonFingerprint({ job: c.req.param("id"), body: await rerunBody(c) })),
    async (c) => {
      const body = await rerunBody(c);
      c.set("fingerprint", jsonFingerprint({ job: c.req.param("id"), body }));
      const job = await rerunJob(c, body);
      c.header("Location", job.links.self);
      return c.json(job, 202);
    },
  )
  .post(
    "/:id/retry",
    describe({
      operationId: "retryJob",
      summary: "Retry a job's failed pages",
      description: "The chunks that failed are tried again; refused while the reader's edits would be renumbered.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: { 200: json(JobRetrySchema, "The job now and the chunks tried again.") },
      errors: {
        402: "`insufficient_credits`: not enough credits for the retry (it reserves for the chunks it retries).",
        404: NOT_FOUND,
        409: "`job_has_edits`: the job has corrected sentences; `not_retryable` (or another code): nothing to retry now.",
        429: "`rate_limited`: at most 5 retries of one job an hour (`Retry-After` says when the next may come).",
      },
    }),
    async (c) => {
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      // Each retry asked counts, whatever it finds to do: a loop of retries is what this bounds.
      const admission = await creditAccount(c.env, row.owner_id).admitRetry(row.id, RETRIES_PER_JOB_HOUR);
      if (!admission.ok) {
        throw new RateLimited(
          admission,
          `At most ${admission.limit} retries of one job an hour: try again in ${Math.ceil(admission.reset_seconds / 60)} min.`,
        );
      }
      return c.json(await retryJob(c.env, row), 200);
    },
  )
  .delete(
    "/:id",
    describe({
      operationId: "deleteJob",
      summary: "Delete a job",
      description: "Its files and its record; a running job is cancelled first.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: { 204: noContent("Deleted.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => {
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      await deleteJob(c.env, row);
      return c.body(null, 204);
    },
  )
  .get(
    "/:id/result",
    describe({
      operationId: "getJobResult",
      summary: "The sentences",
      description:
        "While the job runs: the finished chunks in order (`complete: false`). `format=txt` is one sentence per line; csv and tsv have the columns " +
        "`index, sentence, page, chunk, original` (`original` empty unless the sentence was rewritten; new columns only ever go last) and a BOM. " +
        "`anki`: a text file for Anki's importer (File → Import; headers for the note type `French Novel Tool`, the deck named after the book, " +
        "tags `fnt` and the book) with the columns `Sentence, Original, Page, Deck, GUID, Tags`; `apkg`: an Anki package of the same notes " +
        "(the note type included); the GUID comes from the job and the sentence's index, so it stays through edits and re-importing updates the notes. " +
        "`xlsx`: an Excel workbook of the csv's columns, a bold frozen header, every cell text (never a formula).",
      tag: "Jobs",
      access: "user",
      parameters: [jobId],
      responses: {
        200: {
          description: "The result: JSON, or a file download for the other formats (`Content-Disposition: attachment`).",
          headers: { "Content-Disposition": header("For the files: the book's name with the format's extension (`.anki.txt` for anki).") },
          content: {
            "application/json": { schema: resolver(JobResultSchema, { options: { io: "output" } }) },
            "text/plain": { schema: { type: "string" } },
            "text/csv": { schema: { type: "string" } },
            "text/tab-separated-values": { schema: { type: "string" } },
            [APKG_TYPE]: { schema: { type: "string", format: "binary", contentMediaType: APKG_TYPE } },
            [XLSX_TYPE]: { schema: { type: "string", format: "binary", contentMediaType: XLSX_TYPE } },
          },
        },
      },
      errors: {
        400: "`invalid_field`: `format`, or a `columns` name that is not one of the export's.",
        404: NOT_FOUND,
        413: APKG_TOO_LARGE,
      },
    }),
    queryParams(ResultQuerySchema),
    async (c) => {
      const { format, columns: asked } = c.req.valid("query");
      const row = await ownJob(c.env, c.get("userId"), c.req.param("id"));
      // My saved export columns apply to the table formats; `columns` sent overrides them.
      const columns = await exportColumns(c.env, c.get("userId"), RESULT_EXPORT_COLUMNS, splitColumns(asked));
      const result = await jobResult(c.env, row);
      if (format === "json") return c.json(result, 200);
      if (format === "apkg") checkApkgSize(result.sentences.length);
      const settings = JobSettingsSchema.parse(JSON.parse(row.settings));
      const { body, contentType, extension } = await renderResult(result, format, row, {
        paragraphBreaks: settings.preserve_formatting,
        sql: loadSqlJs,
        columns,
      });
      c.header("Content-Type", contentType);
      c.header("Content-Disposition", attachment(bookName(row.original_filename), extension));
      return c.body(body, 200);
    },
  )
  .patch(
    "/:id/sentences/:index",
    describe({
      operationId: "editSentence",
      summary: "Correct one sentence",
      description: "Of a finished job; results and exports carry the edit (`edited: true`), `original` stays.",
      tag: "Jobs",
      access: "user",
      parameters: [jobId, { ...pathParam("index", "The sentence's `index` in the result."), schema: { type: "integer", minimum: 0 } }],
      responses: { 200: json(ResultSentenceSchema, "The sentence now.") },
      errors: {
        400: "`invalid_field` (`text`): empty, or longer than three times the engine's sentence (200 characters at least).",
        404: "`not_found`: no such job of mine, or no such sentence.",
        409: "`job_not_finished`: sentences can be edited once the job has finished.",
      },
    }),
    async (c, next) => {
      // The job and the index are checked before the body is read.
      c.set("job", await ownJob(c.env, c.get("userId"), c.req.param("id")));
      const index = Number(c.req.param("index"));
      if (!Number.isInteger(index) || index < 0) throw new ApiError(404, "not_found", "No such sentence.");
      await next();
    },
    jsonBody(SentenceEditSchema, '{"text": "…"}'),
    async (c) => {
      const { text } = c.req.valid("json");
      return c.json(await editSentence(c.env, c.get("job")!, Number(c.req.param("index")), text), 200);
    },
  )
  .get(
    "/:id/events",
    describe({
      operationId: "streamJobEvents",
      summary: "Live progress (WebSocket)",
      description:
        "Connect with `Upgrade: websocket`. Every progress event is a message (`ProgressEvent`, with its `seq`); `after` replays what was missed. " +
        "The browser's cookie authenticates it (same Origin only); programs send `Authorization: Bearer <key>`, or `access_token` in the query " +
        "where their client cannot set headers. When the credential ends (sign-out, revoked key, expiry) the socket gets a `CredentialEnded` " +
        "message and is closed with code 4001.",
      tag: "Jobs",
      access: "user",
      parameters: [
        jobId,
        {
          name: "access_token",
          in: "query",
          required: false,
          description: "An API key or session token, for WebSocket clients that cannot set headers.",
          schema: { type: "string" },
        },
      ],
      responses: {
        101: {
          description:
            "Switching Protocols: the WebSocket. Messages are `ProgressEvent` JSON objects, then possibly one `CredentialEnded`.",
        },
      },
      errors: {
        403: "`forbidden_origin`: a session's WebSocket opened from another site.",
        404: NOT_FOUND,
        426: "`upgrade_required`: this endpoint speaks WebSocket; connect with `Upgrade: websocket`.",
      },
    }),
    queryParams(EventsQuerySchema),
    async (c) => {
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
      if (isFinal(row.status)) headers.set(JOB_ENDED_HEADER, "1");
      const upstream = new URL(c.req.url);
      const res = await tracker(c.env, row.id).fetch(new Request(upstream, { headers }));
      // The job ended and its tracker let go of its event log: its final state from D1, then closed.
      if (res.status === 410) return endedSocket(row, c.req.valid("query").after);
      if (res.status === 101) await recordSocket(c.env, socketId, row.id, credentialTag(caller.auth, caller.credentialId));
      return res;
    },
  );
