import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGemini, startFakeGemini } from "../fake-gemini/server";
import { CORPUS, finalJob, getJson, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// A crash mid-job: the local stack is killed (SIGKILL, its queue messages and model calls lost
// with it) while chunks are in flight, then started again on the same state. The trackers'
// watchdog sees the leases whose heartbeats stopped and the silent job, and sends the chunks
// again: the job completes whole, and how long after the restart is measured (docs/bench.md).

const EXTRAIT = path.join(CORPUS, "novels", "maupassant-une-vie-extrait.pdf");
/** Each model call takes this long, so that the kill finds calls in flight. */
const LATENCY_MS = 2_000;

let fake: FakeGemini;
let stack: Stack | undefined;
let state: string | undefined;

const env = (gemini: string) => ({
  GEMINI_API_KEY: "test-key",
  GEMINI_BASE_URL: gemini,
  RETRY_BASE_SECONDS: "1",
  // Small chunks: the extract makes enough of them to be caught mid-way.
  CHUNK_CHARS: "600",
});

beforeAll(async () => {
  fake = await startFakeGemini({ latencyMs: LATENCY_MS });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

describe("a stack killed mid-job", () => {
  it("completes the job whole once started again, its lost chunks sent again within a minute", async () => {
    stack = await startStack(env(fake.url));
    state = stack.state;
    const token = await signIn(stack.url, "restart@example.com");
    const res = await upload(stack.url, token, new Uint8Array(readFileSync(EXTRAIT)), "extrait.pdf");
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { id: string }).id;
    // Some chunks done, others in flight (the fake holds each call LATENCY_MS).
    let last: unknown;
    const before = await waitFor(
      async () => {
        const { body } = await getJson(`${stack!.url}/api/v1/jobs/${id}`, token);
        last = body;
        return body.processed_chunks >= 2 && body.processed_chunks < body.total_chunks - 2 ? body : undefined;
      },
      120_000,
      "the job to be under way",
    ).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}\n${stack?.output().slice(-3000)}`);
    });
    expect(before.status).toBe("processing");
    await stack.kill();
    const callsBefore = fake.stats().total;

    const restarted = Date.now();
    stack = await startStack(env(fake.url), { state });
    const up = Date.now();
    const done = await finalJob(stack, token, id, 150_000, "the job to end after the restart");
    const waited = Date.now() - up;
    // The first model call after the restart: when the lost chunks were sent again (to the second).
    const resent = fake.stats().windows.find((w) => w.start_ms >= restarted)?.start_ms;
    console.log(
      `restart: stack up again in ${((up - restarted) / 1000).toFixed(1)} s; chunks sent again ${resent ? ((resent - up) / 1000).toFixed(0) : "?"} s ` +
        `after it was up; job ${done.status} ${(waited / 1000).toFixed(1)} s after it was up ` +
        `(${before.processed_chunks}/${before.total_chunks} chunks were done at the kill; ${fake.stats().total - callsBefore} model calls after it)`,
    );
    expect(done.status).toBe("completed");
    expect(done.processed_chunks).toBe(done.total_chunks);
    expect(done.failed_pages).toEqual([]);
    const result = await getJson(`${stack.url}/api/v1/jobs/${id}/result`, token);
    expect(result.status).toBe(200);
    expect(result.body.sentences.length).toBe(done.sentence_count);
    // Every sentence once, in order: the chunks sent again were merged once each.
    expect(result.body.sentences.map((s: { index: number }) => s.index)).toEqual(result.body.sentences.map((_: unknown, i: number) => i));
  }, 420_000);
});
