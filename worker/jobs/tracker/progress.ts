/**
 * A job's progress figures, pure: percent, step and ETA from its state and its chunk counts, and
 * the one snapshot both its D1 row (./row.ts) and its progress event are made from.
 */
import type { JobStatus, ProgressEvent } from "../../../schema/api";

export type ChunkState = "pending" | "done" | "failed";
/** A job's chunks by state. */
export type Counts = Record<ChunkState, number>;

/** What the figures read of a job's state (its Meta). */
export interface ProgressState {
  job_id: string;
  status: JobStatus;
  total: number;
  started_ms: number | null;
}

export function percent(m: Pick<ProgressState, "status" | "total">, c: Counts): number {
  if (m.status === "completed" || m.status === "partial") return 100;
  if (m.status === "queued") return 0;
  if (m.status === "planning" || m.total === 0) return 2;
  return Math.min(99, 5 + Math.floor((94 * (c.done + c.failed)) / m.total));
}

export function step(m: Pick<ProgressState, "status" | "total">, c: Counts): string {
  if (m.status !== "processing") return m.status === "planning" ? "reading the PDF" : m.status;
  return `normalizing chunk ${Math.min(m.total, c.done + c.failed + 1)} of ${m.total}`;
}

/** Seconds left at the pace so far; null before the first chunk ends or once not processing. */
export function eta(m: Omit<ProgressState, "job_id">, c: Counts, nowMs: number): number | null {
  if (m.status !== "processing" || !m.started_ms) return null;
  const finished = c.done + c.failed;
  if (finished === 0) return null;
  const elapsed = (nowMs - m.started_ms) / 1000;
  return Math.round((elapsed / finished) * (m.total - finished));
}

/**
 * What the ETA of a job whose model calls are paced by the shared limiter (Gemini) reads of its
 * chunks (./store.ts `pace`): the pending chunks whose call has not been admitted yet and their
 * token estimates, how long each admitted one has been in its call, how long recent calls took,
 * and the quota.
 */
export interface Pace {
  waiting: number;
  waitingTokens: number;
  inFlightSeconds: number[];
  /** Median seconds from a call's admission to its chunk's end, over recent chunks (null before any). */
  callSeconds: number | null;
  rpm: number;
  tpm: number;
}

/**
 * Seconds left for a paced job: the chunks still waiting are admitted as the quota refills
 * (their tokens ÷ TPM, their requests ÷ RPM), and the last of them then takes a call's time;
 * the calls in flight end a call's time after they began. Reading the pace off completions
 * instead (the plain ETA) is wrong by half here: the first quarter of the chunks ends at
 * once, together, after one call's time, whatever the rest will take.
 */
export function pacedEta(p: Pace): number | null {
  if (p.callSeconds === null) return null;
  const admitted = Math.max(p.tpm > 0 ? (p.waitingTokens * 60) / p.tpm : 0, p.rpm > 0 ? (p.waiting * 60) / p.rpm : 0);
  const last = p.waiting > 0 ? admitted + p.callSeconds : 0;
  const inFlight = Math.max(0, ...p.inFlightSeconds.map((s) => p.callSeconds! - s));
  return Math.round(Math.max(last, inFlight));
}

/** The job as it now stands: one count of its chunks, every figure from it (the event's own fields). */
export type Snapshot = Pick<
  ProgressEvent,
  "job_id" | "status" | "progress_percent" | "current_step" | "processed_chunks" | "failed_chunks" | "total_chunks" | "eta_seconds"
>;

export function snapshot(m: ProgressState, c: Counts, nowMs: number, pace?: Pace): Snapshot {
  return {
    job_id: m.job_id,
    status: m.status,
    progress_percent: percent(m, c),
    current_step: step(m, c),
    processed_chunks: c.done,
    failed_chunks: c.failed,
    total_chunks: m.total,
    eta_seconds: pace && m.status === "processing" && (pace.tpm > 0 || pace.rpm > 0) ? pacedEta(pace) : eta(m, c, nowMs),
  };
}

/** The event sent and logged for a snapshot; `currentStep` replaces the snapshot's step when given. */
export function progressEvent(
  type: ProgressEvent["type"],
  s: Snapshot,
  at: string,
  currentStep?: string,
  extra: Partial<ProgressEvent> = {},
): Omit<ProgressEvent, "seq"> {
  return {
    type,
    job_id: s.job_id,
    status: s.status,
    progress_percent: s.progress_percent,
    current_step: currentStep ?? s.current_step,
    processed_chunks: s.processed_chunks,
    failed_chunks: s.failed_chunks,
    total_chunks: s.total_chunks,
    eta_seconds: s.eta_seconds,
    at,
    ...extra,
  };
}
