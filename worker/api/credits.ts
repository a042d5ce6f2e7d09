import { and, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import { resolver } from "hono-openapi";
import {
  CreditsSchema,
  LedgerPageSchema,
  LedgerQuerySchema,
  LimitsSchema,
  MAX_PARTS,
  ProcessPdfAcceptedSchema,
  ProcessPdfFormSchema,
  ReservationSchema,
  ReserveCreditsSchema,
} from "../../schema/api";
import { jobs, type JobRow } from "../../schema/db";
import { jobSettingsSchema } from "../../schema/settings";
import { allowedModels } from "../jobs/engine";
import { requireAuth } from "../auth/caller";
import { millisFor, toCredits } from "../credits/pricing";
import {
  billingFor,
  creditAccount,
  insufficient,
  jobsPerHour,
  pricing,
  publicCredits,
  rateLimitHeaders,
  storageQuota,
  storageUsed,
} from "../credits/service";
import { db, nowIso } from "../core/db";
import { deleteKeys } from "../jobs/files";
import { sourceKey } from "../jobs/keys";
import { maxPartBytes, partsTtlMs } from "../jobs/part-limits";
import { newJobRow, ownJob } from "../jobs/service";
import { openJob } from "../jobs/intake";
import { ApiError } from "../core/errors";
import { idempotent, jsonFingerprint, nullBucket, uploadFingerprint } from "./idempotency";
import { admitJob, releaseSlot, requireIntakeOpen, storageRoom } from "./intake";
import type { AppEnv } from "../core/types";
import { receiveUpload } from "./upload";
import { describe, error, header, IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY, json, RATE_LIMIT_HEADERS, RETRY_AFTER, UPLOAD_400 } from "./openapi";
import { jsonBody, queryParams, readJson } from "./validate";
import { TEXT_LIMITS } from "../pipeline/extract";
import { config } from "../core/config";

const reservationTtlMs = (env: Env) => config(env).RESERVATION_TTL_SECONDS * 1000;

const reserveBody = (c: { req: { raw: Request } }) => readJson(c, '{"estimated_tokens": 50000}');

/** /api/v1/credits: the balance, its ledger, and reservations ahead of an upload. */
export const creditRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/",
    describe({
      operationId: "getCredits",
      summary: "My credits",
      description: "Credits (up to 3 decimals): `available = balance − reserved`; the monthly allowance, its period, and the prices.",
      tag: "Credits",
      access: "user",
      responses: { 200: json(CreditsSchema, "My balance.") },
    }),
    async (c) => {
      const summary = await creditAccount(c.env, c.get("userId")).summary();
      return c.json(publicCredits(summary, pricing(c.env)), 200);
    },
  )
  .get(
    "/ledger",
    describe({
      operationId: "listCreditLedger",
      summary: "My credit ledger",
      description:
        "Newest first. `credits` is signed for grant (+), settle and expire (−); for reserve and release it is the amount held or given back.",
      tag: "Credits",
      access: "user",
      responses: { 200: json(LedgerPageSchema, "A page of entries.") },
    }),
    queryParams(LedgerQuerySchema),
    async (c) => {
      const q = c.req.valid("query");
      const page = await creditAccount(c.env, c.get("userId")).ledger(q.cursor ? Number(q.cursor) : null, q.limit);
      // Entries name their job by its book (a retry's key is the job id and a suffix).
      const jobIds = [...new Set(page.entries.map((e) => e.job_id?.split("#")[0]).filter((id): id is string => Boolean(id)))];
      const names = new Map<string, string>();
      for (let i = 0; i < jobIds.length; i += 90) {
        const rows = await db(c.env.DB)
          .select({ id: jobs.id, name: jobs.original_filename })
          .from(jobs)
          .where(and(eq(jobs.owner_id, c.get("userId")), inArray(jobs.id, jobIds.slice(i, i + 90))))
          .all();
        for (const r of rows) names.set(r.id, r.name);
      }
      return c.json(
        {
          entries: page.entries.map((e) => ({
            id: e.id,
            at: e.at,
            kind: e.kind,
            credits: toCredits(e.amount),
            job_id: e.job_id?.split("#")[0] ?? null,
            job_name: e.job_id ? (names.get(e.job_id.split("#")[0]!) ?? null) : null,
            note: e.note,
            balance_after: toCredits(e.balance_after),
            reserved_after: toCredits(e.reserved_after),
            available_after: toCredits(e.balance_after - e.reserved_after),
          })),
          next_cursor: page.next_cursor,
        },
        200,
      );
    },
  )
  // The original tool's first step: hold credits for a job whose file comes next.
  .post(
    "/reserve",
    describe({
      operationId: "reserveCredits",
      summary: "Reserve credits ahead of an upload",
      description:
        "The original tool's first step: a job in state `reserved` holding the estimate's credits for RESERVATION_TTL_SECONDS (30 min); " +
        "its PDF comes next with POST /api/v1/process-pdf-async.",
      tag: "Credits",
      access: "user",
      parameters: [IDEMPOTENCY_KEY],
      responses: {
        201: json(ReservationSchema, "Reserved.", {
          ...RATE_LIMIT_HEADERS,
          "Idempotent-Replayed": header("`true` when this is the first answer to the same Idempotency-Key again."),
        }),
      },
      errors: {
        400: "`invalid_field`: `estimated_tokens` missing, 0, negative or not a whole number, or a `gemini_model` not allowed; `invalid_json`.",
        402: "`insufficient_credits`: not enough credits available for the estimate.",
        ...IDEMPOTENCY_ERRORS,
        429: error("`rate_limited`: more than MAX_JOBS_PER_HOUR new jobs in an hour.", { ...RETRY_AFTER, ...RATE_LIMIT_HEADERS }),
        503: error("`intake_paused`: new jobs are paused for maintenance.", RETRY_AFTER),
      },
    }),
    idempotent("credits.reserve", async (c) => jsonFingerprint(await reserveBody(c))),
    jsonBody(ReserveCreditsSchema, '{"estimated_tokens": 50000}'),
    async (c) => {
      c.set("fingerprint", jsonFingerprint(await reserveBody(c)));
      const { estimated_tokens, gemini_model } = c.req.valid("json");
      await requireIntakeOpen(c.env);
      const models = allowedModels(c.env);
      const model = gemini_model ?? models[0]!;
      if (!models.includes(model)) {
        throw new ApiError(400, "invalid_field", `gemini_model: must be one of ${models.join(", ")}`, "gemini_model");
      }
      const userId = c.get("userId");
      const billing = billingFor(c.env, userId, model);
      const id = crypto.randomUUID();
      await admitJob(c, id);
      try {
        const millis = millisFor(estimated_tokens, billing.rate);
        const expiresAt = new Date(Date.now() + reservationTtlMs(c.env)).toISOString();
        // A free engine has nothing to hold; a priced one holds the estimate or is refused.
        const account = creditAccount(c.env, userId);
        const r = millis > 0 ? await account.reserve(id, millis, expiresAt) : { ok: true as const, summary: await account.summary() };
        if (!r.ok) throw insufficient(millis, r.reason === "insufficient" ? r.available : 0);
        const settings = jobSettingsSchema(models).parse({ gemini_model: model });
        await db(c.env.DB)
          .insert(jobs)
          .values(
            newJobRow({ id, ownerId: userId, filename: "", size: 0, settings, billing }, "reserved", {
              estimated_tokens,
              estimated_millicredits: millis,
              reservation_expires_at: expiresAt,
            }),
          );
        return c.json(
          {
            job_id: id,
            estimated_credits: toCredits(millis),
            reserved_credits: toCredits(millis),
            available: toCredits(r.summary.available),
            expires_at: expiresAt,
          },
          201,
        );
      } catch (err) {
        await releaseSlot(c.env, userId, id);
        await creditAccount(c.env, userId)
          .release(id, "reservation refused")
          .catch(() => undefined);
        throw err;
      }
    },
  );

/** A retried request's fingerprint: its form read and hashed, nothing stored. */
async function replayedPdfFingerprint(c: { req: { raw: Request }; env: Env }) {
  const upload = await receiveUpload(c.req.raw, nullBucket, "replay", {
    maxBytes: config(c.env).MAX_UPLOAD_BYTES,
    maxFileBytes: maxPartBytes(c.env),
    fileField: "pdf_file",
  });
  return uploadFingerprint(upload);
}

/** A reserved job that can take its file now, or the answer why not. */
async function usableReservation(env: Env, userId: string, jobId: string | undefined): Promise<JobRow> {
  if (!jobId) throw new ApiError(400, "invalid_field", "job_id: send the job_id that POST /api/v1/credits/reserve returned.", "job_id");
  const row = await ownJob(env, userId, jobId);
  const lapsed = row.error_code === "reservation_expired" || (row.status === "reserved" && (row.reservation_expires_at ?? "") < nowIso());
  if (lapsed) throw new ApiError(410, "reservation_expired", "This reservation expired unused: reserve credits again.");
  if (row.status !== "reserved")
    throw new ApiError(409, "job_not_reserved", `This job is already ${row.status}: reserve credits for a new one.`);
  return row;
}

/** The original tool's second step: the PDF for a reserved job, which then runs as any other. */
export const legacyRoutes = new Hono<AppEnv>().post(
  "/process-pdf-async",
  describe({
    operationId: "processPdfAsync",
    summary: "Upload the PDF of a reserved job",
    description:
      "The original tool's second step, multipart: `job_id` (from POST /api/v1/credits/reserve), `pdf_file` and the settings fields. " +
      "The job then runs as any other, its reservation replaced by the plan's estimate.",
    tag: "Credits",
    access: "user",
    parameters: [IDEMPOTENCY_KEY],
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": { schema: resolver(ProcessPdfFormSchema), encoding: { pdf_file: { contentType: "application/pdf" } } },
      },
    },
    responses: {
      202: json(ProcessPdfAcceptedSchema, "Accepted: the job is queued.", {
        Location: header("The job's URL."),
        ...RATE_LIMIT_HEADERS,
        "Idempotent-Replayed": header("`true` when this is the first answer to the same Idempotency-Key again."),
      }),
    },
    errors: {
      400: `${UPLOAD_400} \`invalid_field\` naming \`job_id\`: no job_id.`,
      404: "`not_found`: no such reserved job of mine.",
      409: "`job_not_reserved`: the job is already running or ended, or its reservation was used meanwhile; `idempotency_in_progress`.",
      410: "`reservation_expired`: the reservation lapsed unused; reserve credits again.",
      413: "`too_large`: the PDF is over MAX_PART_BYTES (send the book in parts with POST /api/v1/jobs); `file_too_large` (over MAX_UPLOAD_BYTES), `storage_quota_exceeded`.",
      415: "`unsupported_media_type`: not multipart/form-data, or not a PDF (by content).",
      422: IDEMPOTENCY_ERRORS[422],
      503: error("`intake_paused`: new jobs are paused for maintenance.", RETRY_AFTER),
    },
  }),
  requireAuth,
  idempotent("process-pdf-async", replayedPdfFingerprint),
  async (c) => {
    const userId = c.get("userId");
    await requireIntakeOpen(c.env);
    for (const [k, v] of Object.entries(rateLimitHeaders(await creditAccount(c.env, userId).rate(jobsPerHour(c.env))))) c.header(k, v);
    let target: JobRow | null = null;
    const pending = sourceKey(`pending-${crypto.randomUUID()}`);
    const room = await storageRoom(c, "pdf_file");
    let job: JobRow;
    try {
      const upload = await receiveUpload(
        c.req.raw,
        c.env.FILES,
        // job_id sent before the file: checked before a byte is stored; after it: once read.
        async (fields) => {
          if (fields.job_id === undefined) return pending;
          target = await usableReservation(c.env, userId, fields.job_id);
          return sourceKey(target.id);
        },
        // One file here: over MAX_PART_BYTES it is refused (413 too_large), by Content-Length before a byte is read.
        {
          maxBytes: Math.min(config(c.env).MAX_UPLOAD_BYTES, room.maxBytes),
          overLimit: room.overLimit,
          fileField: "pdf_file",
          maxFileBytes: maxPartBytes(c.env),
        },
      );
      c.set("fingerprint", uploadFingerprint(upload));
      const discard = () => deleteKeys(c.env.FILES, [upload.file.key!, pending]);
      try {
        job = target ?? (await usableReservation(c.env, userId, upload.fields.job_id));
      } catch (err) {
        await discard();
        throw err;
      }
      const { job_id: _, ...fields } = upload.fields;
      const file = { key: upload.file.key!, filename: upload.file.filename, size: upload.file.size, sha256: upload.file.sha256 ?? null };
      await openJob(c.env, job.id, userId, fields, { kind: "reservation", ...file }, discard);
      await room.settle(file.size);
    } catch (err) {
      await room.release();
      throw err;
    }
    c.header("Location", `/api/v1/jobs/${job.id}`);
    return c.json({ job_id: job.id, task_id: job.id, status: "pending", message: "PDF processing started" }, 202);
  },
);

/** GET /api/v1/limits: where the user stands against the hourly job limit and storage quota. */
export const limitRoutes = new Hono<AppEnv>().use(requireAuth).get(
  "/",
  describe({
    operationId: "getLimits",
    summary: "My limits",
    description: "Where I stand against the hourly job limit (MAX_JOBS_PER_HOUR) and the storage quota (STORAGE_QUOTA_BYTES).",
    tag: "Credits",
    access: "user",
    responses: { 200: json(LimitsSchema, "Jobs per hour and storage.") },
  }),
  async (c) => {
    const userId = c.get("userId");
    const [rate, used] = await Promise.all([creditAccount(c.env, userId).rate(jobsPerHour(c.env)), storageUsed(c.env, userId)]);
    return c.json(
      {
        jobs_per_hour: { limit: rate.limit, remaining: rate.remaining, reset_seconds: rate.reset_seconds },
        storage: { used_bytes: used, quota_bytes: storageQuota(c.env) },
        // What a client needs to cut a big book into parts before sending it.
        uploads: {
          max_part_bytes: maxPartBytes(c.env),
          max_upload_bytes: config(c.env).MAX_UPLOAD_BYTES,
          max_parts: MAX_PARTS,
          parts_ttl_seconds: partsTtlMs(c.env) / 1000,
          text: {
            max_pages: TEXT_LIMITS.maxPages,
            max_text_chars: TEXT_LIMITS.maxTextChars,
            page_budget: TEXT_LIMITS.pageBudget,
            pages_per_file_mib: TEXT_LIMITS.pagesPerFileMiB,
          },
        },
      },
      200,
    );
  },
);
