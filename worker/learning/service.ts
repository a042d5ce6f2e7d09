import { and, desc, eq, lt } from "drizzle-orm";
import { learningSets, type JobRow, type LearningSetRow } from "../../schema/db";
import {
  LearningOptionsSchema,
  type CreateLearningSet,
  type LearningMessage,
  type LearningSet,
  type LearningSentence,
} from "../../schema/learning";
import { defaultWordlistId } from "../defaults/service";
import { ApiError } from "../core/errors";
import { db, nowIso } from "../core/db";
import { analysisKey } from "../jobs/keys";
import { jobResult, ownJob } from "../jobs/service";
import { eligibleSentences } from "./analyse";
import { select, type AnalysedSentence } from "./select";
import { AnalysisReader, storedAnalysis } from "./stored";
import type { PoolSentence, SelectedSentence } from "./types";
import { listLemmas, loadList } from "./wordlists";

/** Where a run's sentences live: its selection and the pool a swap may take from. */
export const learningSetPrefix = (id: string) => `learning-sets/${id}/`;
// The selection and the pool apart: reading the sentences does not parse every eligible one.
const selectionKey = (id: string) => `${learningSetPrefix(id)}sentences.json`;
const poolKey = (id: string) => `${learningSetPrefix(id)}pool.json`;

/** A run's stored outcome. */
export interface StoredRun {
  sentences: SelectedSentence[];
  pool: PoolSentence[];
}

/** A run still `running` after this long is ended `failed` by the cron (its consumer died). */
export const STUCK_RUN_MS = 15 * 60_000;
/** Tries of a run's message before it fails. */
export const RUN_ATTEMPTS = 3;

const FINISHED = new Set(["completed", "partial"]);

export function toPublicSet(row: LearningSetRow): LearningSet {
  const base = `/api/v1/learning-sets/${row.id}`;
  return {
    id: row.id,
    status: row.status,
    mode: row.mode,
    job_ids: JSON.parse(row.job_ids) as string[],
    deleted_jobs: row.deleted_jobs,
    wordlist_id: row.wordlist_id,
    wordlist_name: row.wordlist_name,
    options: LearningOptionsSchema.parse(JSON.parse(row.options)),
    progress_percent: row.progress_percent,
    list_words: row.list_words,
    found_words: row.found_words,
    covered_words: row.covered_words,
    uncovered: row.uncovered ? (JSON.parse(row.uncovered) as string[]) : [],
    eligible_sentences: row.eligible_sentences,
    sentence_count: row.sentence_count,
    optimal: row.optimal,
    lower_bound: row.lower_bound,
    error_code: row.error_code,
    error_message: row.error_message,
    created_at: row.created_at,
    completed_at: row.completed_at,
    links: { self: base, sentences: `${base}/sentences`, export: `${base}/export` },
  };
}

/** The caller's jobs of a run, each finished: a stranger's is a 404, an unfinished one a 409. */
async function finishedJobs(env: Env, userId: string, ids: readonly string[]): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  for (const [i, id] of [...new Set(ids)].entries()) {
    const row = await ownJob(env, userId, id).catch(() => {
      throw new ApiError(404, "not_found", `No such job: ${id}.`, `job_ids.${i}`);
    });
    if (!FINISHED.has(row.status)) {
      throw new ApiError(
        409,
        "job_not_finished",
        `Job ${id} is ${row.status}: a learning set is made of completed (or partial) jobs.`,
        `job_ids.${i}`,
      );
    }
    rows.push(row);
  }
  return rows;
}

/** Records a run and sends it to the queue; it is `running` until the consumer ends it. */
export async function createLearningSet(env: Env, userId: string, body: CreateLearningSet): Promise<LearningSet> {
  const jobsOf = await finishedJobs(env, userId, body.job_ids);
  const { list } = await loadList(env, userId, body.wordlist_id ?? (await defaultWordlistId(env, userId))).catch((err) => {
    if (err instanceof ApiError && err.status === 404) throw new ApiError(404, "not_found", "No such word list.", "wordlist_id");
    throw err;
  });
  const { job_ids: _j, wordlist_id: _w, mode, ...options } = body;
  const row: LearningSetRow = {
    id: `ls_${crypto.randomUUID().replace(/-/g, "")}`,
    owner_id: userId,
    status: "running",
    mode,
    job_ids: JSON.stringify(jobsOf.map((j) => j.id)),
    deleted_jobs: 0,
    wordlist_id: list.id,
    wordlist_name: list.name,
    options: JSON.stringify(options),
    progress_percent: 0,
    list_words: listLemmas(list.entries).size,
    found_words: null,
    covered_words: null,
    eligible_sentences: null,
    sentence_count: null,
    uncovered: null,
    optimal: null,
    lower_bound: null,
    error_code: null,
    error_message: null,
    attempts: 0,
    created_at: nowIso(),
    completed_at: null,
  };
  await db(env.DB).insert(learningSets).values(row);
  await env.LEARNING_QUEUE.send({ id: row.id } satisfies LearningMessage);
  return toPublicSet(row);
}

export async function ownSet(env: Env, userId: string, id: string): Promise<LearningSetRow> {
  const row = await db(env.DB).query.learningSets.findFirst({ where: and(eq(learningSets.id, id), eq(learningSets.owner_id, userId)) });
  if (!row) throw new ApiError(404, "not_found", "No such learning set.");
  return row;
}

export async function listSets(env: Env, userId: string): Promise<LearningSet[]> {
  const rows = await db(env.DB)
    .select()
    .from(learningSets)
    .where(eq(learningSets.owner_id, userId))
    .orderBy(desc(learningSets.created_at))
    .limit(200);
  return rows.map(toPublicSet);
}

export async function deleteSet(env: Env, row: LearningSetRow): Promise<void> {
  await env.FILES.delete([selectionKey(row.id), poolKey(row.id)]);
  await db(env.DB).delete(learningSets).where(eq(learningSets.id, row.id));
}

async function readJson<T>(env: Env, key: string): Promise<T> {
  const obj = await env.FILES.get(key);
  if (!obj) throw new ApiError(410, "learning_set_gone", "The learning set's sentences are gone: make it again.");
  return (await obj.json()) as T;
}

/** A finished run's sentences (and, when asked, its pool); a running or failed one has none yet. */
export async function storedRun(env: Env, row: LearningSetRow, withPool = false): Promise<StoredRun> {
  if (row.status !== "completed") {
    throw new ApiError(
      409,
      "learning_set_not_ready",
      row.status === "running" ? "The learning set is still being made." : "The learning set failed: make it again.",
    );
  }
  const sentences = await readJson<SelectedSentence[]>(env, selectionKey(row.id));
  return { sentences, pool: withPool ? await readJson<PoolSentence[]>(env, poolKey(row.id)) : [] };
}

/** Stores a swapped selection and its new counts (the pool does not change). */
export async function saveSelection(env: Env, row: LearningSetRow, run: StoredRun): Promise<void> {
  await env.FILES.put(selectionKey(row.id), JSON.stringify(run.sentences));
  const covered = new Set<string>();
  for (const s of run.sentences) for (const w of s.list_words) covered.add(w);
  const before = row.uncovered ? (JSON.parse(row.uncovered) as string[]) : [];
  await db(env.DB)
    .update(learningSets)
    .set({
      sentence_count: run.sentences.length,
      covered_words: covered.size,
      uncovered: JSON.stringify(before.filter((w) => !covered.has(w))),
      optimal: row.optimal && run.sentences.length <= (row.sentence_count ?? 0),
    })
    .where(eq(learningSets.id, row.id));
}

/** A job's stored analysis (worker/learning/stored.ts), or null: a job stored before it, or unreadable. */
async function jobAnalysis(env: Env, jobId: string): Promise<AnalysisReader | null> {
  const obj = await env.FILES.get(analysisKey(jobId));
  const stored = obj ? storedAnalysis(await obj.json().catch(() => null)) : null;
  return stored ? new AnalysisReader(stored) : null;
}

/**
 * Makes the run: every book's eligible sentences (from its stored analysis, tagged where it has
 * none or a reader edited the text), then the selection; stored in R2, counts in D1.
 */
export async function runLearningSet(env: Env, row: LearningSetRow): Promise<void> {
  const d = db(env.DB);
  const options = LearningOptionsSchema.parse(JSON.parse(row.options));
  // A book deleted before the run began is no longer among its jobs: the run ends as source_gone.
  if (row.deleted_jobs > 0) throw new ApiError(404, "not_found", "A job of this run was deleted.");
  const jobIds = JSON.parse(row.job_ids) as string[];
  const { list } = await loadList(env, row.owner_id, row.wordlist_id);
  const lemmas = listLemmas(list.entries);
  const eligible: AnalysedSentence[] = [];
  for (const [i, jobId] of jobIds.entries()) {
    const job = await ownJob(env, row.owner_id, jobId);
    const [result, stored] = await Promise.all([jobResult(env, job), jobAnalysis(env, jobId)]);
    for (const s of eligibleSentences(jobId, result.sentences, options, stored)) eligible.push(s);
    await d
      .update(learningSets)
      .set({ progress_percent: Math.round(((i + 1) / jobIds.length) * 80) })
      .where(eq(learningSets.id, row.id));
  }
  const selection = select(eligible, lemmas, row.mode, options);
  await env.FILES.put(poolKey(row.id), JSON.stringify(selection.pool));
  await env.FILES.put(selectionKey(row.id), JSON.stringify(selection.sentences));
  const ended = await d
    .update(learningSets)
    .set({
      status: "completed",
      progress_percent: 100,
      found_words: selection.found_words,
      covered_words: selection.covered_words,
      eligible_sentences: eligible.length,
      sentence_count: selection.sentences.length,
      uncovered: JSON.stringify(selection.uncovered),
      optimal: selection.optimal,
      lower_bound: selection.lower_bound,
      completed_at: nowIso(),
    })
    .where(and(eq(learningSets.id, row.id), eq(learningSets.status, "running")))
    .returning({ id: learningSets.id })
    .all();
  // Deleted while it ran (or its account was): none of its sentences may stay behind.
  if (ended.length === 0) await env.FILES.delete([poolKey(row.id), selectionKey(row.id)]);
}

async function failRun(env: Env, id: string, code: string, message: string) {
  await db(env.DB)
    .update(learningSets)
    .set({ status: "failed", error_code: code, error_message: message, completed_at: nowIso() })
    .where(and(eq(learningSets.id, id), eq(learningSets.status, "running")));
}

/** The learning-set queue: one run a message, tried RUN_ATTEMPTS times, then failed with its reason. */
export async function handleLearningBatch(batch: MessageBatch<LearningMessage>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const row = await db(env.DB).query.learningSets.findFirst({ where: eq(learningSets.id, msg.body.id) });
    if (row?.status !== "running") {
      msg.ack();
      continue;
    }
    try {
      await db(env.DB)
        .update(learningSets)
        .set({ attempts: row.attempts + 1 })
        .where(eq(learningSets.id, row.id));
      await runLearningSet(env, row);
      msg.ack();
    } catch (err) {
      const gone = err instanceof ApiError && err.status === 404;
      if (gone || row.attempts + 1 >= RUN_ATTEMPTS) {
        console.error("learning set failed", row.id, err);
        await failRun(
          env,
          row.id,
          gone ? "source_gone" : "run_failed",
          gone ? "A book or the word list of this run was deleted while it ran." : "The learning set could not be made. Please try again.",
        );
        msg.ack();
      } else msg.retry({ delaySeconds: 2 });
    }
  }
}

/** Cron: a run whose consumer died is ended, never left running. */
export async function sweepLearningSets(env: Env, now = Date.now()): Promise<number> {
  const stuck = await db(env.DB)
    .select({ id: learningSets.id })
    .from(learningSets)
    .where(and(eq(learningSets.status, "running"), lt(learningSets.created_at, new Date(now - STUCK_RUN_MS).toISOString())))
    .limit(100);
  for (const { id } of stuck) await failRun(env, id, "stalled", "The learning set stopped making progress. Please make it again.");
  return stuck.length;
}

export type { LearningSentence };
