import { Hono, type Context } from "hono";
import { resolver } from "hono-openapi";
import {
  CreatePartsJobRequestSchema,
  JobListSchema,
  JobPartsSchema,
  JobRetrySchema,
  JobSchema,
  ListJobsQuerySchema,
  PartReceivedSchema,
  WebhookDeliveryListSchema,
} from "../../schema/api";
import { billingFor, creditAccount, RateLimited, RETRIES_PER_JOB_HOUR } from "../credits/service";
import { admitJob, releaseSlot, requireIntakeOpen, requireSomeCredit } from "./intake";
import { getParts, putPart } from "./parts";
import { rerunJob } from "./rerun";
import { RerunRequestSchema } from "../../schema/before";
import { allowedModels } from "../jobs/engine";
import { cancelJob, deleteJob, listJobs, ownJob, retryJob, toPublicJob } from "../jobs/service";
import { requireAuth } from "../auth/caller";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import { idempotent, jsonFingerprint } from "./idempotency";
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
import { queryParams, readJson } from "./validate";
import { createPartsJob, isJson, receiveJob, replayedUploadFingerprint, UPLOAD_FORM } from "./jobs-upload";
import { jobId, jobOutputRoutes, NOT_FOUND } from "./jobs-output";

export { MAX_IMAGE_BYTES, UPLOAD_FORM, uploadOptions } from "./jobs-upload";

/** A rerun's JSON body, read as every JSON body is (capped, once); none: `{}`, the job's own settings. */
async function rerunBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  if (!c.req.raw.body || c.req.header("content-length") === "0") return {};
  const body = await readJson(c, '{"sentence_length_limit": 8}');
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new ApiError(400, "invalid_json", 'Send a JSON object of settings like {"sentence_length_limit": 8}, or no body.');
  return body as Record<string, unknown>;
}

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
  // The result, a sentence corrected, the live progress: ./jobs-output.ts.
  .route("/", jobOutputRoutes);
