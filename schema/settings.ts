import { z } from "zod";
import { normalizePages, PageRangeError, PAGES_HINT } from "./pages";

/**
 * Gemini models a job may ask for when the configuration (`GEMINI_MODELS`) names none; the
 * first is the default.
 */
export const DEFAULT_GEMINI_MODELS = ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"] as const;
/**
 * The old name of the default list, kept for code that imports it. The list a deployment
 * allows is its configuration: `allowedModels(env)` (worker/jobs/engine.ts).
 */
export const GEMINI_MODELS = DEFAULT_GEMINI_MODELS;

/** The allow-list from the comma-separated `GEMINI_MODELS` setting; the default list when it is empty. */
export function parseModelList(value: string | undefined | null): string[] {
  const models = [
    ...new Set(
      (value ?? "")
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  ];
  return models.length ? models : [...DEFAULT_GEMINI_MODELS];
}

// Multipart form fields arrive as strings: accept "true"/"false"/"on"/"1"/"0" as booleans
// and numeric strings as numbers, but reject anything else with a clear message.
const boolField = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    const s = v.trim().toLowerCase();
    if (["true", "1", "on", "yes"].includes(s)) return true;
    if (["false", "0", "off", "no", ""].includes(s)) return false;
    return v;
  },
  z.boolean({ error: "must be true or false" }),
);

const intField = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z
      .number({ error: `must be a whole number from ${min} to ${max}` })
      .int({ error: `must be a whole number from ${min} to ${max}` })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );

// `prefault`, not `default`: the value goes through the field's parsing like a sent one (the
// same result here), and zod shows it as the default of the field's input JSON Schema, which the
// OpenAPI document (GET /api/v1/openapi.json) shows; a `default` of a preprocessed field is left out.
/** The settings fields (also those of the upload forms, schema/api.ts). */
export const settingsFields = {
  sentence_length_limit: intField(0, 500)
    .prefault(0)
    .meta({ description: "Words; longer sentences are split at clause boundaries. 0 = no limit." }),
  min_sentence_length: intField(0, 50)
    .prefault(0)
    .meta({ description: "Words; shorter fragments are merged into a neighbour. 0 = keep all." }),
  ignore_dialogue: boolField.prefault(false).meta({ description: "Leave dialogue whole (not length-split)." }),
  preserve_formatting: boolField.prefault(false).meta({ description: "Keep paragraph breaks in the result." }),
  fix_hyphenation: boolField.prefault(true).meta({ description: "Join words split by line-end hyphenation." }),
};

/**
 * `pages`: which pages of the book a job reads ("12-240", "1-10,15,30-"), in the book's
 * numbering; empty, "all" or null: every page. Kept in its canonical form ("1-10,15,30-");
 * whether it fits the book is checked where the book's pages are known (schema/pages.ts).
 * A setting of one book, never saved as a default.
 */
export const pagesField = z
  .preprocess((v, ctx) => {
    if (v === null || v === undefined) return null;
    if (typeof v !== "string") return v;
    try {
      return normalizePages(v);
    } catch (err) {
      if (!(err instanceof PageRangeError)) throw err;
      ctx.addIssue({ code: "custom", message: err.message, input: v });
      return z.NEVER;
    }
  }, z.string({ error: `must be text: ${PAGES_HINT}` }).nullable())
  .prefault(null)
  .meta({
    description:
      'Only these pages of the book are read and charged, e.g. "12-240" or "1-10,15,30-" (a range without an end runs to the last page); ' +
      "sentences keep the book's page numbers. Empty or \"all\": every page. A page past the book's end is refused (400 naming `pages`).",
  });

/**
 * A job's settings as stored and shown. `gemini_model` is any model name here: the
 * allow-list is configuration (`GEMINI_MODELS`) and may change after a job was made, so
 * uploads are checked with `jobSettingsSchema(models)` instead.
 */
export const JobSettingsSchema = z
  .object({
    ...settingsFields,
    pages: pagesField,
    gemini_model: z
      .string({ error: "must be a model name" })
      .min(1)
      .default(DEFAULT_GEMINI_MODELS[0])
      .meta({ description: "The Gemini model the job asked for (used when the Gemini engine is configured)." }),
  })
  .strict()
  .meta({ id: "JobSettings" });

/** The settings of an upload: `gemini_model` must be one of `models` (the first is the default). */
export function jobSettingsSchema(models: readonly string[]) {
  const list = models.length ? models : DEFAULT_GEMINI_MODELS;
  return z
    .object({
      ...settingsFields,
      pages: pagesField,
      gemini_model: z
        .string({ error: `must be one of ${list.join(", ")}` })
        .refine((m) => list.includes(m), { error: `must be one of ${list.join(", ")}` })
        .default(list[0]!),
    })
    .strict();
}

export type JobSettings = z.infer<typeof JobSettingsSchema>;
export const DEFAULT_SETTINGS: JobSettings = JobSettingsSchema.parse({});

/**
 * The webhook fields a new job takes (the upload form, a job sent in parts, a rerun): where its
 * events go, and how often its progress is told.
 */
export const webhookFields = {
  webhook_url: z.string().max(2000).optional().meta({
    description: "Called when the job ends (and on progress, see `webhook_progress_every`); without it the account's default URL applies.",
  }),
  webhook_progress_every: z
    .number()
    .int()
    .min(1)
    .max(99)
    .optional()
    .meta({ description: "A `job.progress` event every this many percent." }),
};
