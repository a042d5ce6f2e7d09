import { DurableObject } from "cloudflare:workers";
import { isFinal, type JobStatus, type ProgressEvent } from "../../../schema/api";
import type { JobSettings } from "../../../schema/settings";
import type { StoredResult } from "../../pipeline/facts";
import type { NormalizeResult } from "../../pipeline/types";
import type { Billing } from "../../credits/service";
import type { JobHooks } from "../../webhooks/service";
import { JOB_ENDED_HEADER } from "../release";
import { reserveJob } from "./billing";
import { Tracked } from "./context";
import { reload, release } from "./let-go";
import { admit, beat, chunkDone, chunkFailed, decide, pause, spend } from "./chunks";
import { finish, watch } from "./lifecycle";
import { retryChunks, type RetryResult } from "./retry";
import { planningRow, startRow } from "./row";
import { closedByClient, closeSocketsById, forget, openSocket } from "./sockets";
import { type InspectedChunk, TrackerStore } from "./store";
import type { ChunkDecision, StartPlan } from "./types";
import { WATCHDOG_EVERY_MS } from "./watchdog";

export { RESULT_PART_CHARS, splitForRows } from "./result";
export { CLOSE_CREDENTIAL_ENDED, SOCKET_EXPIRES_HEADER, SOCKET_ID_HEADER } from "./sockets";
export type { ChunkDecision, ChunkPlan, StartPlan } from "./types";
export { HEARTBEAT_MS, LEASE_MS, SILENT_MS } from "./watchdog";

const bookPages = (plan: StartPlan) => (plan.book_page_count === undefined ? {} : { book_page_count: plan.book_page_count });

/**
 * One per job: the single writer of a job's progress and final state. Chunk states,
 * results and the event log live in this object's SQLite storage (./store.ts), so a redelivered
 * queue message or a restart never double-counts a chunk. The class takes the calls; its parts
 * (this folder) do the work: ./lifecycle.ts (chunks ending, the job ending, the watchdog),
 * ./retry.ts, ./let-go.ts, ./billing.ts, ./hooks.ts, ./sockets.ts, and the pure ./progress.ts
 * and ./result.ts.
 */
export class JobTracker extends DurableObject<Env> {
  private t: Tracked;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.t = new Tracked(ctx, env, new TrackerStore(ctx.storage));
  }

  /** Creates the job's state on first contact; the job row in D1 already exists. */
  async register(jobId: string, settings: JobSettings, billing?: Billing, hooks?: JobHooks): Promise<void> {
    if (this.t.meta()) return;
    this.t.store.migrate();
    const now = Date.now();
    this.t.save({
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
    this.t.emit("status");
    await this.ctx.storage.setAlarm(now + WATCHDOG_EVERY_MS);
  }

  // ---- pipeline calls ----------------------------------------------------------

  /** The plan consumer starts; false when the job was cancelled or already ended. */
  async planning(): Promise<boolean> {
    const m = this.t.meta();
    if (!m || isFinal(m.status)) return false; // no job: deleted (its tracker purged)
    if (m.status === "processing") return true; // a redelivered plan message
    m.status = "planning";
    m.last_progress_ms = Date.now();
    this.t.save(m);
    const s = this.t.snap(m, this.t.store.counts());
    await this.t.row(planningRow(s));
    this.t.emit("status", s.current_step);
    return true;
  }

  /** The plan is cut into chunks; returns false when the job must not go on. Idempotent. */
  async start(plan: StartPlan): Promise<boolean> {
    const m = this.t.meta();
    if (!m || isFinal(m.status)) return false;
    if (m.status === "processing") return true;
    // Credits before any work: the estimate is held, or the job ends here, nothing charged.
    const held = await reserveJob(this.env, m, plan.estimated_tokens);
    if (!held.ok) {
      await this.t.row({
        estimated_tokens: plan.estimated_tokens,
        page_count: plan.page_count,
        ...bookPages(plan),
        estimated_millicredits: held.estimated,
      });
      await finish(this.t, this.t.requireMeta(), "failed", held);
      return false;
    }
    const now = Date.now();
    this.t.store.addChunks(plan.chunks, now);
    if (m.billing) m.held = held.estimated;
    m.status = "processing";
    m.total = plan.chunks.length;
    m.started_ms = now;
    m.last_progress_ms = now;
    this.t.save(m);
    const c = this.t.store.counts();
    const pricing = m.billing
      ? { estimated_millicredits: held.estimated, pricing_rate: m.billing.rate, pricing_version: m.billing.pricing_version }
      : {};
    const figures = { page_count: plan.page_count, ...bookPages(plan), estimated_tokens: plan.estimated_tokens, ...pricing };
    const s = this.t.snap(m, c);
    await this.t.row(startRow(s, now, figures));
    this.t.emit("progress", undefined, {}, c, s);
    return true;
  }

  /**
   * Asked by the chunk consumer before any work: a cancelled job or finished chunk is skipped.
   * With a `lease`, the chunk is taken for that worker, which then beats it (heartbeat()); a
   * chunk another worker holds and beats is skipped (a duplicate delivery, a watchdog resend).
   * Credits are held for it first (./funds.ts), or the job stops here (./chunks.ts).
   */
  async shouldProcess(n: number, lease?: string): Promise<ChunkDecision> {
    return decide(this.t, n, lease);
  }

  /** Tokens a failed attempt at chunk `n` used (a refusal, an unusable answer): counted and billed. */
  async spent(n: number, tokens: number): Promise<void> {
    spend(this.t, n, tokens);
  }

  /**
   * The worker holding chunk `n` is still on it (every HEARTBEAT_MS while its model call runs).
   * False when it should stop: the job ended or was cancelled, or the chunk is no longer its.
   */
  async heartbeat(n: number, lease: string): Promise<boolean> {
    return beat(this.t, n, lease);
  }

  /** The shared limiter let the holder's model call through: the clock of the job's ETA starts for it. */
  async admitted(n: number, lease: string): Promise<void> {
    admit(this.t, n, lease);
  }

  /** The worker lets chunk `n` wait in the queue for `delayMs` (a rate limit, a retry's backoff). */
  async pause(n: number, lease: string, delayMs: number): Promise<void> {
    pause(this.t, n, lease, delayMs);
  }

  /** Records a chunk's sentences once; a duplicate delivery changes nothing. */
  async chunkDone(n: number, result: NormalizeResult): Promise<void> {
    await chunkDone(this.t, n, result);
  }

  /** A chunk that exhausted its retries: the job will end `partial`, naming its pages. */
  async chunkFailed(n: number, reason: string): Promise<void> {
    await chunkFailed(this.t, n, reason);
  }

  /** The document itself cannot be processed (encrypted, no text, …). */
  async fail(code: string, message: string): Promise<void> {
    const m = this.t.meta();
    if (!m || isFinal(m.status)) return;
    await finish(this.t, m, "failed", { code, message });
  }

  /** Stops the job: once this returns, no chunk consumer will start work on it. */
  async cancel(): Promise<JobStatus> {
    const m = this.t.meta();
    if (!m) return "cancelled";
    if (isFinal(m.status)) return m.status;
    await finish(this.t, m, "cancelled");
    return "cancelled";
  }

  /**
   * Forgets the job (it is being deleted): its sockets are closed, its alarm and all its storage
   * deleted. Call cancel() first for a running job. Afterwards every call finds no job: a late
   * chunk or plan message is skipped (and acked), never recreating state.
   */
  async purge(): Promise<void> {
    await this.t.clear("the job was deleted");
  }

  /**
   * Tries failed chunks again (all of them, or those named): the job goes back to
   * processing and ends whole if they now succeed (./retry.ts).
   */
  async retryChunks(only?: number[]): Promise<RetryResult> {
    return retryChunks(this.t, only);
  }

  /** A tracker that let go is made again from what it left in R2 (for a retry); false when there is none. */
  async reload(jobId: string): Promise<boolean> {
    return reload(this.t, jobId);
  }

  // ---- reading -----------------------------------------------------------------

  /** Finished chunks in order: the whole result once done, a partial one while running. */
  async partialResult(): Promise<StoredResult | null> {
    const m = this.t.meta();
    return m ? this.t.merge(m) : null;
  }

  async status(): Promise<{ status: JobStatus; total: number } | null> {
    const m = this.t.meta();
    return m ? { status: m.status, total: m.total } : null;
  }

  /** For the console: the event log (newest last) and every chunk's state. */
  async inspect(): Promise<{ events: (ProgressEvent & { seq: number })[]; chunks: InspectedChunk[]; retries: number }> {
    if (!this.t.store.ready) return { events: [], chunks: [], retries: 0 };
    return { events: this.t.store.recentEvents(500), chunks: this.t.store.inspectChunks(), retries: this.t.meta()?.retries ?? 0 };
  }

  /** Pending chunk numbers (for the watchdog and tests). */
  pendingChunks(): number[] {
    return this.t.store.pendingChunks();
  }

  // ---- the alarm: the watchdog while the job runs, letting go once it ended ------

  async alarm(): Promise<void> {
    const m = this.t.meta();
    if (!m) return;
    if (isFinal(m.status)) return release(this.t, m);
    await watch(this.t, m);
  }

  // ---- live progress over WebSocket (hibernation API, ./sockets.ts) ----------------

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    // An ended job whose tracker let go: the events route answers from its D1 row instead.
    if (!this.t.store.ready && request.headers.has(JOB_ENDED_HEADER)) return new Response(null, { status: 410 });
    const after = Number(new URL(request.url).searchParams.get("after") ?? 0) || 0;
    return openSocket(this.ctx, request, this.t.store.eventsAfter(after));
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "ping") ws.send("pong");
  }

  async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    await closedByClient(this.ctx, this.env, ws, code);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await forget(this.ctx, this.env, ws);
  }

  /** Closes the sockets with these ids: their session ended or their key was revoked. */
  async closeSockets(ids: string[]): Promise<number> {
    return closeSocketsById(this.ctx, this.env, ids);
  }
}
