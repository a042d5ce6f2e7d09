import { ApiError } from "./api";
import { JobEvents } from "./job-events.svelte";
import { cancelJob, getJob, getResult } from "./jobs";
import { isFinalStatus, type Job, type JobResult, type ProgressEvent, type Sentence } from "./types";

// Finished sentences are re-read as chunks complete, but at most this often.
const RESULT_REFRESH_MS = 2500;
// A job waiting for its PDF (credits held) or for its parts has no live events yet: its row is
// read again this often, so the page shows parts arriving and follows the job once it starts.
const WAITING_POLL_MS = 3000;

const asApiError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, "error", String(err)));

/** Everything the job page shows: the job, its live progress and its (partial) result. */
export class JobView {
  job = $state<Job | null>(null);
  eta = $state<number | null>(null);
  result = $state.raw<(JobResult & { sentences: Sentence[] }) | null>(null);
  loadError = $state<ApiError | null>(null);
  actionError = $state<ApiError | null>(null);
  cancelling = $state(false);
  events = $state.raw<JobEvents | null>(null);

  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #lastRefresh = 0;
  #destroyed = false;
  #estimateAsked = false;

  constructor(readonly id: string) {
    void this.#start();
  }

  get final() {
    return this.job ? isFinalStatus(this.job.status) : false;
  }

  async #start() {
    try {
      this.job = await getJob(this.id);
    } catch (err) {
      this.loadError = asApiError(err);
      return;
    }
    if (this.#destroyed) return;
    this.#follow();
  }

  get waiting() {
    return this.job?.status === "reserved" || this.job?.status === "uploading";
  }

  #follow() {
    if (this.final) return void this.#loadResult();
    // Credits held ahead of an upload, or a book whose parts are still coming: no progress
    // or result until the file is whole; the row is read again until the job starts or ends.
    if (this.waiting) {
      this.#waitTimer = setTimeout(() => void this.#poll(), WAITING_POLL_MS);
      return;
    }
    this.events = new JobEvents(
      this.id,
      (e) => this.#onEvent(e),
      () => void this.#recheck(),
    );
    void this.#loadResult();
  }

  async #poll() {
    this.#waitTimer = undefined;
    if (this.#destroyed || !this.waiting) return;
    // Nothing to show to a hidden tab: read again when it is looked at.
    if (typeof document !== "undefined" && document.hidden) {
      this.#waitTimer = setTimeout(() => void this.#poll(), WAITING_POLL_MS);
      return;
    }
    try {
      const job = await getJob(this.id);
      if (this.#destroyed || !this.waiting) return;
      this.job = job;
    } catch (err) {
      const e = asApiError(err);
      // Offline: try again; anything else (a deleted job, a sign-in gone) is news.
      if (this.#destroyed) return;
      if (e.status !== 0) {
        this.actionError = e;
        return;
      }
    }
    this.#follow();
  }

  #onEvent(e: ProgressEvent) {
    if (!this.job || this.#destroyed) return;
    const before = this.job.processed_chunks;
    this.job = {
      ...this.job,
      status: e.status,
      progress_percent: e.progress_percent,
      current_step: e.current_step,
      processed_chunks: e.processed_chunks,
      failed_chunks: e.failed_chunks,
      total_chunks: e.total_chunks,
    };
    this.eta = e.eta_seconds;
    if (isFinalStatus(e.status)) void this.#finish();
    else if (e.processed_chunks > before) this.#refreshSoon();
    // The plan has priced the book: its estimate is on the job row, not in the events.
    if (e.status === "processing" && this.job.estimated_credits == null && !this.#estimateAsked) {
      this.#estimateAsked = true;
      void this.#refreshJob();
    }
  }

  /** Takes the row's credits (and anything else the events do not carry) without losing live progress. */
  async #refreshJob() {
    try {
      const fresh = await getJob(this.id);
      if (this.#destroyed || !this.job || this.final) return;
      this.job = {
        ...this.job,
        estimated_credits: fresh.estimated_credits,
        actual_credits: fresh.actual_credits,
        pricing_rate: fresh.pricing_rate,
        pricing_version: fresh.pricing_version,
        estimated_tokens: fresh.estimated_tokens,
        page_count: fresh.page_count ?? this.job.page_count,
      };
    } catch {
      // Only a nicety: the final row brings the credits anyway.
    }
  }

  /** A dropped socket may mean an expired sign-in (getJob then signs out) or a deleted job. */
  async #recheck() {
    try {
      const job = await getJob(this.id);
      if (!this.#destroyed && isFinalStatus(job.status) && !this.final) {
        this.job = job;
        await this.#finish();
      }
    } catch (err) {
      // Offline is already shown as "reconnecting"; anything else (a deleted job) is news.
      const e = asApiError(err);
      if (!this.#destroyed && e.status !== 0) this.actionError = e;
    }
  }

  #refreshSoon() {
    if (this.#refreshTimer) return;
    const wait = Math.max(0, this.#lastRefresh + RESULT_REFRESH_MS - Date.now());
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      if (!this.final) void this.#loadResult();
    }, wait);
  }

  async #loadResult() {
    this.#lastRefresh = Date.now();
    try {
      const r = await getResult(this.id);
      if (!this.#destroyed) this.result = r;
    } catch (err) {
      // A failed job has no result to show; its error message says why.
      if (!this.#destroyed && this.job?.status !== "failed") this.actionError = asApiError(err);
    }
  }

  /** The final row carries what events do not: failed pages, sentence count, error message. */
  async #finish() {
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#waitTimer);
    this.events?.stop();
    try {
      this.job = await getJob(this.id);
    } catch (err) {
      this.actionError = asApiError(err);
    }
    await this.#loadResult();
  }

  async cancel() {
    this.cancelling = true;
    this.actionError = null;
    try {
      const job = await cancelJob(this.id);
      if (isFinalStatus(job.status) && !this.final) {
        this.job = job;
        await this.#finish();
      }
    } catch (err) {
      this.actionError = asApiError(err);
    } finally {
      this.cancelling = false;
    }
  }

  replaceSentence(s: Sentence) {
    if (!this.result) return;
    const sentences = this.result.sentences.slice();
    const i = sentences.findIndex((x) => x.index === s.index);
    if (i >= 0) sentences[i] = s;
    this.result = { ...this.result, sentences };
  }

  destroy() {
    this.#destroyed = true;
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#waitTimer);
    this.events?.stop();
  }
}
