import { z } from "zod";
import { JobSettingsSchema } from "./settings";

/**
 * `reserved`: credits held ahead of the upload (POST /api/v1/credits/reserve), no file yet.
 * `uploading`: a book sent in parts, one request each, waiting for its parts; it starts
 * (`queued`) when the last one arrives.
 */
export const JOB_STATUSES = ["reserved", "uploading", "queued", "planning", "processing", "completed", "partial", "failed", "cancelled"] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "partial", "failed", "cancelled"];
export const isFinal = (s: JobStatus) => FINAL_STATUSES.includes(s);

/** A job as the API shows it (snake_case, the public contract). */
export const JobSchema = z.object({
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
  links: z.object({ self: z.string(), result: z.string(), events: z.string(), cancel: z.string() }),
});
export type Job = z.infer<typeof JobSchema>;

export const ReserveCreditsSchema = z
  .object({
    estimated_tokens: z
      .number({ error: "must be a whole number of tokens" })
      .int({ error: "must be a whole number of tokens" })
      .positive({ error: "must be more than 0" })
      .max(1e9, { error: "is too large" }),
    gemini_model: z.string().max(100).optional(),
  })
  .strict();

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

/** A stored part of a job sent in parts. */
export const JobPartSchema = z.object({
  n: z.number().int(),
  size: z.number().int(),
  sha256: z.string(),
  filename: z.string(),
  received_at: z.string(),
});
export type JobPart = z.infer<typeof JobPartSchema>;

/** GET /api/v1/jobs/:id/parts, and the answer of each part sent. */
export const JobPartsSchema = z.object({
  part_count: z.number().int().nullable(),
  parts: z.array(JobPartSchema),
  /** Part numbers not stored yet. */
  missing: z.array(z.number().int()),
  upload_expires_at: z.string().nullable(),
});
export type JobParts = z.infer<typeof JobPartsSchema>;

export const LedgerQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^\d{1,15}$/, { error: "is not a valid cursor" }).optional(),
});

export const DevSignInSchema = z.object({ email: z.email({ error: "must be an email address" }) }).strict();

export const CreateApiKeySchema = z
  .object({
    name: z
      .string({ error: "must be a name for the key" })
      .trim()
      .min(1, { error: "must not be empty" })
      .max(100, { error: "must be at most 100 characters" }),
    /** Optional lifetime; without it the key works until revoked. */
    expires_in_days: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export const ListJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque cursor from the previous page's `next_cursor`. */
  cursor: z.string().max(200).optional(),
});

export const ResultQuerySchema = z.object({
  format: z.enum(["json", "txt", "csv", "tsv"]).default("json"),
});

export const EventsQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
});

export const ResultSentenceSchema = z.object({
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
});
export type ResultSentence = z.infer<typeof ResultSentenceSchema>;

export const JobResultSchema = z.object({
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
});
export type JobResult = z.infer<typeof JobResultSchema>;

export const SentenceEditSchema = z
  .object({
    text: z
      .string({ error: "must be a string" })
      .trim()
      .min(1, { error: "must not be empty" })
      .max(5000, { error: "must be at most 5000 characters" }),
  })
  .strict();

export const ProgressEventSchema = z.object({
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
});
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

export interface ApiErrorBody {
  error: { code: string; message: string; request_id: string; field?: string };
}
