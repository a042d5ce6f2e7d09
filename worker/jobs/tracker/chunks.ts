/** What the chunk consumers ask of the tracker: take a chunk, beat it, let it wait, end it (./index.ts's calls). */
import { isFinal } from "../../../schema/api";
import type { NormalizeResult } from "../../pipeline/types";
import type { Tracked } from "./context";
import { fund } from "./funds";
import { afterChunk, outOfCredits } from "./lifecycle";
import type { ChunkDecision } from "./types";

/** Whether chunk `n` is to be worked on, taken for `lease` when given, its credits held first. */
export async function decide(t: Tracked, n: number, lease?: string): Promise<ChunkDecision> {
  const m = t.meta();
  if (!m) return { process: false, reason: "unknown job" };
  if (m.status === "cancelled") return { process: false, reason: "cancelled" };
  if (isFinal(m.status)) return { process: false, reason: `job ${m.status}` };
  const state = t.store.chunkState(n);
  if (!state) return { process: false, reason: "unknown chunk" };
  if (state !== "pending") return { process: false, reason: `chunk ${state}` };
  if (lease === undefined) return { process: true, settings: m.settings };
  const now = Date.now();
  const claim = t.store.claim(n, lease, now);
  if (claim === "busy") return { process: false, reason: "in flight" };
  if (claim === "taken") {
    const funds = await fund(t.env, m, t.store.pendingEstimates(now), t.save);
    if (!funds.ok) {
      await outOfCredits(t, t.requireMeta(), funds.message);
      return { process: false, reason: "insufficient credits" };
    }
  }
  return { process: true, settings: m.settings };
}

export function spend(t: Tracked, n: number, tokens: number): void {
  const m = t.meta();
  if (!m || tokens <= 0 || !t.store.chunkState(n)) return;
  t.store.addTokens(n, tokens);
  m.actual_tokens += tokens;
  t.save(m);
}

/** A running job's chunk store, or null once the job has ended. */
const running = (t: Tracked) => {
  const m = t.meta();
  return m && !isFinal(m.status) ? t.store : null;
};

export const beat = (t: Tracked, n: number, lease: string): boolean => running(t)?.beat(n, lease, Date.now()) ?? false;

export const admit = (t: Tracked, n: number, lease: string): void => running(t)?.admit(n, lease, Date.now());

export const pause = (t: Tracked, n: number, lease: string, delayMs: number): void => running(t)?.pause(n, lease, Date.now() + delayMs);

export async function chunkDone(t: Tracked, n: number, result: NormalizeResult): Promise<void> {
  const m = t.meta();
  if (!m || isFinal(m.status) || t.store.chunkState(n) !== "pending") return;
  const now = Date.now();
  t.store.markDone(n, result, now);
  m.last_progress_ms = now;
  m.requeues = 0; // the job moves: a later silence starts the watchdog's count again
  m.actual_tokens += result.tokens;
  t.save(m);
  await afterChunk(t, m);
}

export async function chunkFailed(t: Tracked, n: number, reason: string): Promise<void> {
  const m = t.meta();
  if (!m || isFinal(m.status) || t.store.chunkState(n) !== "pending") return;
  const now = Date.now();
  t.store.markFailed(n, reason, now);
  m.last_progress_ms = now;
  t.save(m);
  t.emit("chunk_failed", undefined, { error_message: reason });
  await afterChunk(t, m);
}
