import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import worker from "../../worker/index";
import { jobPrefixes } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { sweep } from "../../worker/jobs/sweep";
import { insertJob as insertJobAs, jobRow } from "./jobs";

const insertJob = (status = "queued") => insertJobAs("dl", status);
const row = jobRow;

async function deliver(queue: string, body: unknown) {
  const batch = createMessageBatch(queue, [{ id: "d0", timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<any>, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("dead-letter queues", () => {
  it("a chunk message in the DLQ marks its chunk failed, so the job ends", async () => {
    const id = await insertJob();
    const t = tracker(env, id);
    await t.register(id, DEFAULT_SETTINGS);
    await t.planning();
    await t.start({
      page_count: 4,
      chunks: [
        { first_page: 1, last_page: 2 },
        { first_page: 3, last_page: 4 },
      ],
      estimated_tokens: 1,
    });
    await t.chunkDone(0, { sentences: [{ text: "Un.", page: 1, paragraph: 0 }], tokens: 0 });
    const res = await deliver("fnt-chunks-dlq", { job_id: id, chunk: 1 });
    expect(res.explicitAcks).toEqual(["d0"]);
    const r = await row(id);
    expect(r!.status).toBe("partial");
    expect(JSON.parse(r!.failed_pages)).toEqual([3, 4]);
  });

  it("a plan message in the DLQ fails the job with a message for the reader", async () => {
    const id = await insertJob();
    await tracker(env, id).register(id, DEFAULT_SETTINGS);
    await deliver("fnt-plan-dlq", { job_id: id });
    const r = await row(id);
    expect(r!.status).toBe("failed");
    expect(r!.error_code).toBe("processing_error");
  });
});

describe("queue dispatch", () => {
  it("a batch from a queue the Worker has no consumer for is an error, handed to no other handler", async () => {
    const id = await insertJob();
    const batch = createMessageBatch("fnt-chunks-typo", [{ id: "m0", timestamp: new Date(), attempts: 1, body: { job_id: id, chunk: 0 } }]);
    await expect(worker.queue!(batch, env, createExecutionContext())).rejects.toThrow('No consumer for queue "fnt-chunks-typo"');
    expect((await row(id))!.status).toBe("queued");
  });
});

describe("cron sweep", () => {
  it("ends jobs that stopped moving, even one whose tracker never started", async () => {
    const orphan = await insertJob("queued");
    const registered = await insertJob("queued");
    await tracker(env, registered).register(registered, DEFAULT_SETTINGS);
    const fresh = await insertJob("queued");
    const later = Date.now() + 2 * 60 * 60_000;
    await env.DB.prepare("UPDATE jobs SET updated_at = ? WHERE id = ?")
      .bind(new Date(later - 1000).toISOString(), fresh)
      .run();
    const out = await sweep(env, later);
    expect(out.stuck).toBeGreaterThanOrEqual(2);
    expect((await row(orphan))!.status).toBe("failed");
    expect((await row(orphan))!.error_code).toBe("stalled");
    expect((await row(registered))!.status).toBe("failed");
    expect((await row(fresh))!.status).toBe("queued");
  });

  it("expires the uploads of long-ended jobs, page images included, and keeps results", async () => {
    const id = await insertJob("completed");
    const now = Date.now();
    await env.DB.prepare("UPDATE jobs SET completed_at = ? WHERE id = ?")
      .bind(new Date(now - 8 * 24 * 60 * 60_000).toISOString(), id)
      .run();
    const keys = [`uploads/${id}/pages.json`, `uploads/${id}/pages/1.png`, `uploads/${id}/pages/2.jpg`, `jobs/${id}/result.json`];
    for (const k of keys) await env.FILES.put(k, "x");
    const out = await sweep(env, now);
    expect(out.expired).toBeGreaterThanOrEqual(1);
    expect((await env.FILES.list({ prefix: `uploads/${id}/` })).objects).toEqual([]);
    expect(await env.FILES.head(`jobs/${id}/result.json`)).not.toBeNull();
    // Marked once expired: later runs move on to other jobs instead of this one again.
    expect((await row(id))!.uploads_expired_at).not.toBeNull();
    await env.FILES.put(`uploads/${id}/late.txt`, "x");
    await sweep(env, now);
    expect(await env.FILES.head(`uploads/${id}/late.txt`)).not.toBeNull();
  });

  it("deletes whole the finished jobs past RETENTION_DAYS, oldest first; a bad RETENTION_DAYS deletes nothing and says why", async () => {
    const now = Date.now();
    const day = 24 * 60 * 60_000;
    const endedDaysAgo = async (days: number) => {
      const id = await insertJob("completed");
      await env.DB.prepare("UPDATE jobs SET completed_at = ? WHERE id = ?")
        .bind(new Date(now - days * day).toISOString(), id)
        .run();
      await env.DB.prepare("INSERT INTO sentence_edits (job_id, idx, text, updated_at) VALUES (?, 0, 'Mon texte.', ?)")
        .bind(id, new Date().toISOString())
        .run();
      for (const k of [`uploads/${id}/source.pdf`, `jobs/${id}/result.json`]) await env.FILES.put(k, "x");
      return id;
    };
    const old = await endedDaysAgo(31);
    const recent = await endedDaysAgo(29);
    const files = async (id: string) =>
      (await Promise.all(jobPrefixes(id).map((prefix) => env.FILES.list({ prefix })))).flatMap((l) => l.objects.map((o) => o.key));
    const edits = async (id: string) =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM sentence_edits WHERE job_id = ?").bind(id).first<{ n: number }>())!.n;

    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const bad of ["0", "thirty", "-3", "2.5", "99999"]) {
      expect((await sweep({ ...env, RETENTION_DAYS: bad }, now)).deleted).toBe(0);
      expect(JSON.parse(errors.mock.lastCall![0]).err).toContain(
        `RETENTION_DAYS must be a whole number of days from 1 to 3650 (how long a finished job is kept); it is ${JSON.stringify(bad)}`,
      );
    }
    errors.mockRestore();
    expect(await row(old)).not.toBeNull();
    expect(await files(old)).toHaveLength(2);

    const out = await sweep(env, now); // RETENTION_DAYS = 30 (wrangler.toml)
    expect(out.deleted).toBeGreaterThanOrEqual(1);
    expect(await row(old)).toBeNull();
    expect(await files(old)).toEqual([]);
    expect(await edits(old)).toBe(0);
    // Kept: its result and edits; its upload is past 7 days, so gone.
    expect((await row(recent))!.uploads_expired_at).not.toBeNull();
    expect(await files(recent)).toEqual([`jobs/${recent}/result.json`]);
    expect(await edits(recent)).toBe(1);
    // A retention shorter than a week takes the job, upload and all, once it is over.
    const short = await endedDaysAgo(4);
    await sweep({ ...env, RETENTION_DAYS: "5" }, now);
    expect(await files(short)).toHaveLength(2);
    await sweep({ ...env, RETENTION_DAYS: "3" }, now);
    expect(await row(short)).toBeNull();
    expect(await row(recent)).toBeNull();
  });
});
