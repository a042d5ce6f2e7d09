/** The tracker's watchdog, pure: what its alarm does for a job that has not ended. */
import type { JobStatus } from "../../../schema/api";

/** How long a running job may show no progress before the watchdog steps in. */
export const STALL_MS = 3 * 60_000;
export const WATCHDOG_EVERY_MS = 60_000;
/** Times the watchdog re-enqueues silent chunks before it declares them failed. */
export const MAX_REQUEUES = 2;
/** A job that never leaves `queued`/`planning` is failed after this long. */
export const PLANNING_TIMEOUT_MS = 15 * 60_000;

/**
 * `timeout`: the plan never finished, the job fails; `requeue`: its pending chunks went silent and
 * are sent again; `give_up`: they went silent too often and fail; `wait`: all is well.
 */
export function watchdogStep(
  m: { status: JobStatus; last_progress_ms: number; requeues: number },
  now: number,
): "timeout" | "requeue" | "give_up" | "wait" {
  if (m.status === "queued" || m.status === "planning") return now - m.last_progress_ms > PLANNING_TIMEOUT_MS ? "timeout" : "wait";
  if (now - m.last_progress_ms <= STALL_MS) return "wait";
  return m.requeues < MAX_REQUEUES ? "requeue" : "give_up";
}
