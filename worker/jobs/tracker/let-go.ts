/**
 * A finished job's tracker lets go of its storage once its event log has served reconnecting
 * clients long enough, and is made again from what it left in R2 for a retry (../release.ts).
 */
import { eventLogMs, keepSnapshot, readReleased, restore, takeSnapshot } from "../release";
import type { Tracked } from "./context";
import type { Meta } from "./types";
import { WATCHDOG_EVERY_MS } from "./watchdog";

/**
 * The job ended and its event log has served reconnecting clients long enough: what a retry
 * needs goes to R2 beside the result, then every socket is closed and the storage deleted.
 */
export async function release(t: Tracked, m: Meta): Promise<void> {
  const due = (m.ended_ms ?? 0) + eventLogMs(t.env);
  if (Date.now() < due) return t.ctx.storage.setAlarm(due);
  // Nothing else runs meanwhile: a retry arriving now waits, then finds no job and reloads.
  await t.ctx.blockConcurrencyWhile(async () => {
    const unstored = m.status === "completed" || m.status === "partial" || t.store.counts().done === 0 ? null : t.merge(m);
    await keepSnapshot(t.env, m.job_id, takeSnapshot(t.store.sql, m), unstored);
    await t.clear("the job has ended");
  });
}

/**
 * A tracker that let go is made again from what it left in R2 (for a retry); false when there is
 * none. Its alarm lets it go again unless the retry starts (which sets the watchdog's instead).
 */
export async function reload(t: Tracked, jobId: string): Promise<boolean> {
  if (t.meta()) return true;
  const saved = await readReleased<Meta>(t.env, jobId);
  if (!saved || saved.snapshot.meta.job_id !== jobId) return false;
  if (t.meta()) return true; // reloaded meanwhile
  t.store.migrate();
  restore(t.store.sql, saved, (n, json) => t.store.keepResult(n, json));
  await t.ctx.storage.setAlarm(Date.now() + WATCHDOG_EVERY_MS);
  return true;
}
