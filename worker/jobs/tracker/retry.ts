/** Failed chunks tried again: the job goes back to processing, a retry's credits held first. */
import { enqueueChunks } from "../chunk-queue";
import { reserveRetry } from "./billing";
import type { Tracked } from "./context";
import { retryRow } from "./row";
import { WATCHDOG_EVERY_MS } from "./watchdog";

export type RetryResult = { ok: true; chunks: number[] } | { ok: false; code: string; message: string };

/**
 * Tries failed chunks again (all of them, or those named): the job goes back to
 * processing and ends whole if they now succeed. Only failed chunks are taken, so asking
 * twice changes nothing. Credits: the retry reserves its own estimate first.
 */
export async function retryChunks(t: Tracked, only?: number[]): Promise<RetryResult> {
  const m = t.meta();
  if (!m) return { ok: false, code: "not_found", message: "No such job." };
  const retryable = m.status === "partial" || m.status === "processing" || (m.status === "failed" && m.error_code === "all_chunks_failed");
  if (!retryable) return { ok: false, code: "not_retryable", message: `A ${m.status} job has no failed pages to retry.` };
  const failed = t.store.estimates("failed").filter((r) => !only || only.includes(r.n));
  if (failed.length === 0) return { ok: true, chunks: [] };
  const chunks = failed.map((r) => r.n);
  if (m.status !== "processing") {
    const retries = (m.retries ?? 0) + 1;
    const held = await reserveRetry(
      t.env,
      m,
      retries,
      failed.reduce((s, r) => s + r.est_tokens, 0),
    );
    if (!held.ok) return { ok: false, code: held.code, message: held.message };
    m.retries = retries;
    if (m.billing) m.held = held.estimated;
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
  t.store.markPending(chunks, now);
  t.save(m);
  const c = t.store.counts();
  await t.row(retryRow(t.snap(m, c)));
  t.emit("status", `retrying ${chunks.length} failed part${chunks.length === 1 ? "" : "s"}`, {}, c);
  await t.ctx.storage.setAlarm(now + WATCHDOG_EVERY_MS);
  await enqueueChunks(t.env, m.job_id, chunks);
  return { ok: true, chunks };
}
