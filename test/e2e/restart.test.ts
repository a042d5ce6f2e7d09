import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGemini, startFakeGemini } from "../fake-gemini/server";
import { type Crash, crashMidJob } from "./crash";
import { CORPUS, getJson } from "./stack";

// A crash mid-job: the local stack is killed (SIGKILL, its queue messages and model calls lost
// with it) while chunks are in flight, then started again on the same state. The trackers'
// watchdog sees the leases whose heartbeats stopped and the silent job, and sends the chunks
// again: the job completes whole. `npm run bench:restart` measures the wait on the novel
// (docs/bench.md); the old fixed 3-minute stall would miss this test's deadline.

const EXTRAIT = path.join(CORPUS, "novels", "maupassant-une-vie-extrait.pdf");
/** Each model call takes this long, so that the kill finds calls in flight. */
const LATENCY_MS = 2_000;

let fake: FakeGemini;
let crash: Crash | undefined;

beforeAll(async () => {
  fake = await startFakeGemini({ latencyMs: LATENCY_MS });
});

afterAll(async () => {
  await crash?.stack.stop();
  await fake?.close();
});

describe("a stack killed mid-job", () => {
  it("completes the job whole once started again, its lost chunks sent again", async () => {
    // 60 requests a minute: a burst of 10, then one a second, so the kill finds calls done, in flight and waiting.
    const env = {
      GEMINI_API_KEY: "test-key",
      GEMINI_BASE_URL: fake.url,
      RETRY_BASE_SECONDS: "1",
      GEMINI_CHUNK_CHARS: "600",
      GEMINI_RPM: "60",
    };
    const pdf = new Uint8Array(readFileSync(EXTRAIT));
    // Small chunks: the extract makes enough of them (30) to be caught with some done, others in flight.
    crash = await crashMidJob(fake, env, pdf, (job) => job.processed_chunks >= 2 && job.processed_chunks < job.total_chunks - 2, 150_000);
    const { before, done, stack, token } = crash;
    console.log(
      `restart: stack up again ${(crash.upMs / 1000).toFixed(1)} s after the kill; chunks sent again ` +
        `${crash.resentMs === null ? "?" : (crash.resentMs / 1000).toFixed(0)} s and the job ${done.status} ${(crash.endMs / 1000).toFixed(1)} s after it was up ` +
        `(${before.processed_chunks}/${before.total_chunks} chunks were done at the kill; ${crash.callsAfter} model calls after it)`,
    );
    expect(done.status).toBe("completed");
    expect(done.processed_chunks).toBe(done.total_chunks);
    expect(done.failed_pages).toEqual([]);
    const result = await getJson(`${stack.url}/api/v1/jobs/${done.id}/result`, token);
    expect(result.status).toBe(200);
    expect(result.body.sentences.length).toBe(done.sentence_count);
    // Every sentence once, in order: the chunks sent again were merged once each.
    expect(result.body.sentences.map((s: { index: number }) => s.index)).toEqual(result.body.sentences.map((_: unknown, i: number) => i));
  }, 420_000);
});
