/**
 * A finished job's tracker lets go of its storage.
 *
 * While a job runs, its JobTracker (./tracker/) holds every chunk's sentences and the event
 * log. Once the job has ended, its result is in R2 (`jobs/<id>/result.json`) and its final state
 * in its D1 row: the tracker keeps only its event log, for a client that reconnects with
 * `after=`, for EVENT_LOG_SECONDS (10 minutes by default), then lets go: it leaves in R2 what a
 * retry of failed pages needs (this module's snapshot: the job's meta, its chunks' states, page
 * ranges and counts, and its last event; no text), closes its sockets and deletes all of its
 * storage, alarm included. A cancelled or failed job's finished chunks are written as its result
 * first, so its sentences still read the same.
 *
 * Afterwards: a WebSocket to the job gets its final state from D1 and is closed (endedSocket); a
 * retry (retryTracker) loads the tracker again from the snapshot, the result's sentences and the
 * stored analysis's lemmas; a late queue message finds no job and is acked, as after a purge.
 */
import type { ProgressEvent } from "../../schema/api";
import type { JobRow } from "../../schema/db";
import { AnalysisReader, storedAnalysis, type StoredAnalysis } from "../learning/stored";
import type { StoredResult } from "../pipeline/facts";
import type { Sentence } from "../pipeline/types";
import { analysisKey, resultKey, trackerStateKey } from "./keys";
import { config } from "../core/config";

/** How long a finished job's tracker keeps its event log: EVENT_LOG_SECONDS (600 by default), from the parsed configuration. */
export const eventLogMs = (env: Env): number => config(env).EVENT_LOG_SECONDS * 1000;

/** Set by the events route on its request to a finished job's tracker. */
export const JOB_ENDED_HEADER = "X-Fnt-Job-Ended";

type ChunkRow = {
  n: number;
  state: string;
  first_page: number;
  last_page: number;
  sentences: number;
  tokens: number;
  est_tokens: number;
  flags: string | null;
  error: string | null;
  updated_ms: number;
};
const CHUNK_COLUMNS = [
  "n",
  "state",
  "first_page",
  "last_page",
  "sentences",
  "tokens",
  "est_tokens",
  "flags",
  "error",
  "updated_ms",
] as const;

export interface TrackerSnapshot<M> {
  v: 1;
  meta: M;
  chunks: ChunkRow[];
  /** The final event, kept at its `seq` so a reloaded tracker's events follow what clients saw. */
  last_event: { seq: number; body: string } | null;
}

export function takeSnapshot<M>(sql: SqlStorage, meta: M): TrackerSnapshot<M> {
  const chunks = sql.exec<ChunkRow>(`SELECT ${CHUNK_COLUMNS.join(", ")} FROM chunks ORDER BY n`).toArray();
  const last = sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM events ORDER BY seq DESC LIMIT 1").toArray()[0];
  return { v: 1, meta, chunks, last_event: last ? { seq: last.seq, body: last.body } : null };
}

const JSON_TYPE = { httpMetadata: { contentType: "application/json" } };

/** Stores the snapshot (and, for a job whose result was never written, its finished chunks' sentences). */
export async function keepSnapshot<M>(
  env: Env,
  jobId: string,
  snapshot: TrackerSnapshot<M>,
  unstoredResult: StoredResult | null,
): Promise<void> {
  await Promise.all([
    env.FILES.put(trackerStateKey(jobId), JSON.stringify(snapshot), JSON_TYPE),
    unstoredResult ? env.FILES.put(resultKey(jobId), JSON.stringify(unstoredResult), JSON_TYPE) : null,
  ]);
}

export interface Released<M> {
  snapshot: TrackerSnapshot<M>;
  result: StoredResult | null;
  analysis: StoredAnalysis | null;
}

async function readJson(env: Env, key: string): Promise<unknown> {
  const obj = await env.FILES.get(key);
  return obj ? obj.json().catch(() => null) : null;
}

/** What a tracker that let go left in R2; null when there is nothing (it never let go, or its job is gone). */
export async function readReleased<M>(env: Env, jobId: string): Promise<Released<M> | null> {
  const snapshot = (await readJson(env, trackerStateKey(jobId))) as TrackerSnapshot<M> | null;
  if (snapshot?.v !== 1) return null;
  const [result, analysis] = await Promise.all([readJson(env, resultKey(jobId)), readJson(env, analysisKey(jobId))]);
  return { snapshot, result: result as StoredResult | null, analysis: storedAnalysis(analysis) };
}

/**
 * Writes a released tracker's state back into its (empty) tables: meta, chunks, the done chunks'
 * sentences (from the result, with their lemmas from the stored analysis) and the last event.
 * `keepResult` stores a chunk's sentences as the tracker does and returns its row's `result`.
 */
export function restore<M>(sql: SqlStorage, saved: Released<M>, keepResult: (n: number, json: string) => string | null): void {
  const { snapshot, result, analysis } = saved;
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('job', ?)", JSON.stringify(snapshot.meta));
  const reader = analysis ? new AnalysisReader(analysis) : null;
  const byChunk = new Map<number, Sentence[]>();
  for (const s of result?.sentences ?? []) {
    const words = reader?.words(s.index, s.text);
    const sentence: Sentence = {
      text: s.text,
      page: s.page,
      paragraph: s.paragraph,
      ...(s.original !== undefined ? { original: s.original } : {}),
      ...(s.word_count !== undefined && s.has_verb !== undefined ? { word_count: s.word_count, has_verb: s.has_verb } : {}),
      ...(words ? { lemmas: words.map((w) => (w.length === 1 ? w[0]! : [...w])) } : {}),
    };
    byChunk.set(s.chunk, [...(byChunk.get(s.chunk) ?? []), sentence]);
  }
  for (const c of snapshot.chunks) {
    const stored = c.state === "done" ? keepResult(c.n, JSON.stringify(byChunk.get(c.n) ?? [])) : null;
    sql.exec(
      `INSERT OR REPLACE INTO chunks (${CHUNK_COLUMNS.join(", ")}, result) VALUES (${CHUNK_COLUMNS.map(() => "?").join(", ")}, ?)`,
      ...CHUNK_COLUMNS.map((k) => c[k]),
      stored,
    );
  }
  if (snapshot.last_event)
    sql.exec("INSERT OR REPLACE INTO events (seq, body) VALUES (?, ?)", snapshot.last_event.seq, snapshot.last_event.body);
}

/** The console's view of a tracker that let go: its chunks as the snapshot keeps them; the event log is gone. */
export async function releasedView(env: Env, jobId: string) {
  const snapshot = (await readJson(env, trackerStateKey(jobId))) as TrackerSnapshot<{ retries?: number }> | null;
  if (snapshot?.v !== 1) return null;
  return {
    events: [] as (ProgressEvent & { seq: number })[],
    chunks: snapshot.chunks.map(({ updated_ms, est_tokens: _, flags: __, ...c }) => ({
      ...c,
      state: c.state as "pending" | "done" | "failed",
      updated_at: new Date(updated_ms).toISOString(),
    })),
    retries: snapshot.meta.retries ?? 0,
  };
}

/** The final event of an ended job, as its D1 row has it. */
export function finalEvent(row: JobRow, seq: number): ProgressEvent {
  return {
    seq,
    type: row.status as ProgressEvent["type"],
    job_id: row.id,
    status: row.status,
    progress_percent: row.progress_percent,
    current_step: row.current_step,
    processed_chunks: row.processed_chunks,
    failed_chunks: row.failed_chunks,
    total_chunks: row.total_chunks,
    eta_seconds: null,
    error_code: row.error_code,
    error_message: row.error_message,
    at: row.completed_at ?? row.updated_at,
  };
}

/**
 * The WebSocket of an ended job whose tracker let go: its final state, numbered after what the
 * client saw (`after` + 1, so a follower takes it and stops), then closed.
 */
export function endedSocket(row: JobRow, after: number): Response {
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  server.send(JSON.stringify(finalEvent(row, after + 1)));
  server.close(1000, "the job has ended");
  return new Response(null, { status: 101, webSocket: pair[0] });
}
