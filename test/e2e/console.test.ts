import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGemini, type FakeGemini } from "../fake-gemini/server";
import { CORPUS, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// Operating the real stack, with Gemini played by the fake server: a job made partial by
// the model's refusals is made whole by "retry failed" with exactly the sentences of a clean
// run; intake is paused and resumed; what happened is in the records, the audit log and the
// metrics.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));

let stack: Stack;
let fake: FakeGemini;
let reader: string;
let ops: string;

beforeAll(async () => {
  fake = await startFakeGemini();
  stack = await startStack({
    GEMINI_API_KEY: "console-test-key",
    GEMINI_BASE_URL: fake.url,
    RETRY_BASE_SECONDS: "1",
    // Small chunks: the extract is cut into enough of them to fail some and pass others.
    CHUNK_CHARS: "2500",
    GEMINI_CHUNK_CHARS: "2500",
    ADMIN_EMAILS: "ops@example.com",
  });
  reader = await signIn(stack.url, "reader-console@example.com");
  ops = await signIn(stack.url, "ops@example.com");
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const get = async (t: string, p: string) => (await (await fetch(`${stack.url}${p}`, { headers: bearer(t) })).json()) as any;
const post = (t: string, p: string, body: unknown) =>
  fetch(`${stack.url}${p}`, { method: "POST", headers: { ...bearer(t), "content-type": "application/json" }, body: JSON.stringify(body) });

async function finalJob(id: string) {
  return waitFor(
    async () => {
      const j = await get(reader, `/api/v1/jobs/${id}`);
      return ["completed", "partial", "failed", "cancelled"].includes(j.status) ? j : undefined;
    },
    180_000,
    `job ${id} to end`,
  );
}

const sentences = async (id: string) =>
  ((await get(reader, `/api/v1/jobs/${id}/result`)).sentences as any[]).map((s) => [s.text, s.page, s.chunk]);

describe("the operator console on the local stack", () => {
  let clean: unknown[];
  let partialId: string;

  it("a clean run gives the reference sentences", async () => {
    const res = await upload(stack.url, reader, EXTRAIT, "une-vie.pdf");
    const job = await finalJob(((await res.json()) as any).id);
    expect(job.status).toBe("completed");
    expect(job.total_chunks).toBeGreaterThan(3);
    clean = await sentences(job.id);
  });

  it("the model's refusals make a job partial; retry makes it whole with exactly the clean sentences", async () => {
    // Two answers, then SAFETY refusals for everything else: those chunks fail at once.
    fake.control({ sequence: ["ok", "ok"], always: "safety" });
    const res = await upload(stack.url, reader, EXTRAIT, "une-vie.pdf");
    partialId = ((await res.json()) as any).id;
    const job = await finalJob(partialId);
    expect(job.status).toBe("partial");
    expect(job.failed_chunks).toBe(job.total_chunks - 2);
    expect(job.failed_pages.length).toBeGreaterThan(0);

    const failures = await get(ops, "/api/v1/admin/failures?range=hour");
    const safety = failures.chunk_failures.find((g: any) => g.error_class === "safety");
    expect(safety.failed_for_good).toBe(job.total_chunks - 2);
    expect(safety.job_ids).toContain(partialId);
    const detail = await get(ops, `/api/v1/admin/jobs/${partialId}`);
    expect(detail.chunks.filter((c: any) => c.state === "failed").every((c: any) => c.last_error_class === "safety")).toBe(true);
    expect(
      detail.chunks.filter((c: any) => c.state === "done").every((c: any) => c.engine === "gemini" && c.model === "gemini-2.5-flash"),
    ).toBe(true);

    fake.control({ reset: true });
    const retry = await post(ops, `/api/v1/admin/jobs/${partialId}/retry`, {});
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as any).retried_chunks).toHaveLength(job.total_chunks - 2);
    const whole = await finalJob(partialId);
    expect(whole).toMatchObject({ status: "completed", failed_chunks: 0, failed_pages: [] });
    expect(await sentences(partialId)).toEqual(clean);
    const audit = await get(ops, "/api/v1/admin/audit");
    expect(audit.entries[0]).toMatchObject({ action: "job.retry", actor_email: "ops@example.com", target_id: partialId });
  });

  it("chunks whose Gemini stays unavailable go to the dead-letter queue; replaying them makes the job whole, twice changes nothing", async () => {
    // Two answers, then 503 for everything: those chunks use up their attempts (backoff 1, 2,
    // 4, 8 s) and the queue hands them to fnt-chunks-dlq, whose consumer fails them.
    fake.control({ sequence: ["ok", "ok"], always: "503" });
    const res = await upload(stack.url, reader, EXTRAIT, "une-vie.pdf");
    const id = ((await res.json()) as any).id;
    const job = await finalJob(id);
    expect(job.status).toBe("partial");
    const failed = job.total_chunks - 2;
    expect(job.failed_chunks).toBe(failed);

    const mine = async () => ((await get(ops, "/api/v1/admin/dead-letters")).dead_letters as any[]).filter((d) => d.job_id === id);
    const letters = await waitFor(async () => ((await mine()).length === failed ? mine() : undefined), 30_000, "the dead letters");
    expect(letters.every((d) => d.queue === "fnt-chunks-dlq" && d.error_class === "unavailable" && d.replayed_at === null)).toBe(true);
    expect(new Set(letters.map((d) => d.chunk)).size).toBe(failed);
    const detail = await get(ops, `/api/v1/admin/jobs/${id}`);
    const failedChunks = detail.chunks.filter((c: any) => c.state === "failed");
    expect(failedChunks.every((c: any) => c.attempts === 5 && c.last_error_class === "unavailable")).toBe(true);

    // Gemini is back: replay every dead letter of the class.
    fake.control({ reset: true });
    const replay = await post(ops, "/api/v1/admin/dead-letters/replay", { error_class: "unavailable" });
    expect(replay.status).toBe(200);
    const out = (await replay.json()) as any;
    expect(out.replayed).toBe(failed);
    expect(out.ids).toEqual(expect.arrayContaining(letters.map((d) => d.id)));
    const whole = await finalJob(id);
    expect(whole).toMatchObject({ status: "completed", failed_chunks: 0, failed_pages: [] });
    expect(await sentences(id)).toEqual(clean);

    // A second replay of the same letters changes nothing.
    const again = (await (await post(ops, "/api/v1/admin/dead-letters/replay", { id: letters[0].id })).json()) as any;
    expect(again).toMatchObject({ replayed: 0, unchanged: 1 });
    expect((await get(reader, `/api/v1/jobs/${id}`)).status).toBe("completed");
    expect((await mine()).every((d) => d.replayed_at !== null)).toBe(true);
  });

  it("intake paused: uploads answer 503 with Retry-After; resumed: they are taken again", async () => {
    expect((await (await post(ops, "/api/v1/admin/intake", { paused: true })).json()) as any).toEqual({ intake: "paused" });
    try {
      const refused = await upload(stack.url, reader, EXTRAIT, "une-vie.pdf");
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("300");
      expect(((await refused.json()) as any).error.code).toBe("intake_paused");
      expect((await get(ops, "/api/v1/admin/overview")).intake).toBe("paused");
    } finally {
      await post(ops, "/api/v1/admin/intake", { paused: false });
    }
    const taken = await upload(stack.url, reader, EXTRAIT, "une-vie.pdf");
    expect(taken.status).toBe(202);
    await finalJob(((await taken.json()) as any).id);
  });

  it("the health strip and the metrics show the work, measured or said unmeasured", async () => {
    const o = await get(ops, "/api/v1/admin/overview");
    const chunksQueue = o.queues.find((q: any) => q.name === "fnt-chunks");
    expect(chunksQueue.last_consumed_at).not.toBeNull();
    if (!chunksQueue.available) expect(chunksQueue.backlog).toBeNull();
    const metrics = await (await fetch(`${stack.url}/api/v1/admin/metrics`, { headers: bearer(ops) })).text();
    const safety = metrics.match(/^fnt_chunk_attempts_total\{engine="gemini",outcome="failed",error_class="safety"\} (\d+)$/m);
    expect(Number(safety?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^fnt_chunk_latency_seconds_count\{engine="gemini"\} \d+$/m);
    // A reader is no operator.
    expect((await fetch(`${stack.url}/api/v1/admin/metrics`, { headers: bearer(reader) })).status).toBe(403);
  });
});
