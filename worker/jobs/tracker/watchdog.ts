/**
 * The tracker's watchdog, pure: what its alarm does for a job that has not ended.
 *
 * A chunk consumer takes a chunk with a lease (shouldProcess) and beats it every HEARTBEAT_MS
 * while it works, model call included; a wait (a rate limit, a retry's backoff) says until when
 * the chunk will be quiet. So the watchdog knows, chunk by chunk, whether someone is on it:
 * - a leased chunk whose beats stopped for LEASE_MS lost its worker (a crash, a restart, an
 *   evicted isolate): it is sent again at once; one that loses its worker MAX_LOST times
 *   (a chunk that kills what reads it) fails instead of going round for ever;
 * - a job with no sign of life at all (no beat, no chunk ended, no wait ahead) for SILENT_MS
 *   has lost its queue messages (a local queue does not outlive its process): its pending
 *   chunks are sent again, then again after twice as long, …, and after MAX_REQUEUES they fail.
 * Checked every WATCHDOG_EVERY_MS, so a stack that comes back after a crash has its chunks
 * sent again within LEASE_MS + WATCHDOG_EVERY_MS (45 s) of its first alarm.
 */
import type { JobStatus } from "../../../schema/api";

/** How often a consumer beats the chunk it works on. */
export const HEARTBEAT_MS = 10_000;
/** A lease not beaten for this long: its worker is gone (three beats missed). */
export const LEASE_MS = 30_000;
/** A job showing no life for this long (doubling after each requeue) has its pending chunks sent again. */
export const SILENT_MS = 30_000;
export const WATCHDOG_EVERY_MS = 15_000;
/** Times the watchdog sends a silent job's chunks again before it declares them failed. */
export const MAX_REQUEUES = 3;
/** Times a chunk may lose its worker before it is failed (a chunk that crashes what reads it). */
export const MAX_LOST = 3;
/** A job that never leaves `queued`/`planning` is failed after this long. */
export const PLANNING_TIMEOUT_MS = 15 * 60_000;

/** A pending chunk as the watchdog sees it. */
export type ChunkLife = {
  n: number;
  /** Who works on it (null: nobody, or waiting in the queue). */
  lease: string | null;
  beat_ms: number | null;
  /** It waits (a rate limit, a retry's backoff) until then. */
  quiet_until_ms: number | null;
  /** Times its worker was lost. */
  lost: number;
};

export interface Watched {
  status: JobStatus;
  last_progress_ms: number;
  requeues: number;
  /** When the watchdog last sent the job's silent chunks again. */
  requeued_ms?: number;
}

/**
 * `timeout`: the plan never finished, the job fails; `requeue`: these chunks are sent again
 * (`silent`: the whole job was, which counts towards MAX_REQUEUES); `fail`: these chunks lost their
 * worker too often; `give_up`: the job stayed silent through every requeue, its pending chunks
 * fail; `wait`: all is well.
 */
export type WatchStep =
  | { do: "wait" }
  | { do: "timeout" }
  | { do: "give_up" }
  | { do: "requeue"; chunks: number[]; silent: boolean }
  | { do: "fail"; chunks: number[] };

export function watchdogStep(m: Watched, pending: ChunkLife[], now: number): WatchStep {
  if (m.status === "queued" || m.status === "planning") {
    return now - m.last_progress_ms > PLANNING_TIMEOUT_MS ? { do: "timeout" } : { do: "wait" };
  }
  const beating = (c: ChunkLife) => c.lease !== null && now - (c.beat_ms ?? 0) <= LEASE_MS;
  const lost = pending.filter((c) => c.lease !== null && !beating(c));
  const doomed = lost.filter((c) => c.lost + 1 >= MAX_LOST).map((c) => c.n);
  if (doomed.length) return { do: "fail", chunks: doomed };
  const alive = pending.some((c) => beating(c) || (c.quiet_until_ms ?? 0) > now);
  let life = Math.max(m.last_progress_ms, m.requeued_ms ?? 0);
  for (const c of pending) life = Math.max(life, c.beat_ms ?? 0, c.quiet_until_ms ?? 0);
  if (!alive && now - life > SILENT_MS * 2 ** Math.min(m.requeues, MAX_REQUEUES)) {
    if (m.requeues >= MAX_REQUEUES) return { do: "give_up" };
    return { do: "requeue", chunks: pending.map((c) => c.n), silent: true };
  }
  if (lost.length) return { do: "requeue", chunks: lost.map((c) => c.n), silent: false };
  return { do: "wait" };
}
