import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { planAttemptKey, sourceKey } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { insertJob, jobRow, textPdf } from "./jobs";

// The plan step's time is bounded (issue 22, CPU): its own deadline (PLAN_TIME_MS, checked before
// each page) fails the job cpu_time_exceeded, and an attempt whose earlier one died without
// finishing (ended by the platform past cpu_ms, or out of memory) fails it instead of reading
// the same book again.

/** A queued job with its tracker, and its book in R2 unless `book` is null. */
async function job(book: Uint8Array | null) {
  const id = await insertJob("plan-limits");
  await tracker(env, id).register(id, DEFAULT_SETTINGS);
  if (book) await env.FILES.put(sourceKey(id), book);
  return id;
}

/** The plan consumer on the job's message, delivered for the `attempts`-th time; the chunk messages it sends. */
async function plan(id: string, attempts = 1, vars: Record<string, string> = {}) {
  const sent: unknown[] = [];
  const queue = {
    send: async (b: unknown) => void sent.push(b),
    sendBatch: async (ms: Array<{ body: unknown }>) => void sent.push(...ms.map((m) => m.body)),
  };
  const batch = createMessageBatch("fnt-plan", [{ id: `p-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body: { job_id: id } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<any>, { ...env, CHUNK_QUEUE: queue, ...vars } as unknown as Env, ctx);
  const outcome = await getQueueResult(batch, ctx);
  return { sent, outcome };
}

describe("the plan step's time", () => {
  it("past PLAN_TIME_MS the job fails cpu_time_exceeded, not retried", async () => {
    const id = await job(await textPdf(3));
    const { sent, outcome } = await plan(id, 1, { PLAN_TIME_MS: "1" });
    expect(sent).toEqual([]);
    expect(outcome.explicitAcks).toHaveLength(1);
    expect(outcome.retryMessages).toEqual([]);
    const row = (await jobRow(id))!;
    expect(row.status).toBe("failed");
    expect(row.error_code).toBe("cpu_time_exceeded");
    expect(row.error_message).toMatch(/took longer than the 0 s the server gives one job \(it was reading page 1\)/);
    expect(await env.FILES.head(planAttemptKey(id))).toBeNull();
  });

  it("an attempt that finds the earlier one died without finishing fails the job, without reading the book again", async () => {
    // No book in R2: reading it would fail file_missing. The earlier attempt ran past the plan's time.
    const id = await job(null);
    await env.FILES.put(planAttemptKey(id), JSON.stringify({ attempt: 1, started_at: new Date(Date.now() - 60_000).toISOString() }));
    const { sent, outcome } = await plan(id, 2);
    expect(sent).toEqual([]);
    expect(outcome.explicitAcks).toHaveLength(1);
    const row = (await jobRow(id))!;
    expect({ status: row.status, code: row.error_code }).toEqual({ status: "failed", code: "cpu_time_exceeded" });
    expect(row.error_message).toMatch(/stopped without finishing/);
    expect(await env.FILES.head(planAttemptKey(id))).toBeNull();
  });

  it("an attempt that died early (a restart, a deploy) is tried once more; a second early death fails the job", async () => {
    const id = await job(await textPdf(3));
    await env.FILES.put(planAttemptKey(id), JSON.stringify({ attempt: 1, started_at: new Date().toISOString() }));
    const { sent } = await plan(id, 2);
    expect(sent.length).toBeGreaterThan(0);
    expect((await jobRow(id))!.status).toBe("processing");

    const again = await job(null);
    await env.FILES.put(planAttemptKey(again), JSON.stringify({ attempt: 2, started_at: new Date().toISOString(), deaths: 1 }));
    await plan(again, 3);
    const row = (await jobRow(again))!;
    expect({ status: row.status, code: row.error_code }).toEqual({ status: "failed", code: "cpu_time_exceeded" });
  });

  it("a second attempt after one that ended (an error it caught and retried) reads the book, and leaves no marker", async () => {
    const id = await job(await textPdf(3));
    const { sent } = await plan(id, 2);
    expect(sent.length).toBeGreaterThan(0);
    expect((await jobRow(id))!.status).toBe("processing");
    expect(await env.FILES.head(planAttemptKey(id))).toBeNull();
  });
});
