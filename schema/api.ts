import { ERROR_CODES, errorCodesDescription } from "./errors";
import { z } from "zod";
import { JobSettingsSchema, pagesField, settingsFields, webhookFields } from "./settings";

import { JOB_STATUSES } from "./statuses";
import { columnsParam } from "./sheets";

export { FINAL_STATUSES, isFinal, JOB_STATUSES, type FinalStatus } from "./statuses";

// The statuses themselves are in ./statuses (see there).
export const JobStatusSchema = z.enum(JOB_STATUSES).meta({ id: "JobStatus" });
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** A job as the API shows it (snake_case, the public contract). */
export const JobSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    progress_percent: z.number().int().min(0).max(100),
    current_step: z.string(),
    total_chunks: z.number().int(),
    processed_chunks: z.number().int(),
    failed_chunks: z.number().int(),
    original_filename: z.string(),
    file_size: z.number().int(),
    page_count: z.number().int().nullable(),
    settings: JobSettingsSchema,
    engine: z.enum(["local", "gemini"]),
    model: z.string().nullable(),
    estimated_tokens: z.number().int().nullable(),
    actual_tokens: z.number().int(),
    sentence_count: z.number().int().nullable(),
    failed_pages: z.array(z.number().int()),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    processing_time_seconds: z.number().nullable(),
    /** Credits held when the plan knew the job's size, and what it finally cost. */
    estimated_credits: z.number().nullable(),
    actual_credits: z.number().nullable(),
    pricing_version: z.string().nullable(),
    /** Credits per 1,000 tokens. */
    pricing_rate: z.number().nullable(),
    /** A `reserved` job's credits lapse then. */
    reservation_expires_at: z.string().nullable(),
    /** A book sent in parts: how many (null: one file), how many are stored, and when an `uploading` job lapses. */
    part_count: z.number().int().nullable(),
    parts_received: z.number().int(),
    upload_expires_at: z.string().nullable(),
    book_page_count: z
      .number()
      .int()
      .nullable()
      .meta({ description: "Pages in the book, once known; `page_count` is the pages read (fewer with the `pages` setting)." }),
    source_sha256: z
      .string()
      .nullable()
      .meta({ description: "SHA-256 of the uploaded book (the PDF; for parts or page images, of their SHA-256s in order)." }),
    same_source_as: z.string().nullable().meta({
      description:
        "An earlier job of mine on the same book (same SHA-256, its upload still kept) when this one was uploaded; null otherwise.",
    }),
    rerun_of: z.string().nullable().meta({
      description: "The job this one processes again (POST /api/v1/jobs/{id}/rerun), reading its stored upload; null for an upload.",
    }),
    source_kept: z.boolean().meta({
      description:
        "Whether the book's uploaded file is still stored, so that it can be processed again (uploads are kept 7 days after their last job ended).",
    }),
    links: z.object({ self: z.string(), result: z.string(), events: z.string(), cancel: z.string() }),
  })
  .meta({ id: "Job", description: "A job: one book being turned into sentences." });
export type Job = z.infer<typeof JobSchema>;

export const ReserveCreditsSchema = z
  .object({
    estimated_tokens: z
      .number({ error: "must be a whole number of tokens" })
      .int({ error: "must be a whole number of tokens" })
      .positive({ error: "must be more than 0" })
      .max(1e9, { error: "is too large" }),
    gemini_model: z.string().max(100).optional().meta({ description: "One of the models GET /api/v1/health lists; the first by default." }),
  })
  .strict()
  .meta({ id: "ReserveCreditsRequest" });

/** Most parts one book may be sent in. */
export const MAX_PARTS = 100;

/**
 * POST /api/v1/jobs without a file: a job that takes its book in `parts` requests
 * (PUT /api/v1/jobs/:id/parts/:n). Settings and webhook fields are given here.
 */
export const CreatePartsJobSchema = z.object({
  parts: z.preprocess(
    (v) => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: `must be a whole number of parts from 2 to ${MAX_PARTS}` })
      .int({ error: `must be a whole number of parts from 2 to ${MAX_PARTS}` })
      .min(2, { error: `must be at least 2 (send a single file as pdf_file)` })
      .max(MAX_PARTS, { error: `must be at most ${MAX_PARTS}` }),
  ),
  /** The book's name as shown in the history; the parts themselves carry none. */
  filename: z.string({ error: "must be a file name" }).max(200, { error: "must be at most 200 characters" }).optional(),
});

/**
 * The JSON body of POST /api/v1/jobs as the document shows it: the fields above with the
 * settings and webhook fields, each checked by its own schema (worker/api/parts.ts).
 */
export const CreatePartsJobRequestSchema = CreatePartsJobSchema.extend({
  parts: CreatePartsJobSchema.shape.parts.meta({
    description: `How many parts (2 to ${MAX_PARTS}) will come, each with PUT /api/v1/jobs/{id}/parts/{n}.`,
  }),
  ...settingsFields,
  pages: pagesField,
  gemini_model: z.string().optional().meta({ description: "One of the models GET /api/v1/health lists; the first by default." }),
  ...webhookFields,
}).meta({ id: "CreatePartsJobRequest", description: "A book that will come in parts, one request each." });

/** A stored part of a job sent in parts. */
export const JobPartSchema = z
  .object({
    n: z.number().int(),
    size: z.number().int(),
    sha256: z.string(),
    filename: z.string(),
    received_at: z.string().meta({ format: "date-time" }),
  })
  .meta({ id: "JobPart" });
export type JobPart = z.infer<typeof JobPartSchema>;

/** GET /api/v1/jobs/:id/parts, and the answer of each part sent. */
export const JobPartsSchema = z
  .object({
    part_count: z.number().int().nullable(),
    parts: z.array(JobPartSchema),
    /** Part numbers not stored yet. */
    missing: z.array(z.number().int()),
    upload_expires_at: z.string().nullable(),
  })
  .meta({ id: "JobParts" });
export type JobParts = z.infer<typeof JobPartsSchema>;

/** The answer of PUT /api/v1/jobs/:id/parts/:n: the job, the part stored, and where the parts stand. */
export const PartReceivedSchema = z.object({ job: JobSchema, part: JobPartSchema, ...JobPartsSchema.shape }).meta({ id: "PartReceived" });

export const LedgerQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, { error: "is not a valid cursor" })
    .optional(),
});

export const DevSignInSchema = z
  .object({ email: z.email({ error: "must be an email address" }) })
  .strict()
  .meta({ id: "DevSignInRequest" });

export const CreateApiKeySchema = z
  .object({
    name: z
      .string({ error: "must be a name for the key" })
      .trim()
      .min(1, { error: "must not be empty" })
      .max(100, { error: "must be at most 100 characters" }),
    /** Optional lifetime; without it the key works until revoked. */
    expires_in_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .meta({ description: "Lifetime in days; without it the key works until revoked." }),
  })
  .strict()
  .meta({ id: "CreateApiKeyRequest" });

export const ListJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque cursor from the previous page's `next_cursor`. */
  cursor: z.string().max(200).optional().meta({ description: "The previous page's `next_cursor`." }),
});

/** Columns of a job's csv/tsv/xlsx export (worker/pipeline/formats.ts RESULT_COLUMNS). */
export const RESULT_EXPORT_COLUMNS = ["index", "sentence", "page", "chunk", "original", "word_count", "has_verb"];

export const ResultQuerySchema = z.object({
  columns: columnsParam(RESULT_EXPORT_COLUMNS),
  format: z
    .enum(["json", "txt", "csv", "tsv", "anki", "apkg", "xlsx"])
    .default("json")
    .meta({
      description:
        "json: the result object; txt: one sentence per line; csv/tsv: `index, sentence, page, chunk, original, word_count, has_verb` (has_verb: yes/no); " +
        "anki: a text file for Anki's importer (`Sentence, Original, Page, Deck, GUID, Tags`, GUIDs stable through edits); " +
        "apkg: an Anki package of the same notes; xlsx: an Excel workbook of the csv's columns, every cell text.",
    }),
});

export const EventsQuerySchema = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ description: "Replay the events after this `seq` (what a reconnecting client missed)." }),
});

export const ResultSentenceSchema = z
  .object({
    index: z.number().int(),
    text: z.string(),
    chunk: z.number().int(),
    page: z.number().int(),
    paragraph: z.number().int(),
    /** True when a reader corrected the text. */
    edited: z.boolean().optional(),
    /**
     * The book's text this sentence came from, when the engine rewrote it (Gemini shortening a
     * long sentence or joining short ones); absent when the sentence is the book's text as is.
     * A reader's edit changes `text`, never this.
     */
    original: z.string().optional(),
    word_count: z.number().int().min(0).meta({
      description:
        "Words of `text` by the French tagger: its tokens that are not punctuation, a contraction (du = de + le) counted once, an elided word (l’, qu’) apart. Follows a reader's edit.",
    }),
    has_verb: z
      .boolean()
      .meta({ description: "Whether `text` has a verb: a token the French tagger reads as VERB or AUX. Follows a reader's edit." }),
  })
  .meta({ id: "ResultSentence" });
export type ResultSentence = z.infer<typeof ResultSentenceSchema>;

export const JobResultSchema = z
  .object({
    job_id: z.string(),
    status: JobStatusSchema,
    /** False while chunks are still being processed: `sentences` holds the finished ones. */
    complete: z.boolean(),
    total_chunks: z.number().int(),
    chunks_included: z.array(z.number().int()),
    failed_pages: z.array(z.number().int()),
    /** Chunks whose engine output is in doubt (e.g. Gemini dropped text), with their pages. */
    flagged: z.array(
      z.object({ chunk: z.number().int(), first_page: z.number().int(), last_page: z.number().int(), flags: z.array(z.string()) }),
    ),
    /** How many of `sentences` carry an `original`: the engine rewrote them. */
    rewritten_count: z.number().int(),
    sentences: z.array(ResultSentenceSchema),
  })
  .meta({ id: "JobResult" });
export type JobResult = z.infer<typeof JobResultSchema>;

export const SentenceEditSchema = z
  .object({
    text: z
      .string({ error: "must be a string" })
      .trim()
      .min(1, { error: "must not be empty" })
      .max(5000, { error: "must be at most 5000 characters" }),
  })
  .strict()
  .meta({ id: "SentenceEdit" });

export const ProgressEventSchema = z
  .object({
    seq: z.number().int(),
    type: z.enum(["status", "progress", "chunk_failed", "completed", "failed", "cancelled", "partial"]),
    job_id: z.string(),
    status: JobStatusSchema,
    progress_percent: z.number().int(),
    current_step: z.string(),
    processed_chunks: z.number().int(),
    failed_chunks: z.number().int(),
    total_chunks: z.number().int(),
    eta_seconds: z.number().int().nullable(),
    error_code: z.string().nullable().optional(),
    error_message: z.string().nullable().optional(),
    at: z.string(),
  })
  .meta({ id: "ProgressEvent", description: "A WebSocket message of GET /api/v1/jobs/{id}/events." });
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;

/** Queue messages carry ids only, never document text. */
export const PlanMessageSchema = z.object({ job_id: z.string() });
export type PlanMessage = z.infer<typeof PlanMessageSchema>;
export const ChunkMessageSchema = z.object({
  job_id: z.string(),
  chunk: z.number().int().min(0),
  /** Times the chunk was put back to wait for a rate limit: such waits use no retry attempt. */
  deferrals: z.number().int().min(0).optional(),
});
export type ChunkMessage = z.infer<typeof ChunkMessageSchema>;

/** The one error shape of every answer that is not a success. */
export const ApiErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).meta({
        description: `Stable, machine-readable; one of the registry's codes (schema/errors.ts), each with the status it is answered with:\n${errorCodesDescription()}`,
      }),
      message: z.string().meta({ description: "For a person: what went wrong and what to do." }),
      request_id: z.string().meta({ description: "Also in the `X-Request-Id` header; quote it when reporting a problem." }),
      field: z.string().optional().meta({ description: "The input at fault (a body or form field, a query parameter, a header)." }),
      connect_url: z
        .string()
        .optional()
        .meta({ description: "`sheets_not_connected`, `sheets_reconnect`: where to send the browser to allow Google Sheets export." }),
    }),
  })
  .meta({ id: "Error" });
export type ApiErrorBody = z.infer<typeof ApiErrorSchema>;

// ---- answers of the API (what the handlers return; the OpenAPI document shows them) ----

const timestamp = () => z.string().meta({ format: "date-time" });
const nullableTimestamp = () => z.string().nullable().meta({ format: "date-time" });

export const UserSchema = z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }).meta({ id: "User" });
export type User = z.infer<typeof UserSchema>;

const engineFields = {
  engine: z.enum(["local", "gemini"]).meta({ description: "What a job made now would use." }),
  models: z.array(z.string()).meta({ description: "The allowed `gemini_model` values, default first; empty with the local engine." }),
};

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    version: z.string(),
    d1: z.enum(["ok", "error"]),
    r2: z.enum(["ok", "error"]),
    ...engineFields,
  })
  .meta({ id: "Health" });

const authKind = z.enum(["session", "api_key"]).meta({ description: "How the caller authenticated." });

export const MeSchema = z
  .object({
    user: UserSchema,
    auth: authKind,
    operator: z.boolean(),
    ...engineFields,
    retention_days: z.number().int().meta({
      description:
        "How many days a finished job (its upload, result, edits and record) is kept before it is deleted (RETENTION_DAYS); the uploaded file itself goes after 7 days at most.",
    }),
  })
  .meta({ id: "Me" });
export type Me = z.infer<typeof MeSchema>;
/** Which engine the server runs, and the Gemini models a job may ask for (none with the local engine). */
export type EngineInfo = Pick<Me, "engine" | "models">;

export const DeleteAccountSchema = z
  .object({
    confirm: z
      .string({ error: "must be your account's email, typed to confirm" })
      .max(320, { error: "must be your account's email, typed to confirm" })
      .meta({ description: "The account's email, typed by the reader to confirm (compared without case)." }),
  })
  .strict()
  .meta({ id: "DeleteAccount" });

export const AccountDeletionSchema = z
  .object({
    status: z.literal("deleting"),
    requested_at: timestamp(),
    message: z.string(),
  })
  .meta({ id: "AccountDeletion", description: "The account is signed out everywhere and being deleted in the background." });

export const SessionStateSchema = z
  .union([z.object({ user: UserSchema, auth: authKind, operator: z.boolean() }), z.object({ user: z.null() })])
  .meta({ id: "SessionState", description: "Who is signed in, or `{user: null}`." });

export const DevSignInResultSchema = z
  .object({
    token: z.string().meta({ description: "A session token (`fnts_…`): send it as `Authorization: Bearer`." }),
    expires_at: timestamp(),
    user: UserSchema,
  })
  .meta({ id: "DevSignInResult" });

const apiKeyFields = {
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  last4: z.string(),
  created_at: timestamp(),
  last_used_at: nullableTimestamp(),
  expires_at: nullableTimestamp(),
};
export const ApiKeySchema = z.object(apiKeyFields).meta({ id: "ApiKey" });
export type ApiKey = z.infer<typeof ApiKeySchema>;
export const NewApiKeySchema = z
  .object({ ...apiKeyFields, key: z.string().meta({ description: "The key itself (`fnt_…`), shown this once." }) })
  .meta({ id: "NewApiKey" });
export const ApiKeyListSchema = z.object({ api_keys: z.array(ApiKeySchema) }).meta({ id: "ApiKeyList" });

export const SessionInfoSchema = z
  .object({
    id: z.string(),
    created_at: timestamp(),
    last_seen_at: timestamp(),
    expires_at: timestamp(),
    user_agent: z.string().nullable(),
    current: z.boolean().meta({ description: "The session that asks." }),
  })
  .meta({ id: "SessionInfo" });
export type SessionInfo = z.infer<typeof SessionInfoSchema>;
export const SessionListSchema = z.object({ sessions: z.array(SessionInfoSchema) }).meta({ id: "SessionList" });

export const JobListSchema = z
  .object({
    jobs: z.array(JobSchema),
    next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." }),
  })
  .meta({ id: "JobList" });

export const JobRetrySchema = z.object({ job: JobSchema, retried_chunks: z.array(z.number().int()) }).meta({ id: "JobRetry" });

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    event_type: z.enum(["job.completed", "job.partial", "job.failed", "job.cancelled", "job.progress"]),
    url: z.string(),
    state: z.enum(["pending", "delivered", "failed"]),
    created_at: timestamp(),
    delivered_at: nullableTimestamp(),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        at: timestamp(),
        status: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when it could not be reached." }),
        latency_ms: z.number().int(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "WebhookDelivery" });
export const WebhookDeliveryListSchema = z.object({ deliveries: z.array(WebhookDeliverySchema) }).meta({ id: "WebhookDeliveryList" });

export const WebhookSecretSchema = z
  .object({ secret: z.string().meta({ description: "The Standard Webhooks signing secret (`whsec_…`)." }) })
  .meta({ id: "WebhookSecret" });
export const WebhookSettingsSchema = z
  .object({ default_url: z.string().nullable(), progress_every: z.number().int().nullable() })
  .meta({ id: "WebhookSettings" });
export const WebhookSettingsUpdateSchema = z
  .object({
    default_url: z.string().max(2000).nullable().meta({ description: "Called for every new job that names no `webhook_url`; null: none." }),
    progress_every: z
      .number()
      .int()
      .min(1)
      .max(99)
      .nullable()
      .optional()
      .meta({ description: "A `job.progress` event every this many percent; null: none." }),
  })
  .strict()
  .meta({ id: "WebhookSettingsUpdate" });

export const CreditsSchema = z
  .object({
    balance: z.number(),
    reserved: z.number(),
    available: z.number(),
    monthly_allowance: z.number(),
    period_start: timestamp(),
    period_end: timestamp(),
    pricing_version: z.string(),
    prices: z.record(z.string(), z.number()).meta({ description: "Credits per 1,000 tokens, by model or engine." }),
  })
  .meta({ id: "Credits" });
export type Credits = z.infer<typeof CreditsSchema>;

export const LedgerEntrySchema = z
  .object({
    id: z.number().int(),
    at: timestamp(),
    kind: z.enum(["grant", "reserve", "settle", "release", "expire"]),
    credits: z.number(),
    job_id: z.string().nullable(),
    job_name: z.string().nullable(),
    note: z.string().nullable(),
    balance_after: z.number(),
    reserved_after: z.number(),
    available_after: z.number(),
  })
  .meta({ id: "LedgerEntry" });
export const LedgerPageSchema = z
  .object({ entries: z.array(LedgerEntrySchema), next_cursor: z.string().nullable() })
  .meta({ id: "LedgerPage" });
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;
export type LedgerPage = z.infer<typeof LedgerPageSchema>;

export const ReservationSchema = z
  .object({
    job_id: z.string(),
    estimated_credits: z.number(),
    reserved_credits: z.number(),
    available: z.number(),
    expires_at: timestamp(),
  })
  .meta({ id: "Reservation" });

export const ProcessPdfAcceptedSchema = z
  .object({ job_id: z.string(), task_id: z.string(), status: z.literal("pending"), message: z.string() })
  .meta({ id: "ProcessPdfAccepted" });

export const LimitsSchema = z
  .object({
    jobs_per_hour: z.object({ limit: z.number().int(), remaining: z.number().int(), reset_seconds: z.number().int() }),
    storage: z.object({ used_bytes: z.number().int(), quota_bytes: z.number().int() }),
    uploads: z
      .object({
        max_part_bytes: z
          .number()
          .int()
          .meta({ description: "The largest PDF the server opens (MAX_PART_BYTES): a bigger book is sent in parts." }),
        max_upload_bytes: z.number().int(),
        max_parts: z.number().int(),
        parts_ttl_seconds: z.number().meta({ description: "How long a job sent in parts waits for its missing parts." }),
        text: z
          .object({
            max_pages: z
              .number()
              .int()
              .meta({ description: "The most pages one job holds, sent whole or in parts; a longer book goes as separate jobs." }),
            max_text_chars: z.number().int().meta({
              description: "The most characters of text one job holds (fewer while a big PDF is read, in proportion to the pages).",
            }),
            page_budget: z.number().int(),
            pages_per_file_mib: z.number().meta({
              description:
                "While a PDF of M MiB is read, the job may hold min(max_pages, page_budget − pages_per_file_mib × M) pages: a book in parts is cut into parts small enough for its page count.",
            }),
          })
          .meta({
            description: "What one job may hold of a book's text (the server's memory budget), and how a big PDF being read lowers it.",
          }),
      })
      .meta({ description: "What a client needs to cut a big book into parts before sending it." }),
  })
  .meta({ id: "Limits" });
export type Limits = z.infer<typeof LimitsSchema>;

/** What a webhook receiver is sent (POST, signed per Standard Webhooks): the event and the job as it then stood. */
export const WEBHOOK_EVENT_TYPES = ["job.completed", "job.partial", "job.failed", "job.cancelled", "job.progress"] as const;
export const WebhookEventSchema = z
  .object({
    type: z.enum(WEBHOOK_EVENT_TYPES),
    timestamp: z
      .string()
      .meta({ description: "When the event was raised (ISO 8601); the `webhook-timestamp` header is when this try was signed." }),
    data: JobSchema,
  })
  .meta({ id: "WebhookEvent", description: "A job event sent to the job's webhook URL." });
export type WebhookEventBody = z.infer<typeof WebhookEventSchema>;

/** The message a job's WebSocket gets before it is closed (code 4001) because its credential ended. */
export const CredentialEndedSchema = z.object({ type: z.literal("credential_ended"), reason: z.string() }).meta({ id: "CredentialEnded" });

// ---- the upload forms (multipart/form-data, read by our own streaming parser) ----------

const pdfFile = () => z.file().mime("application/pdf");

export const JobUploadFormSchema = z
  .object({
    pdf_file: z
      .union([pdfFile(), z.array(pdfFile())])
      .optional()
      .meta({
        description:
          "The book, one PDF (judged by its content, not its name); or a big book's parts, the field repeated in page order (with `parts`). " +
          "Send this or `page_images`, not both.",
      }),
    parts: z
      .number()
      .int()
      .min(2)
      .max(MAX_PARTS)
      .optional()
      .meta({ description: "With `pdf_file` repeated: how many parts are sent (each at most MAX_PART_BYTES)." }),
    page_images: z
      .array(z.file().mime(["image/png", "image/jpeg"]))
      .optional()
      .meta({ description: "Or the book as page images, PNG or JPEG, one page each, in the order sent: repeat the field." }),
    ...settingsFields,
    pages: pagesField,
    gemini_model: z.string().optional().meta({ description: "One of the models GET /api/v1/health lists; the first by default." }),
    ...webhookFields,
  })
  .meta({
    id: "JobUploadForm",
    description: "Exactly one of `pdf_file` or `page_images`, plus settings and webhook fields (all optional).",
  });

export const ProcessPdfFormSchema = z
  .object({
    job_id: z.string().meta({
      description: "The `job_id` POST /api/v1/credits/reserve returned; sent before the file, it is checked before a byte is stored.",
    }),
    pdf_file: pdfFile().meta({ description: "The book, one PDF." }),
    ...settingsFields,
    pages: pagesField,
    gemini_model: z.string().optional().meta({ description: "One of the models GET /api/v1/health lists; the first by default." }),
    ...webhookFields,
  })
  .meta({ id: "ProcessPdfForm" });
