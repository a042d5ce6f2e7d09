import { describe, expect, it } from "vitest";
import { eta, pacedEta, percent, progressEvent, snapshot, step } from "../../worker/jobs/tracker/progress";
import {
  type ChunkLife,
  LEASE_MS,
  MAX_LOST,
  MAX_REQUEUES,
  PLANNING_TIMEOUT_MS,
  SILENT_MS,
  watchdogStep,
} from "../../worker/jobs/tracker/watchdog";

const counts = (done: number, failed: number, pending: number) => ({ done, failed, pending });
const job = (
  status: "queued" | "planning" | "processing" | "completed" | "partial" | "failed" | "cancelled",
  total = 10,
  started_ms: number | null = 1_000,
) => ({
  job_id: "j1",
  status,
  total,
  started_ms,
});

describe("tracker progress: percent", () => {
  it("is 0 while queued, 2 while planning or before the chunks are known, 100 once ended with a result", () => {
    expect(percent(job("queued"), counts(0, 0, 0))).toBe(0);
    expect(percent(job("planning"), counts(0, 0, 0))).toBe(2);
    expect(percent(job("processing", 0), counts(0, 0, 0))).toBe(2);
    expect(percent(job("completed"), counts(3, 0, 0))).toBe(100);
    expect(percent(job("partial"), counts(2, 1, 0))).toBe(100);
  });

  it("goes from 5 towards 99 as chunks end, done and failed alike, never reaching 100 while processing", () => {
    expect(percent(job("processing", 4), counts(0, 0, 4))).toBe(5);
    expect(percent(job("processing", 4), counts(1, 0, 3))).toBe(5 + Math.floor(94 / 4));
    expect(percent(job("processing", 4), counts(1, 1, 2))).toBe(percent(job("processing", 4), counts(2, 0, 2)));
    expect(percent(job("processing", 4), counts(4, 0, 0))).toBe(99);
    const seen = [0, 1, 2, 3, 4, 5, 6, 7].map((d) => percent(job("processing", 7), counts(d, 0, 7 - d)));
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("keeps a failed or cancelled job's figure from its chunks", () => {
    expect(percent(job("failed", 4), counts(2, 0, 2))).toBe(percent(job("processing", 4), counts(2, 0, 2)));
    expect(percent(job("cancelled", 4), counts(0, 0, 4))).toBe(5);
  });
});

describe("tracker progress: step", () => {
  it("names the chunk being normalized, never past the last", () => {
    expect(step(job("processing", 3), counts(0, 0, 3))).toBe("normalizing chunk 1 of 3");
    expect(step(job("processing", 3), counts(1, 1, 1))).toBe("normalizing chunk 3 of 3");
    expect(step(job("processing", 3), counts(3, 0, 0))).toBe("normalizing chunk 3 of 3");
  });

  it("is the status otherwise, and says what planning does", () => {
    expect(step(job("planning"), counts(0, 0, 0))).toBe("reading the PDF");
    expect(step(job("queued"), counts(0, 0, 0))).toBe("queued");
    expect(step(job("partial"), counts(1, 1, 0))).toBe("partial");
  });
});

describe("tracker progress: ETA", () => {
  it("has none before a chunk ends, when not processing, or with no start", () => {
    expect(eta(job("processing"), counts(0, 0, 10), 60_000)).toBeNull();
    expect(eta(job("partial"), counts(5, 5, 0), 60_000)).toBeNull();
    expect(eta(job("processing", 10, null), counts(5, 0, 5), 60_000)).toBeNull();
    expect(eta(job("processing", 10, 0), counts(5, 0, 5), 60_000)).toBeNull(); // 0: never started
  });

  it("is the time per chunk so far times the chunks left", () => {
    // 4 of 10 ended in 20 s: 5 s each, 6 left.
    expect(eta(job("processing", 10, 1_000), counts(3, 1, 6), 21_000)).toBe(30);
    expect(eta(job("processing", 10, 1_000), counts(10, 0, 0), 21_000)).toBe(0);
    expect(eta(job("processing", 3, 1_000), counts(2, 0, 1), 2_000)).toBe(1); // 0.5 s rounds up
  });
});

describe("tracker progress: a paced (Gemini) job's ETA", () => {
  /**
   * A job whose calls the shared limiter admits as TPM refills its bucket (a sixth of a minute
   * full at the start), each call taking `callS`: when each chunk is admitted and ends.
   */
  function simulate(chunks: number, tokens: number, tpm: number, callS: number) {
    const rate = tpm / 60;
    let bucket = tpm / 6;
    let t = 0;
    const admitted: number[] = [];
    for (let i = 0; i < chunks; i++) {
      if (bucket < tokens) {
        t += (tokens - bucket) / rate;
        bucket = tokens;
      }
      bucket -= tokens;
      admitted.push(t);
    }
    return admitted.map((a) => ({ admitted: a, done: a + callS }));
  }

  /** The ETA the tracker gives when a quarter of the chunks have ended, and the time really left. */
  function atQuarter(chunks: number, tokens: number, tpm: number, callS: number) {
    const runs = simulate(chunks, tokens, tpm, callS);
    const now = [...runs.map((r) => r.done)].sort((a, b) => a - b)[Math.ceil(chunks / 4) - 1]!;
    const done = runs.filter((r) => r.done <= now);
    const waiting = runs.filter((r) => r.admitted > now);
    const said = pacedEta({
      waiting: waiting.length,
      waitingTokens: waiting.length * tokens,
      inFlightSeconds: runs.filter((r) => r.admitted <= now && r.done > now).map((r) => now - r.admitted),
      callSeconds: done.length ? callS : null,
      rpm: 0,
      tpm,
    })!;
    const actual = Math.max(...runs.map((r) => r.done)) - now;
    // The plain ETA, from the pace of completions since the job started.
    const plain = eta(
      { status: "processing", total: chunks, started_ms: 1 },
      { pending: chunks - done.length, done: done.length, failed: 0 },
      1 + now * 1000,
    );
    return { said, actual, plain: plain! };
  }

  it.each([
    ["instant answers", 0.2],
    ["8 s a call", 8],
    ["the published rate, ~15 s a call", 15],
  ])("the Verne novel at %s: within 20%% of the time left after a quarter of the chunks", (_label, callS) => {
    // 60 chunks of ~7,230 tokens (433,509 in all), GEMINI_TPM 1,000,000.
    const { said, actual } = atQuarter(60, 7_230, 1_000_000, callS);
    expect(Math.abs(said / actual - 1)).toBeLessThanOrEqual(0.2);
  });

  it("also for a 1,000-page book; the plain ETA from completions is far off for the novel", () => {
    const big = atQuarter(200, 7_230, 1_000_000, 8);
    expect(Math.abs(big.said / big.actual - 1)).toBeLessThanOrEqual(0.2);
    // The novel's first quarter ends together, as soon as it began (the quota's burst): its pace says nothing of the rest.
    const novel = atQuarter(60, 7_230, 1_000_000, 0.2);
    expect(novel.plain / novel.actual).toBeLessThan(0.5);
  });

  it("counts the calls in flight, and has nothing to say before a call has ended", () => {
    const base = { waiting: 0, waitingTokens: 0, rpm: 0, tpm: 1_000_000 };
    expect(pacedEta({ ...base, inFlightSeconds: [2, 6], callSeconds: 8 })).toBe(6);
    expect(pacedEta({ ...base, inFlightSeconds: [9], callSeconds: 8 })).toBe(0);
    expect(pacedEta({ ...base, inFlightSeconds: [1], callSeconds: null })).toBeNull();
    // Requests per minute bind when they are the tighter quota.
    expect(pacedEta({ ...base, waiting: 10, waitingTokens: 1_000, rpm: 60, inFlightSeconds: [], callSeconds: 2 })).toBe(12);
  });
});

describe("tracker progress: one snapshot for the row and the event", () => {
  it("carries every figure from the same counts", () => {
    const s = snapshot(job("processing", 4, 1_000), counts(2, 1, 1), 31_000);
    expect(s).toEqual({
      job_id: "j1",
      status: "processing",
      progress_percent: percent(job("processing", 4), counts(2, 1, 1)),
      current_step: "normalizing chunk 4 of 4",
      processed_chunks: 2,
      failed_chunks: 1,
      total_chunks: 4,
      eta_seconds: 10,
    });
  });

  it("makes the event from the snapshot, a given step and extra fields winning", () => {
    const s = snapshot(job("processing", 4, 1_000), counts(1, 0, 3), 5_000);
    const e = progressEvent("progress", s, "2026-01-01T00:00:00.000Z");
    expect(e).toMatchObject({
      type: "progress",
      job_id: "j1",
      current_step: s.current_step,
      eta_seconds: 12,
      at: "2026-01-01T00:00:00.000Z",
    });
    const f = progressEvent("chunk_failed", s, "t", "retrying 1 failed part", { error_message: "boom", status: "partial" });
    expect(f.current_step).toBe("retrying 1 failed part");
    expect(f.error_message).toBe("boom");
    expect(f.status).toBe("partial");
    expect(f.processed_chunks).toBe(1);
  });
});

describe("tracker watchdog", () => {
  const T = 10_000_000;
  const job = (status: "queued" | "planning" | "processing", silentMs: number, requeues = 0, requeued_ms?: number) => ({
    status,
    last_progress_ms: T - silentMs,
    requeues,
    requeued_ms,
  });
  const chunk = (n: number, over: Partial<ChunkLife> = {}): ChunkLife => ({
    n,
    lease: null,
    beat_ms: null,
    quiet_until_ms: null,
    lost: 0,
    ...over,
  });

  it("times out a plan that never ends, and only then", () => {
    expect(watchdogStep(job("queued", PLANNING_TIMEOUT_MS), [], T)).toEqual({ do: "wait" });
    expect(watchdogStep(job("planning", PLANNING_TIMEOUT_MS + 1), [], T)).toEqual({ do: "timeout" });
    expect(watchdogStep(job("queued", SILENT_MS * 10), [], T)).toEqual({ do: "wait" });
  });

  it("sends a chunk again as soon as its worker stops beating, while the rest of the job moves", () => {
    const beating = chunk(1, { lease: "a", beat_ms: T - 5_000 });
    const lost = chunk(2, { lease: "b", beat_ms: T - LEASE_MS - 1 });
    expect(watchdogStep(job("processing", 1_000), [beating, lost, chunk(3)], T)).toEqual({ do: "requeue", chunks: [2], silent: false });
    expect(watchdogStep(job("processing", 1_000), [beating, chunk(3)], T)).toEqual({ do: "wait" });
    // A beat just within the lease is not lost.
    expect(watchdogStep(job("processing", 1_000), [chunk(2, { lease: "b", beat_ms: T - LEASE_MS })], T)).toEqual({ do: "wait" });
  });

  it("fails a chunk that lost its worker MAX_LOST times instead of sending it round again", () => {
    const again = chunk(4, { lease: "c", beat_ms: T - LEASE_MS - 1, lost: MAX_LOST - 1 });
    expect(watchdogStep(job("processing", 1_000), [again, chunk(5)], T)).toEqual({ do: "fail", chunks: [4] });
  });

  it("a job silent for SILENT_MS has its chunks sent again, each time after twice as long, then gives up", () => {
    const pending = [chunk(0), chunk(1)];
    expect(watchdogStep(job("processing", SILENT_MS), pending, T)).toEqual({ do: "wait" });
    expect(watchdogStep(job("processing", SILENT_MS + 1), pending, T)).toEqual({ do: "requeue", chunks: [0, 1], silent: true });
    // After a requeue the silence counts from it, and the wait doubles.
    expect(watchdogStep(job("processing", 10 * SILENT_MS, 1, T - 2 * SILENT_MS), pending, T)).toEqual({ do: "wait" });
    expect(watchdogStep(job("processing", 10 * SILENT_MS, 1, T - 2 * SILENT_MS - 1), pending, T).do).toBe("requeue");
    const wait = SILENT_MS * 2 ** MAX_REQUEUES;
    expect(watchdogStep(job("processing", 100 * SILENT_MS, MAX_REQUEUES, T - wait), pending, T)).toEqual({ do: "wait" });
    expect(watchdogStep(job("processing", 100 * SILENT_MS, MAX_REQUEUES, T - wait - 1), pending, T)).toEqual({ do: "give_up" });
  });

  it("a chunk waiting for a rate limit or a beating one keeps a quiet job alive", () => {
    const waiting = chunk(0, { quiet_until_ms: T + 60_000 });
    expect(watchdogStep(job("processing", 10 * SILENT_MS), [waiting, chunk(1)], T)).toEqual({ do: "wait" });
    const beating = chunk(0, { lease: "a", beat_ms: T - 1_000 });
    expect(watchdogStep(job("processing", 10 * SILENT_MS), [beating, chunk(1)], T)).toEqual({ do: "wait" });
    // A wait that ended counts as life from its end.
    const waited = chunk(0, { quiet_until_ms: T - SILENT_MS + 1 });
    expect(watchdogStep(job("processing", 10 * SILENT_MS), [waited], T)).toEqual({ do: "wait" });
  });
});
