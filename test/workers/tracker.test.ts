import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChunkMessage, JobResult } from "../../schema/api";
import worker from "../../worker/index";
import { chunkKey, resultKey } from "../../worker/jobs/keys";
import { type JobTracker, LEASE_MS } from "../../worker/jobs/tracker";
import type { Chunk } from "../../worker/pipeline/types";
import { jobRow, result, startedJob } from "./jobs";

// The JobTracker and the chunk consumer, driven directly.
const newJob = (chunks: number[][]) => startedJob(chunks as [number, number][]);
const row = jobRow;

describe("JobTracker", () => {
  it("merges chunks in order, however they finish, and writes the final state", async () => {
    const { id, t } = await newJob([
      [1, 2],
      [2, 4],
      [5, 6],
    ]);
    expect((await row(id))!.status).toBe("processing");
    await t.chunkDone(2, result("Troisième."));
    await t.chunkDone(0, result("Premier.", "Encore."));
    const mid = await t.partialResult();
    expect(mid!.complete).toBe(false);
    expect(mid!.sentences.map((s) => s.text)).toEqual(["Premier.", "Encore.", "Troisième."]);
    expect((await row(id))!.processed_chunks).toBe(2);
    await t.chunkDone(1, result("Deuxième."));
    const r = await row(id);
    expect(r!.status).toBe("completed");
    expect(r!.progress_percent).toBe(100);
    expect(r!.sentence_count).toBe(4);
    const stored = (await (await env.FILES.get(resultKey(id)))!.json()) as JobResult;
    expect(stored.sentences.map((s) => [s.index, s.text, s.chunk])).toEqual([
      [0, "Premier.", 0],
      [1, "Encore.", 0],
      [2, "Deuxième.", 1],
      [3, "Troisième.", 2],
    ]);
  });

  it("counts a redelivered chunk once", async () => {
    const { id, t } = await newJob([
      [1, 1],
      [2, 2],
    ]);
    const counted = { ...result("Une fois."), tokens: 7 };
    await t.chunkDone(0, counted);
    await t.chunkDone(0, { ...counted, sentences: [...counted.sentences, ...counted.sentences] });
    expect((await row(id))!.processed_chunks).toBe(1);
    expect((await row(id))!.actual_tokens).toBe(7);
    expect(await t.shouldProcess(0)).toEqual({ process: false, reason: "chunk done" });
    await t.chunkDone(1, result("Fin."));
    const r = await t.partialResult();
    expect(r!.sentences.map((s) => s.text)).toEqual(["Une fois.", "Fin."]);
  });

  it("ends partial and names the pages of a failed chunk", async () => {
    const { id, t } = await newJob([
      [1, 3],
      [3, 5],
      [6, 7],
    ]);
    await t.chunkDone(0, result("A."));
    await t.chunkFailed(1, "boom");
    await t.chunkDone(2, result("C."));
    const r = await row(id);
    expect(r!.status).toBe("partial");
    expect(JSON.parse(r!.failed_pages)).toEqual([3, 4, 5]);
    expect(r!.failed_chunks).toBe(1);
  });

  it("names the pages of chunks whose output is in doubt", async () => {
    const { t } = await newJob([
      [1, 2],
      [3, 5],
    ]);
    await t.chunkDone(0, result("Sûr."));
    await t.chunkDone(1, { ...result("Court."), flags: ["dropped_text"] });
    const r = await t.partialResult();
    expect(r!.status).toBe("completed");
    expect(r!.flagged).toEqual([{ chunk: 1, first_page: 3, last_page: 5, flags: ["dropped_text"] }]);
  });

  it("fails the job when every chunk fails", async () => {
    const { id, t } = await newJob([[1, 1]]);
    await t.chunkFailed(0, "boom");
    const r = await row(id);
    expect(r!.status).toBe("failed");
    expect(r!.error_code).toBe("all_chunks_failed");
  });

  it("after cancel, no chunk is processed or recorded", async () => {
    const { id, t } = await newJob([
      [1, 1],
      [2, 2],
    ]);
    await t.chunkDone(0, result("Avant."));
    expect(await t.cancel()).toBe("cancelled");
    expect(await t.shouldProcess(1)).toEqual({ process: false, reason: "cancelled" });
    await t.chunkDone(1, result("Après."));
    const r = await row(id);
    expect(r!.status).toBe("cancelled");
    expect(r!.processed_chunks).toBe(1);
    expect(await t.planning()).toBe(false);
  });
});

describe("JobTracker watchdog", () => {
  /** Moves the job's last sign of progress into the past, as if its chunks went silent. */
  async function silence(t: DurableObjectStub<JobTracker>, requeues?: number) {
    await runInDurableObject(t, async (_obj, state) => {
      const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'job'").one();
      const m = JSON.parse(row.value);
      m.last_progress_ms = Date.now() - 30 * 60_000;
      delete m.requeued_ms;
      if (requeues !== undefined) m.requeues = requeues;
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'job'", JSON.stringify(m));
    });
  }

  it("re-enqueues silent chunks, then fails them so the job ends", async () => {
    const { id, t } = await newJob([
      [1, 1],
      [2, 3],
    ]);
    await t.chunkDone(0, result("Vivant."));
    await silence(t);
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect((await row(id))!.status).toBe("processing"); // first it tries again
    await silence(t, 99);
    expect(await runDurableObjectAlarm(t)).toBe(true);
    const r = await row(id);
    expect(r!.status).toBe("partial");
    expect(JSON.parse(r!.failed_pages)).toEqual([2, 3]);
    // Ended: the watchdog is done; the alarm left lets the tracker go later (release.test.ts), and run early it only waits.
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect((await t.status())!.status).toBe("partial");
  });

  /** Chunk n's lease, last beat, wait and lost count, as the tracker keeps them. */
  const life = (t: DurableObjectStub<JobTracker>, n: number) =>
    runInDurableObject(t, (_obj, state) =>
      state.storage.sql
        .exec<{ lease: string | null; beat_ms: number | null; quiet_until_ms: number | null; lost: number }>(
          "SELECT lease, beat_ms, quiet_until_ms, lost FROM chunks WHERE n = ?",
          n,
        )
        .one(),
    );

  it("a chunk a worker holds and beats is skipped by a second delivery, and sent again once the beats stop", async () => {
    const { t } = await newJob([
      [1, 1],
      [2, 2],
    ]);
    expect((await t.shouldProcess(0, "a")).process).toBe(true);
    expect(await t.shouldProcess(0, "b")).toEqual({ process: false, reason: "in flight" });
    expect((await t.shouldProcess(0, "a")).process).toBe(true); // the holder's own next model call
    expect(await t.heartbeat(0, "a")).toBe(true);
    expect(await t.heartbeat(0, "b")).toBe(false);
    expect((await t.shouldProcess(1, "c")).process).toBe(true);
    // Chunk 0's worker dies: its beats stop. Chunk 1's worker still beats.
    await runInDurableObject(t, (_obj, state) => {
      state.storage.sql.exec("UPDATE chunks SET beat_ms = ? WHERE n = 0", Date.now() - LEASE_MS - 1000);
    });
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect(await life(t, 0)).toMatchObject({ lease: null, lost: 1 });
    expect(await life(t, 1)).toMatchObject({ lease: "c", lost: 0 });
    // A new delivery takes it; the dead worker's late beat is refused.
    expect((await t.shouldProcess(0, "d")).process).toBe(true);
    expect(await t.heartbeat(0, "a")).toBe(false);
  });

  it("a chunk put back to wait for a rate limit is not taken for lost", async () => {
    const { t } = await newJob([[1, 1]]);
    expect((await t.shouldProcess(0, "a")).process).toBe(true);
    await t.pause(0, "a", 600_000);
    const waiting = await life(t, 0);
    expect(waiting.lease).toBeNull();
    expect(waiting.quiet_until_ms).toBeGreaterThan(Date.now() + 500_000);
    await silence(t);
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect(await life(t, 0)).toMatchObject({ lost: 0, quiet_until_ms: waiting.quiet_until_ms });
    // Cancelled: the worker's next beat tells it to stop.
    expect((await t.shouldProcess(0, "b")).process).toBe(true);
    await t.cancel();
    expect(await t.heartbeat(0, "b")).toBe(false);
  });

  it("a running job keeps its alarm while chunks move", async () => {
    const { t } = await newJob([[1, 1]]);
    expect(await runDurableObjectAlarm(t)).toBe(true);
    expect((await t.status())!.status).toBe("processing");
    expect(await runDurableObjectAlarm(t)).toBe(true);
  });
});

describe("chunk consumer", () => {
  const chunk = (index: number, text: string): Chunk => ({
    index,
    first_paragraph: index,
    paragraphs: [{ text, page: index + 1 }],
    first_page: index + 1,
    last_page: index + 1,
  });

  async function run(messages: { body: ChunkMessage; attempts: number }[]) {
    const batch = createMessageBatch<ChunkMessage>(
      "fnt-chunks",
      messages.map((m, i) => ({ id: `m${i}`, timestamp: new Date(), ...m })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, env, ctx);
    return getQueueResult(batch, ctx);
  }

  it("normalizes a batch, acks each message, and a duplicate changes nothing", async () => {
    const { id, t } = await newJob([
      [1, 1],
      [2, 2],
    ]);
    await env.FILES.put(chunkKey(id, 0), JSON.stringify(chunk(0, "M. Dupont arriva. Il était tard.")));
    await env.FILES.put(chunkKey(id, 1), JSON.stringify(chunk(1, "« Tu viens ? » demanda-t-il.")));
    const res = await run([
      { body: { job_id: id, chunk: 0 }, attempts: 1 },
      { body: { job_id: id, chunk: 1 }, attempts: 1 },
      { body: { job_id: id, chunk: 0 }, attempts: 1 },
    ]);
    expect(res.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(res.retryMessages).toEqual([]);
    const r = await t.partialResult();
    expect(r!.status).toBe("completed");
    expect(r!.sentences.map((s) => [s.text, s.page])).toEqual([
      ["M. Dupont arriva.", 1],
      ["Il était tard.", 1],
      ["« Tu viens ? » demanda-t-il.", 2],
    ]);
  });

  it("retries a failing chunk with backoff, then dead-letters it: the DLQ consumer marks it failed and the job partial", async () => {
    const { id } = await newJob([
      [1, 1],
      [2, 4],
    ]);
    await env.FILES.put(chunkKey(id, 0), JSON.stringify(chunk(0, "Bonjour.")));
    await env.FILES.put(chunkKey(id, 1), "{ not json");
    const first = await run([
      { body: { job_id: id, chunk: 0 }, attempts: 1 },
      { body: { job_id: id, chunk: 1 }, attempts: 1 },
    ]);
    expect(first.explicitAcks).toEqual(["m0"]);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    expect((await row(id))!.status).toBe("processing");
    const last = await run([{ body: { job_id: id, chunk: 1 }, attempts: 5 }]);
    // The last attempt is retried once more, which the queue turns into a dead letter.
    expect(last.explicitAcks).toEqual([]);
    expect(last.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    expect((await row(id))!.status).toBe("processing");
    const dlq = createMessageBatch("fnt-chunks-dlq", [{ id: "d0", timestamp: new Date(), attempts: 1, body: { job_id: id, chunk: 1 } }]);
    const ctx = createExecutionContext();
    await worker.queue(dlq as MessageBatch<any>, env, ctx);
    expect((await getQueueResult(dlq, ctx)).explicitAcks).toEqual(["d0"]);
    const r = await row(id);
    expect(r!.status).toBe("partial");
    expect(JSON.parse(r!.failed_pages)).toEqual([2, 3, 4]);
  });

  it("a message for a cancelled job is acked without work", async () => {
    const { id, t } = await newJob([[1, 1]]);
    await env.FILES.put(chunkKey(id, 0), JSON.stringify(chunk(0, "Rien.")));
    await t.cancel();
    const res = await run([{ body: { job_id: id, chunk: 0 }, attempts: 1 }]);
    expect(res.explicitAcks).toEqual(["m0"]);
    expect((await t.partialResult())!.sentences).toEqual([]);
  });
});
