import { Hono } from "hono";
import {
  AlternativesSchema,
  CreateLearningSetSchema,
  LearningExportQuerySchema,
  LearningSentenceListSchema,
  LearningSetListSchema,
  LearningSetSchema,
  MAX_LEARNING_SET_JOBS,
  SwapSchema,
} from "../../schema/learning";
import { requireAuth } from "../auth/caller";
import { ownJob } from "../jobs/service";
import { learningExport, LEARNING_COLUMNS } from "../learning/export";
import { exportColumns } from "../defaults/service";
import { splitColumns } from "../../schema/sheets";
import { bookName } from "../pipeline/anki";
import { alternatives, swap } from "../learning/select";
import { createLearningSet, deleteSet, listSets, ownSet, saveSelection, storedRun, toPublicSet } from "../learning/service";
import { ApiError } from "../core/errors";
import { APKG_TOO_LARGE, APKG_TYPE, XLSX_TYPE } from "./export";
import { describe, json, noContent, pathParam } from "./openapi";
import type { AppEnv } from "../core/types";
import { checkApkgSize, loadSqlJs } from "./sqljs";
import { jsonBody, queryParams } from "./validate";

const setId = pathParam("id", "The learning set's id.");
const rankParam = pathParam("rank", "1-based position in the selection.");
const NOT_FOUND = "`not_found`: no such learning set of mine.";
const NOT_READY = "`learning_set_not_ready`: still running, or failed.";

/** A coverage run of mine with its swap pool: what alternatives and swaps work on. */
async function coverageRun(env: Env, userId: string, id: string) {
  const row = await ownSet(env, userId, id);
  if (row.mode !== "coverage") throw new ApiError(409, "not_coverage", "Alternatives and swaps are for coverage runs.");
  return { row, run: await storedRun(env, row, true) };
}

function rankOf(raw: string, count: number): number {
  const rank = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(rank >= 1 && rank <= count)) throw new ApiError(404, "not_found", `No sentence at rank ${raw}: ranks go from 1 to ${count}.`);
  return rank;
}

export const learningSetRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .post(
    "/",
    describe({
      operationId: "createLearningSet",
      summary: "Make a learning set",
      description:
        "Over one or several of my finished jobs (completed or partial, edits included) and a word list (when absent, my saved default, else `default`). " +
        "**coverage**: the fewest eligible sentences (word count within `min_words`–`max_words`, a verb when `require_verb`) that together " +
        "contain every list word found in any eligible sentence, most new words first. **filter**: every eligible sentence whose share of " +
        "list words is at least `min_known_ratio`, fewest unknown words first. Answers 201 at once with `status: running`; follow " +
        "GET /api/v1/learning-sets/{id} until `completed` (or `failed`).",
      tag: "Learning sets",
      access: "user",
      responses: { 201: json(LearningSetSchema, "The run, `running`.") },
      errors: {
        400: `\`invalid_field\`: an option is invalid (\`field\` names it: e.g. \`max_words\` below \`min_words\`, more than ${MAX_LEARNING_SET_JOBS} jobs); \`invalid_json\`.`,
        404: "`not_found`: a job or the word list is not mine (`field` names it).",
        409: "`job_not_finished`: a job is not completed or partial (`field` names it).",
      },
    }),
    jsonBody(CreateLearningSetSchema, '{"job_ids": ["…"], "wordlist_id": "default", "mode": "coverage"}'),
    async (c) => {
      const set = await createLearningSet(c.env, c.get("userId"), c.req.valid("json"));
      c.header("Location", set.links.self);
      return c.json(set, 201);
    },
  )
  .get(
    "/",
    describe({
      operationId: "listLearningSets",
      summary: "My learning sets",
      description: "Newest first (the latest 200).",
      tag: "Learning sets",
      access: "user",
      responses: { 200: json(LearningSetListSchema, "The runs.") },
    }),
    async (c) => c.json({ learning_sets: await listSets(c.env, c.get("userId")) }, 200),
  )
  .get(
    "/:id",
    describe({
      operationId: "getLearningSet",
      summary: "One learning set",
      description:
        "Its status, options and counts: list words, found, covered, the uncovered lemmas, sentences, and (coverage) whether the selection is proven the fewest. " +
        "A job deleted after the run leaves `job_ids` and is counted in `deleted_jobs`; the run keeps its sentences (copied when it was made).",
      tag: "Learning sets",
      access: "user",
      parameters: [setId],
      responses: { 200: json(LearningSetSchema, "The run.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => c.json(toPublicSet(await ownSet(c.env, c.get("userId"), c.req.param("id"))), 200),
  )
  .delete(
    "/:id",
    describe({
      operationId: "deleteLearningSet",
      summary: "Delete a learning set",
      tag: "Learning sets",
      access: "user",
      parameters: [setId],
      responses: { 204: noContent("Deleted.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => {
      await deleteSet(c.env, await ownSet(c.env, c.get("userId"), c.req.param("id")));
      return c.body(null, 204);
    },
  )
  .get(
    "/:id/sentences",
    describe({
      operationId: "listLearningSentences",
      summary: "A learning set's sentences",
      description:
        "The ordered selection: each with its book (`job_id`, `index` in the job's result), page, word count, verb, list words and the new words it brings. " +
        "A sentence of a job deleted since stays, with the `job_id` it had (no longer in the run's `job_ids`).",
      tag: "Learning sets",
      access: "user",
      parameters: [setId],
      responses: { 200: json(LearningSentenceListSchema, "The sentences, by rank.") },
      errors: { 404: NOT_FOUND, 409: NOT_READY, 410: "`learning_set_gone`: its stored sentences are gone." },
    }),
    async (c) => {
      const run = await storedRun(c.env, await ownSet(c.env, c.get("userId"), c.req.param("id")));
      return c.json({ sentences: run.sentences }, 200);
    },
  )
  .get(
    "/:id/sentences/:rank/alternatives",
    describe({
      operationId: "listLearningAlternatives",
      summary: "Other sentences for one rank",
      description:
        "Eligible sentences not in the selection that contain every new word of the sentence at `rank` (shortest first, at most 50): any of them can take its place (coverage runs).",
      tag: "Learning sets",
      access: "user",
      parameters: [setId, rankParam],
      responses: { 200: json(AlternativesSchema, "The alternatives.") },
      errors: { 404: `${NOT_FOUND} Or no sentence at that rank.`, 409: `${NOT_READY} \`not_coverage\`: a filter run has no alternatives.` },
    }),
    async (c) => {
      const { run } = await coverageRun(c.env, c.get("userId"), c.req.param("id"));
      const found = alternatives(run.sentences, run.pool, rankOf(c.req.param("rank"), run.sentences.length))!;
      const list = found.alternatives.map((s) => ({ ...s, rank: null, new_words: found.new_words }));
      return c.json({ rank: found.rank, new_words: found.new_words, alternatives: list }, 200);
    },
  )
  .post(
    "/:id/sentences/:rank/swap",
    describe({
      operationId: "swapLearningSentence",
      summary: "Take another sentence for one rank",
      description:
        "`{job_id, index}` of an alternative (GET …/alternatives): it takes the rank's place, so the set stays a cover; new words are " +
        "recounted and a later sentence that no longer brings any is left out.",
      tag: "Learning sets",
      access: "user",
      parameters: [setId, rankParam],
      responses: { 200: json(LearningSentenceListSchema, "The selection after the swap.") },
      errors: {
        400: "`invalid_field`: `job_id` or `index` (`field` names it).",
        404: `${NOT_FOUND} Or no sentence at that rank.`,
        409: `${NOT_READY} \`not_an_alternative\`: that sentence is not eligible or lacks some of the rank's new words; \`not_coverage\`.`,
      },
    }),
    jsonBody(SwapSchema, '{"job_id": "…", "index": 42}'),
    async (c) => {
      const { row, run } = await coverageRun(c.env, c.get("userId"), c.req.param("id"));
      const rank = rankOf(c.req.param("rank"), run.sentences.length);
      const { job_id, index } = c.req.valid("json");
      const at = run.sentences[rank - 1]!;
      if (at.job_id === job_id && at.index === index) return c.json({ sentences: run.sentences }, 200);
      const candidate = run.pool.find((p) => p.job_id === job_id && p.index === index);
      const has = new Set(candidate?.list_words ?? []);
      const inSelection = run.sentences.some((s) => s.job_id === job_id && s.index === index);
      if (!candidate || inSelection || !at.new_words.every((w) => has.has(w))) {
        throw new ApiError(
          409,
          "not_an_alternative",
          "That sentence cannot take this place: it is already chosen, not eligible, or lacks some of the new words here.",
        );
      }
      const sentences = swap(run.sentences, rank, candidate);
      await saveSelection(c.env, row, { sentences, pool: run.pool });
      return c.json({ sentences }, 200);
    },
  )
  .get(
    "/:id/export",
    describe({
      operationId: "exportLearningSet",
      summary: "Download a learning set",
      description:
        "csv/tsv (UTF-8 with BOM; columns `rank, sentence, new_words, list_words, page, job_id, index, word_count, has_verb, known_ratio`), txt (one sentence a line), json, " +
        "anki (a text file for Anki's importer, columns `Sentence, Page, New words, Deck, GUID, Tags`, the deck `Learning set — <first book>`; " +
        "a sentence's GUID is the one its job's anki export gives it, so both imports update one note), apkg (an Anki package of the same notes) " +
        "or xlsx (an Excel workbook of the csv's columns, every cell text).",
      tag: "Learning sets",
      access: "user",
      parameters: [setId],
      responses: {
        200: {
          description: "The file, as an attachment.",
          content: {
            "text/csv": { schema: { type: "string" } },
            "text/tab-separated-values": { schema: { type: "string" } },
            "text/plain": { schema: { type: "string" } },
            "application/json": { schema: { type: "object" } },
            [APKG_TYPE]: { schema: { type: "string", format: "binary", contentMediaType: APKG_TYPE } },
            [XLSX_TYPE]: { schema: { type: "string", format: "binary", contentMediaType: XLSX_TYPE } },
          },
        },
      },
      errors: { 400: "`invalid_field`: `format`, `columns`.", 404: NOT_FOUND, 409: NOT_READY, 413: APKG_TOO_LARGE },
    }),
    queryParams(LearningExportQuerySchema),
    async (c) => {
      const row = await ownSet(c.env, c.get("userId"), c.req.param("id"));
      const run = await storedRun(c.env, row);
      const { format, columns: asked } = c.req.valid("query");
      if (format === "apkg") checkApkgSize(run.sentences.length);
      const columns = await exportColumns(c.env, c.get("userId"), LEARNING_COLUMNS, splitColumns(asked));
      // The books' names, for the Anki deck and tags; a job deleted since keeps its sentences, named "book".
      const books = new Map<string, string>();
      if (format === "anki" || format === "apkg") {
        for (const id of JSON.parse(row.job_ids) as string[]) {
          const job = await ownJob(c.env, row.owner_id, id).catch(() => null);
          if (job) books.set(id, bookName(job.original_filename));
        }
      }
      const file = await learningExport(run.sentences, format, { books, sql: loadSqlJs, columns });
      c.header("Content-Type", file.contentType);
      c.header("Content-Disposition", `attachment; filename="learning-set-${row.id}.${file.extension}"`);
      return c.body(file.body, 200);
    },
  );
