import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manyItemsPdf } from "../fixtures/hostile-pdf";
import { CORPUS, finalJob, getJson, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// Issue 22, CPU: while one reader's expensive job is planned, everyone else is still answered.
// Locally one workerd process runs every consumer and route of the API Worker, so a plan that
// never let the event loop in would hold /api/health and every other reader for its whole length.
// The expensive job: 60 pages each drawing 18,000 one-letter strings (a legal page: under
// MAX_PAGE_TEXT_ITEMS), ~0.15 s of pdf.js a page, then refused sentence_too_long (the letters
// run on without a sentence end). Bounds are relative to the same run: the health's latency is
// compared with the hostile plan's own length, and with the health's latency beforehand.

let stack: Stack;
let hostileToken: string;
let readerToken: string;

beforeAll(async () => {
  stack = await startStack({ GEMINI_API_KEY: "" });
  hostileToken = await signIn(stack.url, "expensive@example.com");
  readerToken = await signIn(stack.url, "other-reader@example.com");
});

afterAll(async () => {
  await stack?.stop();
});

async function health(): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${stack.url}/api/health`);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`/api/health answered ${r.status}`);
  return performance.now() - t0;
}

const FINAL = ["completed", "partial", "failed", "cancelled"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = async (id: string, token: string) => (await getJson(`${stack.url}/api/v1/jobs/${id}`, token)).body;

describe("an expensive job does not hold the others up", () => {
  it("/api/health answers and another reader's small job completes while it is planned", async () => {
    // The health's latency with nothing running: the reference.
    const before: number[] = [];
    for (let i = 0; i < 10; i++) before.push(await health());
    const reference = Math.max(...before);

    // Health every 100 ms, on its own, from before the expensive job is sent until it ends (a
    // request still waiting then counts for what it has waited so far).
    const start = performance.now();
    const during: number[] = [];
    let done = false;
    let waiting: number | undefined;
    const pinger = (async () => {
      while (!done) {
        waiting = performance.now();
        during.push(await health());
        waiting = undefined;
        await sleep(100);
      }
    })();

    const res = await upload(stack.url, hostileToken, manyItemsPdf(18_000, 60), "lettres.pdf");
    expect(res.status).toBe(202);
    const { id: hostileId } = (await res.json()) as { id: string };
    // The other reader's small book, sent once the expensive one is being read.
    await waitFor(
      async () => ((await status(hostileId, hostileToken)).status !== "queued" ? true : undefined),
      30_000,
      "the plan to begin",
    );
    const sentAt = performance.now();
    const small = await upload(
      stack.url,
      readerToken,
      readFileSync(path.join(CORPUS, "novels", "maupassant-une-vie-extrait.pdf")),
      "extrait.pdf",
    );
    const uploadMs = performance.now() - sentAt;
    expect(small.status).toBe(202);
    const { id: smallId } = (await small.json()) as { id: string };

    let hostile: any;
    while (!FINAL.includes((hostile = await status(hostileId, hostileToken)).status)) {
      if (performance.now() - start > 120_000) throw new Error("the expensive job did not end within 2 minutes");
      await sleep(250);
    }
    const hostileMs = performance.now() - start;
    done = true;
    if (waiting !== undefined) during.push(performance.now() - waiting);
    await pinger;
    const smallJob = await finalJob(stack, readerToken, smallId, 60_000, "the small job to end");
    const worst = Math.max(...during);
    console.info(
      `expensive job ${hostile.status} (${hostile.error_code}) after ${(hostileMs / 1000).toFixed(1)} s; /api/health ${during.length} times meanwhile, ` +
        `worst ${worst.toFixed(0)} ms (before it: worst ${reference.toFixed(0)} ms); the other reader's upload answered in ${uploadMs.toFixed(0)} ms`,
    );

    // The expensive job really ran through its plan (refused there, after reading its pages).
    expect({ status: hostile.status, code: hostile.error_code }).toEqual({ status: "failed", code: "sentence_too_long" });
    expect(smallJob.status).toBe("completed");
    // A plan that held the isolate would hold the health, and the upload, for most of its length.
    const bound = Math.max(hostileMs / 4, 20 * reference);
    expect(worst, `worst health latency ${worst.toFixed(0)} ms during a ${hostileMs.toFixed(0)} ms plan`).toBeLessThan(bound);
    expect(uploadMs, "the other reader's upload").toBeLessThan(bound);
  });
});
