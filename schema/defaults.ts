import { z } from "zod";
import { DEFAULT_WORDLIST_ID } from "./learning";
import { JobSettingsSchema, settingsFields } from "./settings";
import { JOB_COLUMNS, LEARNING_COLUMNS } from "./sheets";

/**
 * "My defaults" (/api/v1/settings): the processing settings a new upload starts from, the word
 * list a learning run takes when none is sent, and the export columns. Validation, the OpenAPI
 * document and the typed client share these.
 */

/** The built-in export columns: every column of a job's export. */
export const DEFAULT_EXPORT_COLUMNS: string[] = [...JOB_COLUMNS];

type Sparse<T> = { [K in keyof T]: T[K] extends z.ZodPrefault<infer I> ? z.ZodOptional<I> : never };

/**
 * The upload's settings fields with nothing filled in: a field left out is not saved (so the
 * built-in default applies to it), where the upload's own fields would fill their defaults in.
 */
export const sparseSettingsFields = Object.fromEntries(
  Object.entries(settingsFields).map(([k, f]) => [k, f.unwrap().optional().meta({ description: f.description })]),
) as Sparse<typeof settingsFields>;

export const SavedSettingsSchema = z
  .object({
    ...sparseSettingsFields,
    gemini_model: z
      .string({ error: "must be a model name" })
      .min(1, { error: "must be a model name" })
      .optional()
      .meta({ description: "One of the models GET /api/v1/health lists." }),
  })
  .strict()
  .meta({
    id: "SavedSettings",
    description: "Processing settings, the same fields as an upload's; a field left out keeps the built-in default.",
  });
export type SavedSettings = z.infer<typeof SavedSettingsSchema>;

export const DefaultsUpdateSchema = z
  .object({
    settings: SavedSettingsSchema.optional(),
    wordlist_id: z
      .string({ error: "must be a word list id" })
      .min(1, { error: "must be a word list id" })
      .max(100, { error: "must be a word list id" })
      .optional()
      .meta({ description: "`default` or one of my lists: what a learning run takes when it names none." }),
    export_columns: z
      .array(z.enum(LEARNING_COLUMNS, { error: `must be columns among ${LEARNING_COLUMNS.join(", ")}` }), {
        error: "must be an array of column names",
      })
      .min(1, { error: "name at least one column" })
      .max(LEARNING_COLUMNS.length, { error: `at most ${LEARNING_COLUMNS.length} columns` })
      .refine((cols) => new Set(cols).size === cols.length, { error: "must not repeat a column" })
      .optional()
      .meta({ description: `Export columns, in order, among ${LEARNING_COLUMNS.join(", ")}.` }),
  })
  .strict()
  .meta({ id: "DefaultsUpdate", description: "What to save; a field left out is not saved (its built-in default applies)." });
export type DefaultsUpdate = z.infer<typeof DefaultsUpdateSchema>;

/** The settings a new upload starts from: a job's, less `pages` (a range belongs to one book, never a default). */
export const DefaultSettingsSchema = JobSettingsSchema.omit({ pages: true }).meta({ id: "DefaultSettings" });

export const DefaultsSchema = z
  .object({
    settings: DefaultSettingsSchema,
    wordlist_id: z
      .string()
      .meta({ description: `The word list a learning run takes when it names none (\`${DEFAULT_WORDLIST_ID}\` built in).` }),
    export_columns: z.array(z.string()).meta({ description: "The export columns, in order (built in: every column of a job's export)." }),
    saved: DefaultsUpdateSchema,
    updated_at: z.string().nullable().meta({ description: "When they were last saved; null when never." }),
  })
  .meta({
    id: "Defaults",
    description:
      "My defaults: `settings` (what a new upload starts from), `wordlist_id` and `export_columns` are what I saved merged over the built-in defaults; `saved` is just what I saved.",
  });
export type Defaults = z.infer<typeof DefaultsSchema>;
