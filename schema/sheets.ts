import { z } from "zod";

/** Columns a job's export can have (a sentence of the book's result). */
export const JOB_COLUMNS = ["sentence", "original", "page", "index", "word_count", "has_verb"] as const;
/** A learning set's: the job's, and the selection's. */
export const LEARNING_COLUMNS = [...JOB_COLUMNS, "rank", "new_words", "list_words", "known_ratio"] as const;
export type SheetColumn = (typeof LEARNING_COLUMNS)[number];

/** The `columns` query parameter of the file exports (csv, tsv, xlsx): comma-separated names. */
export const columnsParam = (all: readonly string[]) =>
  z
    .string({ error: "must be column names, comma-separated" })
    .max(500)
    .optional()
    .meta({
      description:
        `csv, tsv and xlsx: these columns, in this order, comma-separated, among ${all.join(", ")}. ` +
        "Without it: my saved export columns (PUT /api/v1/settings `export_columns`) that this export has, else all of them.",
    });

/** `"sentence, page"` → ["sentence", "page"]; undefined when absent or empty. */
export const splitColumns = (value: string | undefined): string[] | undefined => {
  const names = (value ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  return names.length ? names : undefined;
};

export const SheetsExportSchema = z
  .strictObject({
    source: z
      .union([z.strictObject({ job_id: z.string().min(1) }), z.strictObject({ learning_set_id: z.string().min(1) })])
      .meta({ description: "What to export: a finished job's sentences, or a learning set's selection." }),
    spreadsheet_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{10,100}$/, "must be a Google spreadsheet id")
      .optional()
      .meta({ description: "Append to this spreadsheet (one the app made for you); absent: a new spreadsheet titled after the book." }),
    sheet_title: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .meta({
        description:
          "The tab to write to; made (with its header row) when missing. An existing tab gets its header when its first row is empty; " +
          "one with a header gets rows only when that header is this export's (409 `sheets_header_mismatch` otherwise). " +
          "Default: `Sentences` or `Learning set`.",
      }),
    columns: z
      .array(z.enum(LEARNING_COLUMNS))
      .min(1)
      .max(LEARNING_COLUMNS.length)
      .optional()
      .meta({ description: "Columns, in order, among those the source has. Default: all of them." }),
    header_names: z
      .partialRecord(z.enum(LEARNING_COLUMNS), z.string().max(100))
      .optional()
      .meta({ description: 'Header text by column, e.g. `{"sentence": "Phrase"}`.' }),
  })
  .meta({ id: "SheetsExport" });
export type SheetsExport = z.infer<typeof SheetsExportSchema>;

export const SheetsExportResultSchema = z
  .object({
    spreadsheet_id: z.string(),
    url: z.string().meta({ description: "The spreadsheet in Google Sheets." }),
    sheet_title: z.string(),
    rows: z.number().int().meta({ description: "Sentence rows written (the header row not counted)." }),
  })
  .meta({ id: "SheetsExportResult" });

export const SheetsConnectionSchema = z
  .object({
    connected: z.boolean(),
    scopes: z.array(z.string()).meta({ description: "What the reader allowed (drive.file: only the files this app makes or opens)." }),
  })
  .meta({ id: "SheetsConnection" });
