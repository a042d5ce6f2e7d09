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

/** The job as it now stands: one count of its chunks, every figure from it (the event's own fields). */
export type Snapshot = Pick<
  ProgressEvent,
  "job_id" | "status" | "progress_percent" | "current_step" | "processed_chunks" | "failed_chunks" | "total_chunks" | "eta_seconds"
>;

export function snapshot(m: ProgressState, c: Counts, nowMs: number): Snapshot {
  return {
    job_id: m.job_id,
    status: m.status,
    progress_percent: percent(m, c),
    current_step: step(m, c),
    processed_chunks: c.done,
    failed_chunks: c.failed,
    total_chunks: m.total,
    eta_seconds: eta(m, c, nowMs),
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
