import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { isFinal, type JobResult, type JobStatus, type ProgressEvent } from "../../schema/api";
import { jobs } from "../../schema/db";
import type { JobSettings } from "../../schema/settings";
import { withFacts, type StoredResult } from "../pipeline/facts";
import type { NormalizeResult } from "../pipeline/types";
import { enqueueChunks } from "./chunk-queue";
import { db, nowIso } from "../core/db";
import { deleteKeys } from "./files";
import { forgetSocket } from "../auth/sockets";
import { millisFor, toCredits } from "../credits/pricing";
import { creditAccount, type Billing } from "../credits/service";
import { addToCounter } from "../ops/state";
import { endEventId, enqueueEvent, progressEventId, type JobHooks, type WebhookEvent } from "../webhooks/service";
import { toPublicJob } from "./service";
import { analysisKey, chunkKey, resultKey, scanPagesKey } from "./keys";
import { AnalysisWriter } from "../learning/stored";
import { eventLogMs, JOB_ENDED_HEADER, keepSnapshot, readReleased, restore, takeSnapshot } from "./release";

/** Set by the events route: the socket's id (its tag here, its D1 record's key). */
export const SOCKET_ID_HEADER = "X-Fnt-Socket-Id";
/** Set by the events route: when the credential that opened the socket stops working. */
export const SOCKET_EXPIRES_HEADER = "X-Fnt-Socket-Expires";
/** Close code for a socket whose session ended or whose key was revoked or expired. */
export const CLOSE_CREDENTIAL_ENDED = 4001;

/** How long a running job may show no progress before the watchdog steps in. */
export const STALL_MS = 3 * 60_000;
const WATCHDOG_EVERY_MS = 60_000;
/** Times the watchdog re-enqueues silent chunks before it declares them failed. */
const MAX_REQUEUES = 2;
/** A job that never leaves `queued`/`planning` is failed after this long. */
const PLANNING_TIMEOUT_MS = 15 * 60_000;
/**
 * A Durable Object's SQLite row holds at most 2 MB. A chunk's result is far smaller as a
 * rule (a chunk is ~12,000 characters), but one long paragraph with no sentence end makes one
 * chunk of any size: a result longer than this many UTF-16 units (each at most 3 bytes of
 * UTF-8) is kept in parts of this size in `result_parts` instead of in its chunk's row.
 */
export const RESULT_PART_CHARS = 256 * 1024;

export interface ChunkPlan {
  first_page: number;
  last_page: number;
  /** The chunk's token estimate: what the local engine bills for it once done. */
  tokens?: number;
}

export interface StartPlan {
  /** Pages read (the `pages` setting may leave some out). */
  page_count: number;
  /** Pages in the book, when the plan read the PDF. */
  book_page_count?: number;
  chunks: ChunkPlan[];
  estimated_tokens: number;
}

export type ChunkDecision = { process: false; reason: string } | { process: true; settings: JobSettings };

type ChunkState = "pending" | "done" | "failed";
const bookPages = (plan: StartPlan) => (plan.book_page_count === undefined ? {} : { book_page_count: plan.book_page_count });
/** The ledger key of a job's current run: the job id, then one per retry. */
const billingKey = (m: Meta) => (m.retries ? `${m.job_id}#retry-${m.retries}` : m.job_id);
interface SocketAttachment {
  expires_ms: number | null;
}
type Counts = Record<ChunkState, number>;
type FinalStatus = Extract<JobStatus, "completed" | "partial" | "failed" | "cancelled">;

interface Meta {
  job_id: string;
  status: JobStatus;
  total: number;
  settings: JobSettings;
  created_ms: number;
  started_ms: number | null;
  last_progress_ms: number;
  requeues: number;
  error_code: string | null;
  error_message: string | null;
  actual_tokens: number;
  /** Who pays and at what rate; absent for jobs that are not billed (tests). */
  billing?: Billing;
  /** Retries of failed chunks so far; each is billed on its own ledger key. */
  retries?: number;
  /** The chunks the current retry runs, and the tokens counted before it. */
  retry_chunks?: number[];
  tokens_before_retry?: number;
  /** Millicredits charged by the runs that have ended. */
  charged?: number;
  /** Where webhook events go; absent when the job has none. */
  hooks?: JobHooks;
  /** The last progress step a job.progress event was sent for. */
  hooks_progress_sent?: number;
  /** When the job last ended: its tracker lets go of its storage a while after (./release.ts). */
  ended_ms?: number;
}

/**
 * One per job: the single writer of a job's progress and final state. Chunk states,
 * results and the event log live in this object's SQLite storage, so a redelivered
 * queue message or a restart never double-counts a chunk.
 */
export class JobTracker extends DurableObject<Env> {
  private sql: SqlStorage;

  /**
   * Whether this tracker has tables: a job's tracker makes them at register(), and purge() drops
   * them with the rest. An empty tracker (never registered, or its job deleted) stays empty: a
   * late call finds no job and writes nothing.
   */
  private ready: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.ready = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
    if (this.ready) this.createTables();
  }

  private createTables() {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS chunks (
        n INTEGER PRIMARY KEY, state TEXT NOT NULL, first_page INTEGER NOT NULL, last_page INTEGER NOT NULL,
        result TEXT, sentences INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,
        error TEXT, updated_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS result_parts (
        n INTEGER NOT NULL, part INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (n, part));
    `);
    // Added after the first version: trackers created before it get the column here.
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(chunks)").toArray();
    if (!columns.some((c) => c.name === "flags")) this.sql.exec("ALTER TABLE chunks ADD COLUMN flags TEXT");
    if (!columns.some((c) => c.name === "est_tokens")) {
      this.sql.exec("ALTER TABLE chunks ADD COLUMN est_tokens INTEGER NOT NULL DEFAULT 0");
    }
    this.ready = true;
  }

  // ---- state -------------------------------------------------------------------

  private meta(): Meta | null {
    if (!this.ready) return null;
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'job'").toArray()[0];
    return row ? (JSON.parse(row.value) as Meta) : null;
  }

  private saveMeta(m: Meta) {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('job', ?)", JSON.stringify(m));
  }

  private counts(): Counts {
    const rows = this.sql
      .exec<{ state: ChunkState; c: number }>("SELECT state, COUNT(*) AS c FROM chunks GROUP BY state")
      .toArray();
    const c = { pending: 0, done: 0, failed: 0 };
    for (const r of rows) c[r.state] = r.c;
    return c;
  }

  private chunkState(n: number): ChunkState | undefined {
    return this.sql.exec<{ state: ChunkState }>("SELECT state FROM chunks WHERE n = ?", n).toArray()[0]?.state;
  }

  /** Creates the job's state on first contact; the job row in D1 already exists. */
  async register(jobId: string, settings: JobSettings, billing?: Billing, hooks?: JobHooks): Promise<void> {
    if (this.meta()) return;
    this.createTables();
    const now = Date.now();
    this.saveMeta({
      job_id: jobId,
      status: "queued",
      total: 0,
      settings,
      created_ms: now,
      started_ms: null,
      last_progress_ms: now,
      requeues: 0,
      error_code: null,
      error_message: null,
      actual_tokens: 0,
      billing,
      hooks,
    });
    this.emit("status");
    await this.ctx.storage.setAlarm(now + WATCHDOG_EVERY_MS);
  }

  private requireMeta(): Meta {
    const m = this.meta();
    if (!m) throw new Error("job tracker used before register()");
    return m;
  }

  // ---- pipeline calls ----------------------------------------------------------

  /** The plan consumer starts; false when the job was cancelled or already ended. */
  async planning(): Promise<boolean> {
    const m = this.meta();
    if (!m || isFinal(m.status)) return false; // no job: deleted (its tracker purged)
    if (m.status === "processing") return true; // a redelivered plan message
    m.status = "planning";
    m.last_progress_ms = Date.now();
    this.saveMeta(m);
    await this.writeRow({ status: "planning", current_step: "reading the PDF" });
    this.emit("status", "reading the PDF");
    return true;
  }

  /** The plan is cut into chunks; returns false when the job must not go on. Idempotent. */
  async start(plan: StartPlan): Promise<boolean> {
    const m = this.meta();
    if (!m || isFinal(m.status)) return false;
    if (m.status === "processing") return true;
    // Credits before any work: the estimate is held, or the job ends here, nothing charged.
    const estimated = m.billing ? millisFor(plan.estimated_tokens, m.billing.rate) : 0;
    if (m.billing && m.billing.rate > 0) {
      const r = await creditAccount(this.env, m.billing.owner_id).reserve(m.job_id, estimated);
      if (!r.ok) {
        await this.writeRow({ estimated_tokens: plan.estimated_tokens, page_count: plan.page_count, ...bookPages(plan), estimated_millicredits: estimated });
        const available = r.reason === "insufficient" ? r.available : 0;
        await this.finish(this.requireMeta(), "failed", {
          code: "insufficient_credits",
          message: `Not enough credits for this book: it needs about ${toCredits(estimated)} credits and ${toCredits(available)} are available.`,
        });
        return false;
      }
    }
    const now = Date.now();
    for (const [n, c] of plan.chunks.entries()) {
      this.sql.exec(
        "INSERT OR IGNORE INTO chunks (n, state, first_page, last_page, updated_ms, est_tokens) VALUES (?, 'pending', ?, ?, ?, ?)",
        n,
        c.first_page,
        c.last_page,
        now,
        c.tokens ?? 0,
      );
    }
    m.status = "processing";
    m.total = plan.chunks.length;
    m.started_ms = now;
    m.last_progress_ms = now;
    this.saveMeta(m);
    const c = this.counts();
    await this.writeRow({
      status: "processing",
      current_step: this.step(m, c),
      total_chunks: m.total,
      page_count: plan.page_count,
      ...bookPages(plan),
      estimated_tokens: plan.estimated_tokens,
      ...(m.billing
        ? { estimated_millicredits: estimated, pricing_rate: m.billing.rate, pricing_version: m.billing.pricing_version }
        : {}),
      started_at: new Date(now).toISOString(),
      progress_percent: this.percent(m, c),
    });
    this.emit("progress", undefined, {}, c);
    return true;
  }

  /** Asked by the chunk consumer before any work: a cancelled job or finished chunk is skipped. */
  async shouldProcess(n: number): Promise<ChunkDecision> {
    const m = this.meta();
    if (!m) return { process: false, reason: "unknown job" };
    if (m.status === "cancelled") return { process: false, reason: "cancelled" };
    if (isFinal(m.status)) return { process: false, reason: `job ${m.status}` };
    const state = this.chunkState(n);
    if (!state) return { process: false, reason: "unknown chunk" };
    if (state !== "pending") return { process: false, reason: `chunk ${state}` };
    return { process: true, settings: m.settings };
  }

  /** Records a chunk's sentences once; a duplicate delivery changes nothing. */
  async chunkDone(n: number, result: NormalizeResult): Promise<void> {
    const m = this.meta();
    if (!m || isFinal(m.status)) return;
    if (this.chunkState(n) !== "pending") return;
    const now = Date.now();
    this.sql.exec(
      "UPDATE chunks SET state = 'done', result = ?, sentences = ?, tokens = ?, flags = ?, updated_ms = ? WHERE n = ?",
      this.keepResult(n, JSON.stringify(result.sentences)),
      result.sentences.length,
      result.tokens,
      result.flags?.length ? JSON.stringify(result.flags) : null,
      now,
      n,
    );
    m.last_progress_ms = now;
    m.actual_tokens += result.tokens;
    this.saveMeta(m);
    await this.afterChunk(m);
  }

  /** Keeps a chunk's sentences (in result_parts when too long for its row); returns its row's `result`. */
  private keepResult(n: number, json: string): string | null {
    const parts = splitForRows(json);
    this.sql.exec("DELETE FROM result_parts WHERE n = ?", n);
    if (parts.length > 1) for (const [i, body] of parts.entries()) this.sql.exec("INSERT INTO result_parts (n, part, body) VALUES (?, ?, ?)", n, i, body);
    return parts.length > 1 ? null : json;
  }

  /** A chunk that exhausted its retries: the job will end `partial`, naming its pages. */
  async chunkFailed(n: number, reason: string): Promise<void> {
    const m = this.meta();
    if (!m || isFinal(m.status)) return;
    if (this.chunkState(n) !== "pending") return;
    const now = Date.now();
    this.sql.exec("UPDATE chunks SET state = 'failed', error = ?, updated_ms = ? WHERE n = ?", reason, now, n);
    m.last_progress_ms = now;
    this.saveMeta(m);
    this.emit("chunk_failed", undefined, { error_message: reason });
    await this.afterChunk(m);
  }

  /** The document itself cannot be processed (encrypted, no text, …). */
  async fail(code: string, message: string): Promise<void> {
    const m = this.meta();
    if (!m || isFinal(m.status)) return;
    await this.finish(m, "failed", { code, message });
  }

  /** Stops the job: once this returns, no chunk consumer will start work on it. */
  async cancel(): Promise<JobStatus> {
    const m = this.meta();
    if (!m) return "cancelled";
    if (isFinal(m.status)) return m.status;
    await this.finish(m, "cancelled");
    return "cancelled";
  }

  /**
   * Forgets the job (it is being deleted): its sockets are closed, its alarm and all its storage
   * deleted. Call cancel() first for a running job. Afterwards every call finds no job: a late
   * chunk or plan message is skipped (and acked), never recreating state.
   */
  async purge(): Promise<void> {
    await this.clear("the job was deleted");
  }

  /** Closes every socket, deletes the alarm and all the storage: the tracker is empty again. */
  private async clear(reason: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(1000, reason);
      } catch {
        // already closed
      }
      await this.forget(ws);
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.ready = false;
  }

  /** Finished chunks in order: the whole result once done, a partial one while running. */
  async partialResult(): Promise<StoredResult | null> {
    const m = this.meta();
    if (!m) return null;
    return this.merge(m);
  }

  async status(): Promise<{ status: JobStatus; total: number } | null> {
    const m = this.meta();
    return m ? { status: m.status, total: m.total } : null;
  }

  /** For the console: the event log (newest last) and every chunk's state. */
  async inspect(): Promise<{
    events: (ProgressEvent & { seq: number })[];
    chunks: { n: number; state: ChunkState; first_page: number; last_page: number; sentences: number; tokens: number; error: string | null; updated_at: string }[];
    retries: number;
  }> {
    if (!this.ready) return { events: [], chunks: [], retries: 0 };
    const events = this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM events ORDER BY seq DESC LIMIT 500")
      .toArray()
      .reverse()
      .map((e) => ({ seq: e.seq, ...(JSON.parse(e.body) as Omit<ProgressEvent, "seq">) }));
    const chunks = this.sql
      .exec<{ n: number; state: ChunkState; first_page: number; last_page: number; sentences: number; tokens: number; error: string | null; updated_ms: number }>(
        "SELECT n, state, first_page, last_page, sentences, tokens, error, updated_ms FROM chunks ORDER BY n",
      )
      .toArray()
      .map(({ updated_ms, ...c }) => ({ ...c, updated_at: new Date(updated_ms).toISOString() }));
    return { events, chunks, retries: this.meta()?.retries ?? 0 };
  }

  /** Pending chunk numbers (for the watchdog and tests). */
  pendingChunks(): number[] {
    if (!this.ready) return [];
    return this.sql
      .exec<{ n: number }>("SELECT n FROM chunks WHERE state = 'pending' ORDER BY n")
      .toArray()
      .map((r) => r.n);
  }

  // ---- progress ----------------------------------------------------------------

  // Progress figures take the chunk counts from their caller: one count per change.
  private percent(m: Meta, c: Counts): number {
    if (m.status === "completed" || m.status === "partial") return 100;
    if (m.status === "queued") return 0;
    if (m.status === "planning" || m.total === 0) return 2;
    return Math.min(99, 5 + Math.floor((94 * (c.done + c.failed)) / m.total));
  }

  private step(m: Meta, c: Counts): string {
    if (m.status !== "processing") return m.status === "planning" ? "reading the PDF" : m.status;
    return `normalizing chunk ${Math.min(m.total, c.done + c.failed + 1)} of ${m.total}`;
  }

  private eta(m: Meta, c: Counts): number | null {
    if (m.status !== "processing" || !m.started_ms) return null;
    const finished = c.done + c.failed;
    if (finished === 0) return null;
    const elapsed = (Date.now() - m.started_ms) / 1000;
    return Math.round((elapsed / finished) * (m.total - finished));
  }

  private emit(type: ProgressEvent["type"], step?: string, extra: Partial<ProgressEvent> = {}, c = this.counts()) {
    const m = this.requireMeta();
    const body: Omit<ProgressEvent, "seq"> = {
      type,
      job_id: m.job_id,
      status: m.status,
      progress_percent: this.percent(m, c),
      current_step: step ?? this.step(m, c),
      processed_chunks: c.done,
      failed_chunks: c.failed,
      total_chunks: m.total,
      eta_seconds: this.eta(m, c),
      at: nowIso(),
      ...extra,
    };
    const seq = this.sql
      .exec<{ seq: number }>("INSERT INTO events (body) VALUES (?) RETURNING seq", JSON.stringify(body))
      .one().seq;
    const msg = JSON.stringify({ seq, ...body });
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const expires = (ws.deserializeAttachment() as SocketAttachment | null)?.expires_ms;
      if (expires && expires <= now) {
        this.closeSocket(ws, "credential expired");
        continue;
      }
      try {
        ws.send(msg);
      } catch {
        // A socket that went away is cleaned up by the runtime.
      }
    }
  }

  private async afterChunk(m: Meta) {
    const c = this.counts();
    if (c.pending > 0) {
      await this.writeRow({
        processed_chunks: c.done,
        failed_chunks: c.failed,
        progress_percent: this.percent(m, c),
        current_step: this.step(m, c),
        actual_tokens: m.actual_tokens,
      });
      this.emit("progress", undefined, {}, c);
      await this.progressHook(m, this.percent(m, c));
      return;
    }
    if (c.done === 0) {
      await this.finish(m, "failed", {
        code: "all_chunks_failed",
        message: "No part of the book could be processed. Please try again later.",
      });
    } else {
      await this.finish(m, c.failed > 0 ? "partial" : "completed");
    }
  }

  // ---- the end of a job --------------------------------------------------------

  private failedPages(): number[] {
    const pages = new Set<number>();
    const rows = this.sql
      .exec<{ first_page: number; last_page: number }>("SELECT first_page, last_page FROM chunks WHERE state = 'failed'")
      .toArray();
    for (const r of rows) for (let p = r.first_page; p <= r.last_page; p++) pages.add(p);
    return [...pages].sort((a, b) => a - b);
  }

  /** The finished chunks' sentences in order; `analysis`, when given, gets each one's lemmas. */
  private merge(m: Meta, analysis?: AnalysisWriter): StoredResult {
    const sentences: StoredResult["sentences"] = [];
    const included: number[] = [];
    const flagged: JobResult["flagged"] = [];
    const rows = this.sql
      .exec<{ n: number; result: string | null; flags: string | null; first_page: number; last_page: number }>(
        "SELECT n, result, flags, first_page, last_page FROM chunks WHERE state = 'done' ORDER BY n",
      )
      .toArray();
    for (const r of rows) {
      included.push(r.n);
      if (r.flags) flagged.push({ chunk: r.n, first_page: r.first_page, last_page: r.last_page, flags: JSON.parse(r.flags) });
      const json = r.result ?? this.resultParts(r.n);
      for (const s of JSON.parse(json) as NormalizeResult["sentences"]) {
        sentences.push({
          index: sentences.length,
          text: s.text,
          chunk: r.n,
          page: s.page,
          paragraph: s.paragraph,
          ...(s.original !== undefined ? { original: s.original } : {}),
          // The chunk consumer's facts (a chunk stored before them has none: withFacts tags it).
          ...(s.word_count !== undefined && s.has_verb !== undefined ? { word_count: s.word_count, has_verb: s.has_verb } : {}),
        });
        analysis?.add(s.text, s.lemmas);
      }
    }
    const complete = m.status === "completed" || m.status === "partial";
    return {
      job_id: m.job_id,
      status: m.status,
      complete,
      total_chunks: m.total,
      chunks_included: included,
      failed_pages: this.failedPages(),
      flagged,
      rewritten_count: sentences.filter((s) => s.original !== undefined).length,
      sentences,
    };
  }

  /** A result kept in parts (see RESULT_PART_CHARS), joined again. */
  private resultParts(n: number): string {
    return this.sql
      .exec<{ body: string }>("SELECT body FROM result_parts WHERE n = ? ORDER BY part", n)
      .toArray()
      .map((p) => p.body)
      .join("");
  }

  private async finish(m: Meta, status: FinalStatus, error?: { code: string; message: string }) {
    const now = Date.now();
    m.status = status;
    m.ended_ms = now;
    m.error_code = error?.code ?? null;
    m.error_message = error?.message ?? null;
    this.saveMeta(m);
    const c = this.counts();
    let failedPages: number[];
    let sentenceCount: number | null = null;
    if (status === "completed" || status === "partial") {
      // Each sentence's word count and verb, once, for every reader of the stored result; its
      // lemmas beside it, for learning runs (none kept: a run tags the job, as for an older one).
      const writer = new AnalysisWriter();
      const merged = this.merge(m, writer);
      const result: JobResult = { ...merged, sentences: merged.sentences.map(withFacts) };
      failedPages = result.failed_pages;
      sentenceCount = result.sentences.length;
      const analysis = writer.done();
      await Promise.all([
        this.env.FILES.put(resultKey(m.job_id), JSON.stringify(result), { httpMetadata: { contentType: "application/json" } }),
        analysis
          ? this.env.FILES.put(analysisKey(m.job_id), JSON.stringify(analysis), { httpMetadata: { contentType: "application/json" } })
          : this.env.FILES.delete(analysisKey(m.job_id)),
      ]);
      // Done chunks' inputs are no longer needed; failed ones stay for a retry.
      const done = this.sql.exec<{ n: number }>("SELECT n FROM chunks WHERE state = 'done'").toArray();
      await deleteKeys(this.env.FILES, done.flatMap(({ n }) => [chunkKey(m.job_id, n), scanPagesKey(m.job_id, n)]));
    } else {
      failedPages = this.failedPages();
    }
    const charged = await this.settle(m);
    await this.writeRow({
      status,
      progress_percent: this.percent(m, c),
      current_step: status,
      ...(charged === null ? {} : { actual_millicredits: charged }),
      processed_chunks: c.done,
      failed_chunks: c.failed,
      failed_pages: JSON.stringify(failedPages),
      sentence_count: sentenceCount,
      actual_tokens: m.actual_tokens,
      error_code: m.error_code,
      error_message: m.error_message,
      completed_at: new Date(now).toISOString(),
      processing_time_seconds: Math.round((now - m.created_ms) / 100) / 10,
    });
    await this.hook(m, `job.${status}`, endEventId(m.job_id, status, m.retries));
    // Each final status has the event type of the same name.
    this.emit(status, status, {
      error_code: m.error_code,
      error_message: m.error_message,
    }, c);
    // The event log stays a while for reconnecting clients, then the tracker lets go (release()).
    await this.ctx.storage.setAlarm(now + eventLogMs(this.env));
  }

  /**
   * Pays for what was used, whatever the end: the model's tokens (Gemini), or the token
   * estimate of the chunks done (the local engine); the rest of the reservation goes back.
   */
  private async settle(m: Meta): Promise<number | null> {
    if (!m.billing) return null;
    // A free engine holds nothing and owes nothing: no call to the account at all.
    if (m.billing.rate <= 0) return m.charged ?? 0;
    // A retry pays only for the chunks it ran, under its own ledger key.
    const only = m.retries ? m.retry_chunks ?? [] : null;
    const doneTokens = this.sql
      .exec<{ n: number; est_tokens: number }>("SELECT n, est_tokens FROM chunks WHERE state = 'done'")
      .toArray()
      .filter((r) => !only || only.includes(r.n))
      .reduce((sum, r) => sum + r.est_tokens, 0);
    const tokens = m.billing.engine === "local" ? doneTokens : m.actual_tokens - (m.tokens_before_retry ?? 0);
    const { charged } = await creditAccount(this.env, m.billing.owner_id).settle(billingKey(m), millisFor(tokens, m.billing.rate));
    m.charged = (m.charged ?? 0) + charged;
    this.saveMeta(m);
    await addToCounter(this.env, "credits_charged_millis", charged).catch(() => undefined);
    return m.charged;
  }

  /**
   * Tries failed chunks again (all of them, or those named): the job goes back to
   * processing and ends whole if they now succeed. Only failed chunks are taken, so asking
   * twice changes nothing. Credits: the retry reserves its own estimate first.
   */
  async retryChunks(only?: number[]): Promise<{ ok: true; chunks: number[] } | { ok: false; code: string; message: string }> {
    const m = this.meta();
    if (!m) return { ok: false, code: "not_found", message: "No such job." };
    const retryable = m.status === "partial" || m.status === "processing" || (m.status === "failed" && m.error_code === "all_chunks_failed");
    if (!retryable) return { ok: false, code: "not_retryable", message: `A ${m.status} job has no failed pages to retry.` };
    const failed = this.sql
      .exec<{ n: number; est_tokens: number }>("SELECT n, est_tokens FROM chunks WHERE state = 'failed' ORDER BY n")
      .toArray()
      .filter((r) => !only || only.includes(r.n));
    if (failed.length === 0) return { ok: true, chunks: [] };
    const chunks = failed.map((r) => r.n);
    const running = m.status === "processing";
    if (!running) {
      const next = { ...m, retries: (m.retries ?? 0) + 1 };
      if (m.billing && m.billing.rate > 0) {
        const estimate = millisFor(failed.reduce((s, r) => s + r.est_tokens, 0), m.billing.rate);
        const r = await creditAccount(this.env, m.billing.owner_id).reserve(billingKey(next), estimate);
        if (!r.ok) {
          const available = r.reason === "insufficient" ? r.available : 0;
          return {
            ok: false,
            code: "insufficient_credits",
            message: `Not enough credits to retry: it needs about ${toCredits(estimate)} credits and ${toCredits(available)} are available.`,
          };
        }
      }
      m.retries = next.retries;
      m.retry_chunks = chunks;
      m.tokens_before_retry = m.actual_tokens;
      m.hooks_progress_sent = 0;
      m.status = "processing";
      m.error_code = null;
      m.error_message = null;
    } else {
      m.retry_chunks = [...new Set([...(m.retry_chunks ?? []), ...chunks])];
    }
    const now = Date.now();
    m.last_progress_ms = now;
    m.requeues = 0;
    for (const n of chunks) this.sql.exec("UPDATE chunks SET state = 'pending', error = NULL, updated_ms = ? WHERE n = ?", now, n);
    this.saveMeta(m);
    const c = this.counts();
    await this.writeRow({
      status: "processing",
      current_step: this.step(m, c),
      processed_chunks: c.done,
      failed_chunks: c.failed,
      progress_percent: this.percent(m, c),
      error_code: null,
      error_message: null,
      completed_at: null,
    });
    this.emit("status", `retrying ${chunks.length} failed part${chunks.length === 1 ? "" : "s"}`, {}, c);
    await this.ctx.storage.setAlarm(now + WATCHDOG_EVERY_MS);
    await enqueueChunks(this.env, m.job_id, chunks);
    return { ok: true, chunks };
  }

  /** Queues a webhook event with the job as it now stands; never fails the job's own work. */
  private async hook(m: Meta, type: WebhookEvent, id: string) {
    if (!m.hooks) return;
    try {
      const row = await db(this.env.DB).select().from(jobs).where(eq(jobs.id, m.job_id)).get();
      if (row) await enqueueEvent(this.env, m.hooks, id, type, toPublicJob(row));
    } catch (err) {
      console.error(JSON.stringify({ msg: "could not queue a webhook", job_id: m.job_id, type, err: String(err) }));
    }
  }

  /** job.progress each time the job passes another `progress_every` percent. */
  private async progressHook(m: Meta, percent: number) {
    const every = m.hooks?.progress_every;
    if (!every) return;
    const step = Math.floor(percent / every) * every;
    if (step <= 0 || step >= 100 || step <= (m.hooks_progress_sent ?? 0)) return;
    m.hooks_progress_sent = step;
    this.saveMeta(m);
    await this.hook(m, "job.progress", progressEventId(m.job_id, step, m.retries));
  }

  private async writeRow(values: Partial<typeof jobs.$inferInsert>) {
    const m = this.requireMeta();
    await db(this.env.DB)
      .update(jobs)
      .set({ ...values, updated_at: nowIso() })
      .where(eq(jobs.id, m.job_id));
  }

  // ---- watchdog ----------------------------------------------------------------

  /** Catches work that stopped moving: re-enqueues silent chunks, then gives up on them. */
  async alarm(): Promise<void> {
    const m = this.meta();
    if (!m) return;
    if (isFinal(m.status)) return this.release(m);
    const now = Date.now();
    if (m.status === "queued" || m.status === "planning") {
      if (now - m.last_progress_ms > PLANNING_TIMEOUT_MS) {
        await this.finish(m, "failed", {
          code: "planning_timeout",
          message: "Reading the PDF took too long and was stopped. Please try again.",
        });
        return;
      }
    } else if (now - m.last_progress_ms > STALL_MS) {
      const pending = this.pendingChunks();
      if (m.requeues < MAX_REQUEUES) {
        m.requeues += 1;
        m.last_progress_ms = now;
        this.saveMeta(m);
        await enqueueChunks(this.env, m.job_id, pending);
      } else {
        for (const n of pending) {
          this.sql.exec(
            "UPDATE chunks SET state = 'failed', error = 'no progress', updated_ms = ? WHERE n = ?",
            now,
            n,
          );
        }
        await this.afterChunk(m);
        if (isFinal(this.requireMeta().status)) return;
      }
    }
    await this.ctx.storage.setAlarm(now + WATCHDOG_EVERY_MS);
  }

  // ---- letting go once the job has ended (./release.ts) ----------------------------

  /**
   * The job ended and its event log has served reconnecting clients long enough: what a retry
   * needs goes to R2 beside the result, then every socket is closed and the storage deleted.
   */
  private async release(m: Meta): Promise<void> {
    const due = (m.ended_ms ?? 0) + eventLogMs(this.env);
    if (Date.now() < due) return this.ctx.storage.setAlarm(due);
    // Nothing else runs meanwhile: a retry arriving now waits, then finds no job and reloads.
    await this.ctx.blockConcurrencyWhile(async () => {
      const unstored = m.status === "completed" || m.status === "partial" || this.counts().done === 0 ? null : this.merge(m);
      await keepSnapshot(this.env, m.job_id, takeSnapshot(this.sql, m), unstored);
      await this.clear("the job has ended");
    });
  }

  /**
   * A tracker that let go is made again from what it left in R2 (for a retry); false when there is
   * none. Its alarm lets it go again unless the retry starts (which sets the watchdog's instead).
   */
  async reload(jobId: string): Promise<boolean> {
    if (this.meta()) return true;
    const saved = await readReleased<Meta>(this.env, jobId);
    if (!saved || saved.snapshot.meta.job_id !== jobId) return false;
    if (this.meta()) return true; // reloaded meanwhile
    this.createTables();
    restore(this.sql, saved, (n, json) => this.keepResult(n, json));
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_EVERY_MS);
    return true;
  }

  // ---- live progress over WebSocket (hibernation API) ----------------------------

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    // An ended job whose tracker let go: the events route answers from its D1 row instead.
    if (!this.ready && request.headers.has(JOB_ENDED_HEADER)) return new Response(null, { status: 410 });
    const after = Number(new URL(request.url).searchParams.get("after") ?? 0) || 0;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const socketId = request.headers.get(SOCKET_ID_HEADER);
    this.ctx.acceptWebSocket(server, socketId ? [socketId] : []);
    const expires = Date.parse(request.headers.get(SOCKET_EXPIRES_HEADER) ?? "");
    server.serializeAttachment({ expires_ms: Number.isFinite(expires) ? expires : null } satisfies SocketAttachment);
    const missed = this.ready
      ? this.sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", after).toArray()
      : [];
    for (const e of missed) server.send(JSON.stringify({ seq: e.seq, ...JSON.parse(e.body) }));
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "ping") ws.send("pong");
  }

  async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "closing");
    } catch {
      // already closed
    }
    await this.forget(ws);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.forget(ws);
  }

  /** Closes the sockets with these ids: their session ended or their key was revoked. */
  async closeSockets(ids: string[]): Promise<number> {
    let closed = 0;
    for (const id of ids) {
      for (const ws of this.ctx.getWebSockets(id)) {
        this.closeSocket(ws, "the session ended or the API key was revoked");
        closed++;
      }
    }
    return closed;
  }

  /**
   * Tells the client why, then closes. The notice matters: a close started here, outside a
   * WebSocket event, does not always reach the client as a close frame (seen with workerd
   * locally), while a message does; a client that reads it closes from its side.
   */
  private closeSocket(ws: WebSocket, reason: string) {
    try {
      ws.send(JSON.stringify({ type: "credential_ended", reason }));
      ws.close(CLOSE_CREDENTIAL_ENDED, reason);
    } catch {
      // already closed
    }
    this.ctx.waitUntil(this.forget(ws));
  }

  private async forget(ws: WebSocket) {
    for (const id of this.ctx.getTags(ws)) {
      await forgetSocket(this.env, id).catch(() => undefined);
    }
  }
}

/** A string in pieces of at most RESULT_PART_CHARS, never cutting a surrogate pair in two. */
export function splitForRows(text: string, size = RESULT_PART_CHARS): string[] {
  if (text.length <= size) return [text];
  const parts: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    // A high surrogate last: its pair goes whole into this part or the next.
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - 1 > start ? -1 : 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}
