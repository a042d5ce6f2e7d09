/** How a job moves on after a chunk ends or its watchdog fires, and how it ends. */
import { isFinal } from "../../../schema/api";
import { endEventId } from "../../webhooks/service";
import { enqueueChunks } from "../chunk-queue";
import { eventLogMs } from "../release";
import { settle } from "./billing";
import type { Tracked } from "./context";
import { hook, progressHook } from "./hooks";
import { storeResult } from "./output";
import { failedPages } from "./result";
import { chunkRow, finishRow } from "./row";
import type { FinalStatus, Meta } from "./types";
import { WATCHDOG_EVERY_MS, watchdogStep } from "./watchdog";

/** A chunk ended: progress while others are pending, else the job ends. */
export async function afterChunk(t: Tracked, m: Meta): Promise<void> {
  const c = t.store.counts();
  if (c.pending > 0) {
    const s = t.snap(m, c);
    // The event before any await: while the row is written, another chunk's call may run and
    // even end the job; sent now, the events keep the order of the counts, and none follows the final one.
    t.emit("progress", undefined, {}, c, s);
    await t.row(chunkRow(s, m.actual_tokens));
    await progressHook(t.env, m, s.progress_percent, t.save);
  } else if (c.done === 0) {
    await finish(t, m, "failed", { code: "all_chunks_failed", message: "No part of the book could be processed. Please try again later." });
  } else {
    await finish(t, m, c.failed > 0 ? "partial" : "completed");
  }
}

/** The account cannot pay for more: the chunks left fail, the job ends with what it has (partial, or failed when nothing was done). */
export async function outOfCredits(t: Tracked, m: Meta, message: string): Promise<void> {
  const now = Date.now();
  for (const n of t.store.pendingChunks()) t.store.markFailed(n, "insufficient credits", now);
  const c = t.store.counts();
  await finish(t, m, c.done > 0 ? "partial" : "failed", { code: "insufficient_credits", message });
}

/** Ends the job: its result stored, its credits settled, its row, webhook and final event written. */
export async function finish(t: Tracked, m: Meta, status: FinalStatus, error?: { code: string; message: string }): Promise<void> {
  const now = Date.now();
  m.status = status;
  m.ended_ms = now;
  m.error_code = error?.code ?? null;
  m.error_message = error?.message ?? null;
  t.save(m);
  const c = t.store.counts();
  let failed: number[];
  let sentenceCount: number | null = null;
  if (status === "completed" || status === "partial") {
    const result = await storeResult(t.env, m.job_id, t.store.doneChunks(), (writer) => t.merge(m, writer));
    failed = result.failed_pages;
    sentenceCount = result.sentences.length;
  } else {
    failed = failedPages(t.store.failedRanges());
  }
  const charged = await settle(t.env, m, t.store.estimates("done"), t.save);
  await t.row(
    finishRow(t.snap(m, c), {
      charged,
      failed_pages: failed,
      sentence_count: sentenceCount,
      actual_tokens: m.actual_tokens,
      error_code: m.error_code,
      error_message: m.error_message,
      ended_ms: now,
      created_ms: m.created_ms,
    }),
  );
  await hook(t.env, m, `job.${status}`, endEventId(m.job_id, status, m.retries));
  // Each final status has the event type of the same name.
  t.emit(status, status, { error_code: m.error_code, error_message: m.error_message }, c);
  // The event log stays a while for reconnecting clients, then the tracker lets go (./let-go.ts).
  await t.ctx.storage.setAlarm(now + eventLogMs(t.env));
}

/** The watchdog, for a job that has not ended: sends lost and silent chunks again, then gives up on them (./watchdog.ts). */
export async function watch(t: Tracked, m: Meta): Promise<void> {
  const now = Date.now();
  const step = watchdogStep(m, t.store.lives(), now);
  if (step.do === "timeout") {
    return finish(t, m, "failed", {
      code: "planning_timeout",
      message: "Reading the PDF took too long and was stopped. Please try again.",
    });
  }
  if (step.do === "requeue") {
    if (step.silent) {
      m.requeues += 1;
      m.requeued_ms = now;
      t.save(m);
    }
    t.store.resend(step.chunks);
    await enqueueChunks(t.env, m.job_id, step.chunks);
  } else if (step.do === "fail" || step.do === "give_up") {
    const why = step.do === "fail" ? "its worker stopped again and again" : "no progress";
    for (const n of step.do === "fail" ? step.chunks : t.store.pendingChunks()) t.store.markFailed(n, why, now);
    if (step.do === "fail") t.emit("chunk_failed", undefined, { error_message: why });
    await afterChunk(t, m);
    if (isFinal(t.requireMeta().status)) return;
  }
  await t.ctx.storage.setAlarm(now + WATCHDOG_EVERY_MS);
}
