import { z } from "zod";
import { SavedSettingsSchema, sparseSettingsFields } from "./defaults";
import { webhookFields } from "./settings";

/**
 * Before and after a job: the estimate of a book before it is sent (POST /api/v1/estimate) and
 * "process again" (POST /api/v1/jobs/{id}/rerun). Validation, the OpenAPI document and the
 * typed client share these.
 */

const count = (what: string, max: number) =>
  z
    .number({ error: `must be a whole number of ${what}` })
    .int({ error: `must be a whole number of ${what}` })
    .min(0, { error: "must be 0 or more" })
    .max(max, { error: `must be at most ${max}` });

/** POST /api/v1/estimate with JSON: what a client that read the PDF itself found in it. */
export const EstimateRequestSchema = z
  .object({
    pages: count("pages", 100_000)
      .min(1, { error: "must be at least 1" })
      .meta({ description: "Pages the job would read (the whole book, or the client's page range applied)." }),
    text_chars: count("characters", 1_000_000_000).meta({
      description: "Characters of text on those pages, as the PDF's text layer gives them (what the server's text limit counts).",
    }),
    book_pages: count("pages", 100_000).optional().meta({ description: "Pages in the whole book, when a page range leaves some out." }),
    scanned: z.boolean({ error: "must be true or false" }).optional().meta({
      description:
        "The pages are images with no text layer (a scan, or page images); by default judged from `text_chars` (fewer than 4 a page).",
    }),
    file_size: count("bytes", 1e12).optional().meta({ description: "Bytes of the file(s), for the upload and storage limits." }),
    ...SavedSettingsSchema.shape,
  })
  .strict()
  .meta({ id: "EstimateRequest", description: "A book a client has read itself: its pages and characters of text." });
export type EstimateRequest = z.infer<typeof EstimateRequestSchema>;

export const RefusalSchema = z
  .object({
    code: z.string().meta({
      description: "The error code the upload (or the job) would get: `too_many_pages`, `insufficient_credits`, `no_text_layer`…",
    }),
    message: z.string(),
    field: z.string().optional(),
  })
  .meta({ id: "Refusal" });
export type Refusal = z.infer<typeof RefusalSchema>;

export const EstimateSchema = z
  .object({
    page_count: z.number().int().meta({ description: "Pages the job would read and charge (the `pages` setting applied)." }),
    book_page_count: z.number().int().meta({ description: "Pages in the book." }),
    scanned: z.boolean().meta({ description: "No text layer: the pages would be read as images (Gemini only)." }),
    text_chars: z.number().int().meta({ description: "Characters of text on the pages read." }),
    estimated_tokens: z.number().int().meta({
      description: "Tokens the job is estimated at (~4 characters a token; 800 a scanned page): what its credits are reserved on.",
    }),
    engine: z.enum(["local", "gemini"]),
    model: z
      .string()
      .nullable()
      .meta({ description: "The model the job would use (`gemini_model`, else the default); null with the local engine." }),
    credits: z
      .record(z.string(), z.number())
      .meta({ description: "Credits the job would cost, by engine (`local`) or by each allowed Gemini model." }),
    available_credits: z.number().meta({ description: "My credits available now (balance less what running jobs hold)." }),
    balance_covers: z.boolean().meta({ description: "Whether `available_credits` covers the job's credits with its engine or model." }),
    seconds_expected: z
      .number()
      .int()
      .meta({ description: "About how long the job would take, from the server's recent jobs of the same engine." }),
    fits_limits: z.boolean().meta({ description: "Whether the book fits what one job may hold (pages, text, bytes)." }),
    refusals: z.array(RefusalSchema).meta({
      description:
        "Everything that would stop this job now: the limits, a scan without text recognition, credits, the hourly limit, storage, paused intake. Empty: it would run.",
    }),
  })
  .meta({ id: "Estimate", description: "What a book would cost and take, before it is sent; nothing is stored." });
export type Estimate = z.infer<typeof EstimateSchema>;

const rerunPages = z
  .string()
  .max(500)
  .nullable()
  .optional()
  .meta({ description: 'Only these pages ("12-240", "1-10,15,30-"); null, "" or "all": every page. Left out: the job\'s own range.' });

/** POST /api/v1/jobs/{id}/rerun: the settings that change (the job's own apply to the rest), and webhook fields. */
export const RerunRequestSchema = z
  .object({
    ...SavedSettingsSchema.shape,
    pages: rerunPages,
    settings: z
      .object({ ...sparseSettingsFields, gemini_model: SavedSettingsSchema.shape.gemini_model, pages: rerunPages })
      .optional()
      .meta({ description: "The same settings, as an object (fields at the top level win)." }),
    ...webhookFields,
  })
  .meta({ id: "RerunRequest", description: "Settings for processing the stored book again; a field left out keeps the job's own." });
