import { z } from "zod";
import { columnsParam } from "./sheets";

/**
 * Word lists and learning sets: the public contract of /api/v1/wordlists and
 * /api/v1/learning-sets (validation, the OpenAPI document and the typed client share it).
 */

/** The built-in list's id. */
export const DEFAULT_WORDLIST_ID = "default";
/** Most entries one list may hold, and most lists a reader may keep. */
export const MAX_WORDLIST_ENTRIES = 20_000;
export const MAX_WORDLISTS = 50;
/** A list file larger than this is refused before it is read (20,000 entries fit in far less). */
export const MAX_WORDLIST_FILE_BYTES = 2 * 1024 * 1024;
/** Most books one learning set runs over. */
export const MAX_LEARNING_SET_JOBS = 20;
/** The largest `max_words` a run may ask for: a longer sentence is never eligible. */
export const MAX_SENTENCE_WORDS = 100;

const name = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(100, { error: "must be at most 100 characters" });

export const WordlistEntrySchema = z
  .object({
    word: z.string().meta({ description: "The entry as written in the list (variants like `bon|bonne` kept whole)." }),
    lemma: z.string().meta({ description: "The lemma it stands for: what sentences are matched by." }),
    known: z
      .boolean()
      .meta({ description: "Whether the lexicon knows the word; an unknown entry is kept, matched as written (lower-cased)." }),
  })
  .meta({ id: "WordlistEntry" });

export const WordlistSchema = z
  .object({
    id: z.string().meta({ description: "`default` for the built-in list." }),
    name: z.string(),
    is_default: z.boolean().meta({ description: "The built-in list, preselected everywhere." }),
    entry_count: z.number().int(),
    lemma_count: z.number().int().meta({ description: "Distinct lemmas of its entries: the list words a learning set counts." }),
    unknown_count: z.number().int().meta({ description: "Entries the lexicon does not know." }),
    source: z.string().nullable().meta({ description: "Where the built-in list comes from (its attribution); null for a reader's list." }),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .meta({ id: "Wordlist" });
export type Wordlist = z.infer<typeof WordlistSchema>;

export const WordlistDetailSchema = WordlistSchema.extend({
  words: z.array(WordlistEntrySchema),
  unknown: z.array(z.string()).meta({ description: "The entries the lexicon does not know, as written." }),
}).meta({ id: "WordlistDetail" });
export type WordlistDetail = z.infer<typeof WordlistDetailSchema>;

export const WordlistListSchema = z.object({ wordlists: z.array(WordlistSchema) }).meta({ id: "WordlistList" });

export const CreateWordlistSchema = z
  .object({
    name,
    words: z
      .array(z.string({ error: "must be strings" }).max(200, { error: "an entry is at most 200 characters" }), {
        error: "must be an array of words",
      })
      .meta({ description: "One entry a word; `bon|bonne` for variants of one entry." }),
  })
  .strict()
  .meta({ id: "CreateWordlist" });

export const RenameWordlistSchema = z.object({ name }).strict().meta({ id: "RenameWordlist" });

/** Multipart form of POST /api/v1/wordlists (for the document). */
export const WordlistUploadFormSchema = z.object({
  file: z.string().meta({
    format: "binary",
    description:
      "A CSV or text file: one word a line, or the first column; `#` starts a comment; `bon|bonne` for variants; a header line (word, mot, lemma…) is skipped. UTF-8 (or Latin-1).",
  }),
  name: name.optional().meta({ description: "The list's name; the file's name without extension when absent." }),
});

export const LearningSetStatusSchema = z.enum(["running", "completed", "failed"]).meta({ id: "LearningSetStatus" });
export const LearningModeSchema = z.enum(["coverage", "filter"]).meta({ id: "LearningMode" });

const count = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export const LearningOptionsSchema = z
  .object({
    min_words: count(1, MAX_SENTENCE_WORDS)
      .default(4)
      .meta({ description: "Fewest words a sentence may have (a word: any token but punctuation)." }),
    max_words: count(1, MAX_SENTENCE_WORDS).default(8).meta({ description: "Most words a sentence may have." }),
    require_verb: z
      .boolean({ error: "must be true or false" })
      .default(true)
      .meta({ description: "Only sentences with a verb (a VERB or AUX token)." }),
    min_known_ratio: z
      .number({ error: "must be a number from 0 to 1" })
      .min(0, { error: "must be a number from 0 to 1" })
      .max(1, { error: "must be a number from 0 to 1" })
      .default(0.95)
      .meta({ description: "filter: least share of a sentence's words whose lemma is in the list." }),
  })
  .meta({ id: "LearningOptions" });
export type LearningOptions = z.infer<typeof LearningOptionsSchema>;

export const CreateLearningSetSchema = z
  .object({
    job_ids: z
      .array(z.string({ error: "must be job ids" }).min(1).max(100), { error: "must be an array of job ids" })
      .min(1, { error: "name at least one job" })
      .max(MAX_LEARNING_SET_JOBS, { error: `at most ${MAX_LEARNING_SET_JOBS} jobs` }),
    wordlist_id: z
      .string({ error: "must be a word list id" })
      .min(1)
      .max(100)
      .optional()
      .meta({
        description: `\`${DEFAULT_WORDLIST_ID}\` or one of my lists; when absent, my saved default (GET /api/v1/settings), else \`${DEFAULT_WORDLIST_ID}\`.`,
      }),
    mode: z.enum(["coverage", "filter"], { error: "must be coverage or filter" }).default("coverage"),
    ...LearningOptionsSchema.shape,
  })
  .strict()
  .refine((o) => o.min_words <= o.max_words, { error: "must be at least min_words", path: ["max_words"] })
  .meta({ id: "CreateLearningSet" });
export type CreateLearningSet = z.infer<typeof CreateLearningSetSchema>;

export const LearningSetSchema = z
  .object({
    id: z.string(),
    status: LearningSetStatusSchema,
    mode: LearningModeSchema,
    job_ids: z
      .array(z.string())
      .meta({ description: "The run's jobs, in the order asked; a job deleted since is no longer listed (see `deleted_jobs`)." }),
    deleted_jobs: z.number().int().min(0).meta({
      description:
        "How many of the run's jobs were deleted after it was made. Their sentences stay in the selection and exports (the text was copied when the run was made), with the `job_id` they had; that job answers 404.",
    }),
    wordlist_id: z.string(),
    wordlist_name: z.string(),
    options: LearningOptionsSchema,
    progress_percent: z.number().int().min(0).max(100),
    list_words: z.number().int().nullable().meta({ description: "Distinct lemmas of the word list." }),
    found_words: z.number().int().nullable().meta({ description: "List words that occur in at least one eligible sentence of the books." }),
    covered_words: z.number().int().nullable().meta({ description: "List words the returned sentences contain." }),
    uncovered: z
      .array(z.string())
      .meta({ description: "List lemmas no returned sentence contains (coverage: those the books never offer in an eligible sentence)." }),
    eligible_sentences: z.number().int().nullable().meta({ description: "Sentences within the bounds (and with a verb when required)." }),
    sentence_count: z.number().int().nullable(),
    optimal: z
      .boolean()
      .nullable()
      .meta({ description: "coverage: true when no smaller selection covers the found words (proven by the solver)." }),
    lower_bound: z.number().int().nullable().meta({ description: "coverage: the proven least size of any cover." }),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
    links: z.object({ self: z.string(), sentences: z.string(), export: z.string() }),
  })
  .meta({ id: "LearningSet", description: "A learning set: the sentences of some books chosen for a word list." });
export type LearningSet = z.infer<typeof LearningSetSchema>;

export const LearningSetListSchema = z.object({ learning_sets: z.array(LearningSetSchema) }).meta({ id: "LearningSetList" });

export const LearningSentenceSchema = z
  .object({
    rank: z.number().int().meta({ description: "1-based position in the selection." }),
    job_id: z.string(),
    index: z.number().int().meta({ description: "The sentence's index in its job's result." }),
    text: z.string().meta({ description: "As the job's result has it, a reader's edits included (when the run was made)." }),
    page: z.number().int(),
    word_count: z.number().int(),
    has_verb: z.boolean(),
    list_words: z.array(z.string()).meta({ description: "List lemmas the sentence contains." }),
    new_words: z.array(z.string()).meta({ description: "List lemmas no earlier sentence of the selection contains." }),
    known_ratio: z.number().meta({ description: "Share of its words whose lemma is in the list." }),
  })
  .meta({ id: "LearningSentence" });
export type LearningSentence = z.infer<typeof LearningSentenceSchema>;

export const LearningSentenceListSchema = z.object({ sentences: z.array(LearningSentenceSchema) }).meta({ id: "LearningSentenceList" });

export const AlternativesSchema = z
  .object({
    rank: z.number().int(),
    new_words: z.array(z.string()).meta({ description: "What the sentence at this rank brings: every alternative contains all of it." }),
    alternatives: z.array(LearningSentenceSchema.omit({ rank: true }).extend({ rank: z.null() })),
  })
  .meta({ id: "LearningAlternatives" });

export const SwapSchema = z
  .object({
    job_id: z.string({ error: "must be a job id" }).min(1).max(100),
    index: z.number({ error: "must be a sentence index" }).int({ error: "must be a sentence index" }).min(0),
  })
  .strict()
  .meta({ id: "LearningSwap" });

/** Columns of a learning set's csv/tsv/xlsx export (worker/learning/export.ts). */
export const LEARNING_EXPORT_COLUMNS = [
  "rank",
  "sentence",
  "new_words",
  "list_words",
  "page",
  "job_id",
  "index",
  "word_count",
  "has_verb",
  "known_ratio",
];

export const LearningExportQuerySchema = z.object({
  columns: columnsParam(LEARNING_EXPORT_COLUMNS),
  format: z
    .enum(["csv", "tsv", "txt", "json", "anki", "apkg", "xlsx"], { error: "must be csv, tsv, txt, json, anki, apkg or xlsx" })
    .default("csv")
    .meta({
      description:
        "csv/tsv: `rank, sentence, new_words, list_words, page, job_id, index, word_count, has_verb, known_ratio`; txt: one sentence a line; json: the sentences; " +
        "anki: a text file for Anki's importer (`Sentence, Page, New words, Deck, GUID, Tags`; a sentence's GUID is the one of its job's anki export); " +
        "apkg: an Anki package of the same notes; xlsx: an Excel workbook of the csv's columns, every cell text.",
    }),
});

/** What the learning-set queue carries: the run's id only. */
export interface LearningMessage {
  id: string;
}
