import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { ChunkMessage } from "../../schema/api";
import worker from "../../worker/index";
import { chunkKey } from "../../worker/jobs/keys";
import { geminiLimiter, TokenBucket } from "../../worker/jobs/rate-limiter";
import { startedJob } from "./jobs";

const limiter = (name = crypto.randomUUID()) => env.GEMINI_LIMITER.get(env.GEMINI_LIMITER.idFromName(name));
const defaults = () => ({ rpm: Number(env.GEMINI_RPM), tpm: Number(env.GEMINI_TPM) });

describe("TokenBucket (simulated clock)", () => {
  it("holds the request rate over ten minutes of constant demand", () => {
    const b = new TokenBucket({ rpm: 60, tpm: 0 }, 0);
    let granted = 0;
    for (let t = 0; t < 10 * 60_000; t += 50) if (b.take(0, t).ok) granted++;
    // A sixth of a minute's worth as the first burst, then exactly the rate.
    expect(granted).toBeGreaterThanOrEqual(600);
    expect(granted).toBeLessThanOrEqual(600 + 10);
  });

  it("holds the token rate and never lets through more than a minute's worth per minute (+1/6)", () => {
    const b = new TokenBucket({ rpm: 0, tpm: 60_000 }, 0);
    const perMinute = new Map<number, number>();
    for (let t = 0; t < 5 * 60_000; t += 100) {
      if (b.take(700, t).ok) perMinute.set(Math.floor(t / 60_000), (perMinute.get(Math.floor(t / 60_000)) ?? 0) + 700);
    }
    for (const [, used] of perMinute) expect(used).toBeLessThanOrEqual(60_000 * (7 / 6));
    expect(perMinute.get(4)).toBeGreaterThanOrEqual(60_000 - 700);
  });

  it("says how long to wait, in whole seconds", () => {
    const b = new TokenBucket({ rpm: 6, tpm: 0 }, 0); // one request, then one per 10 s
    expect(b.take(0, 0)).toEqual({ ok: true });
    expect(b.take(0, 0)).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(b.take(0, 9_000)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(b.take(0, 10_000)).toEqual({ ok: true });
  });

  it("books a slot for a caller that may wait: callers waiting together go one after another at the rate", () => {
    const b = new TokenBucket({ rpm: 60, tpm: 6_000 }, 0); // 10 requests and 1,000 tokens at once, then 1 and 100 a second
    expect(b.take(500, 0, 30_000)).toEqual({ ok: true });
    expect(b.take(500, 0, 30_000)).toEqual({ ok: true });
    // The tokens are used up: each next caller is booked 1 s (100 tokens) further out, none asking again.
    expect(b.take(100, 0, 30_000)).toEqual({ ok: true, waitMs: 1_000 });
    expect(b.take(100, 0, 30_000)).toEqual({ ok: true, waitMs: 2_000 });
    expect(b.take(300, 0, 30_000)).toEqual({ ok: true, waitMs: 5_000 });
    // Too far ahead for this caller: refused, nothing booked; the next that may wait still gets 6 s.
    expect(b.take(100, 0, 5_000)).toEqual({ ok: false, retryAfterSeconds: 6 });
    expect(b.take(100, 0, 30_000)).toEqual({ ok: true, waitMs: 6_000 });
    // Over a simulated minute of callers that wait, no more than the rate goes through.
    const c = new TokenBucket({ rpm: 60, tpm: 0 }, 0);
    let last = 0;
    let n = 0;
    for (; n < 100; n++) {
      const r = c.take(0, 0, 60_000);
      if (!r.ok) break;
      last = r.waitMs ?? 0;
    }
    expect(n).toBe(70); // the burst of 10, then one a second for 60 s
    expect(last).toBe(60_000);
  });

  it("lets a request bigger than the bucket through once the bucket is full", () => {
    const b = new TokenBucket({ rpm: 0, tpm: 600 }, 0); // bucket of 100 tokens
    expect(b.take(5000, 0).ok).toBe(true);
    expect(b.take(5000, 1000)).toEqual({ ok: false, retryAfterSeconds: 9 });
  });
});

describe("RateLimiter Durable Object", () => {
  it("grants the burst, then refuses with a delay, then grants at the configured rate", async () => {
    const l = limiter();
    await l.setLimits({ rpm: 120, tpm: 0 }); // bucket of 20, 2 per second
    const first = await Promise.all(Array.from({ length: 25 }, () => l.acquire(10)));
    expect(first.filter((r) => r.ok)).toHaveLength(20);
    const refused = first.filter((r) => !r.ok) as { retryAfterSeconds: number }[];
    // Refused together, sent back spread out rather than all at once.
    expect(refused[0]!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.at(-1)!.retryAfterSeconds).toBeGreaterThan(refused[0]!.retryAfterSeconds);
    const start = Date.now();
    let granted = 0;
    while (Date.now() - start < 2_000) {
      if ((await l.acquire(10)).ok) granted++;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(granted).toBeGreaterThanOrEqual(3);
    expect(granted).toBeLessThanOrEqual(5);
  });

  it("counts tokens per minute", async () => {
    const l = limiter();
    await l.setLimits({ rpm: 0, tpm: 6000 }); // bucket of 1000 tokens, 100 per second
    expect(await l.acquire(400)).toEqual({ ok: true });
    expect(await l.acquire(400)).toEqual({ ok: true });
    expect(await l.acquire(400)).toEqual({ ok: false, retryAfterSeconds: 2 });
  });

  it("the shared instance reads GEMINI_RPM and GEMINI_TPM", async () => {
    expect(defaults().rpm).toBeGreaterThan(0);
    expect(await geminiLimiter(env).acquire(1000)).toEqual({ ok: true });
  });
});

describe("chunk consumer with the Gemini engine", () => {
  const geminiEnv = { ...env, GEMINI_API_KEY: "test-key", GEMINI_BASE_URL: "http://127.0.0.1:9" } as Env;

  afterEach(async () => {
    await geminiLimiter(env).setLimits(defaults());
  });

  async function run(body: ChunkMessage, attempts = 1) {
    const batch = createMessageBatch<ChunkMessage>("fnt-chunks", [{ id: "m0", timestamp: new Date(), attempts, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, geminiEnv, ctx);
    return getQueueResult(batch, ctx);
  }

  async function job() {
    const { id, t } = await startedJob([[1, 1]]);
    const chunk = { index: 0, first_paragraph: 0, paragraphs: [{ text: "Bonjour. Il pleut.", page: 1 }], first_page: 1, last_page: 1 };
    await env.FILES.put(chunkKey(id, 0), JSON.stringify(chunk));
    return { id, t };
  }

  it("an unreachable Gemini is retried by the queue with backoff", async () => {
    const { id, t } = await job();
    const res = await run({ job_id: id, chunk: 0 });
    expect(res.explicitAcks).toEqual([]);
    expect(res.retryMessages).toHaveLength(1);
    expect(await t.pendingChunks()).toEqual([0]);
  });

  it("a refusal of the rate limiter puts the chunk back without using an attempt", async () => {
    const { id, t } = await job();
    await geminiLimiter(env).setLimits({ rpm: 1, tpm: 0 });
    await geminiLimiter(env).acquire(1); // the only request of this minute
    // On its last attempt: a rate-limit wait must not fail it.
    const res = await run({ job_id: id, chunk: 0 }, 5);
    expect(res.explicitAcks).toEqual(["m0"]);
    expect(res.retryMessages).toEqual([]);
    expect(await t.pendingChunks()).toEqual([0]);
  });
});
