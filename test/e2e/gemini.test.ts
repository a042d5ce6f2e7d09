import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { planDocument } from "../../worker/pipeline/index";
import { csvCell } from "../../worker/pipeline/formats";
import { normalizeChunk } from "../../worker/pipeline/local";
import { segmentSentences } from "../../worker/pipeline/segment";
import { scanPageSentences, type FakeStats } from "../fake-gemini/server";
import { rewriteLong } from "../fake-gemini/wire";
import { CORPUS, getJson, ROOT, signIn, startStack, upload, waitFor, type Stack } from "./stack";

// The whole stack with the Gemini engine on, pointed at the fake Gemini server (its own
// process) that refuses a quarter of the calls with 429 and a tenth with 503.

const FINAL = ["completed", "partial", "failed", "cancelled"];
const VERNE = path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.pdf");
const EXTRAIT = path.join(CORPUS, "novels", "maupassant-une-vie-extrait.pdf");
/** sentence_length_limit of the rewrite test: the extract has many longer sentences. */
const LIMIT = 20;
const flat = (s: string) => s.replace(/\s+/g, " ").trim();

let fake: { url: string; child: ChildProcess };
let stack: Stack;
let token: string;

async function startFake(config: object): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    path.join(ROOT, "node_modules/.bin/tsx"),
    [path.join(ROOT, "test/fake-gemini/main.ts"), "--port", "0", "--config", JSON.stringify(config)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`fake Gemini exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const stats = async () => (await (await fetch(`${fake.url}/__stats`)).json()) as FakeStats;
const control = (patch: object) => fetch(`${fake.url}/__control`, { method: "POST", body: JSON.stringify(patch) }).then((r) => r.json());

/** Requests per minute for the whole stack: 3/s, bursts of at most RPM/6 = 30. */
const RPM = 180;

beforeAll(async () => {
  fake = await startFake({ rates: { "429": 0.25, "503": 0.1 }, retryDelay: "1s", seed: 7 });
  stack = await startStack({
    GEMINI_API_KEY: "test-key",
    GEMINI_BASE_URL: fake.url,
    RETRY_BASE_SECONDS: "1",
    // Low enough that the shared limiter, not the model, sets the pace of the 325-page job.
    GEMINI_RPM: String(RPM),
  });
  token = await signIn(stack.url, "gemini@example.com");
});

afterAll(async () => {
  await stack?.stop();
  if (fake?.child.pid) {
    try {
      process.kill(-fake.child.pid, "SIGTERM");
    } catch {
      /* gone */
    }
  }
});

const job = async (id: string) => (await getJson(`${stack.url}/api/v1/jobs/${id}`, token)).body;

describe("the Gemini engine through the local stack", () => {
  it("completes the 325-page novel through 429s and 503s, with tokens counted", async () => {
    const res = await upload(stack.url, token, new Uint8Array(readFileSync(VERNE)), "verne.pdf");
    expect(res.status).toBe(202);
    const created = (await res.json()) as any;
    expect(created.engine).toBe("gemini");
    expect(created.model).toBe("gemini-2.5-flash");
    const done = await waitFor(
      async () => {
        const j = await job(created.id);
        return FINAL.includes(j.status) ? j : undefined;
      },
      300_000,
      "the Gemini job to end",
    );
    expect(done.status).toBe("completed");
    expect(done.engine).toBe("gemini");
    expect(done.actual_tokens).toBeGreaterThan(0);

    const s = await stats();
    expect(s.by_outcome["429"]).toBeGreaterThan(0);
    expect(s.by_outcome["503"]).toBeGreaterThan(0);
    expect(s.by_version).toEqual({ v1beta: s.total });
    expect(Object.keys(s.by_model)).toEqual(["gemini-2.5-flash"]);

    // The fake's own count per 1 s window: no 10 s span saw more than the bucket allows
    // (a full burst plus 10 s of refill, +2 for window edges), though the job needed far more.
    const perSecond = new Map(s.windows.map((w: { start_ms: number; count: number }) => [w.start_ms, w.count]));
    const starts = [...perSecond.keys()] as number[];
    const busiest = Math.max(
      ...starts.map((t0) => starts.filter((t) => t >= t0 && t < t0 + 10_000).reduce((n, t) => n + perSecond.get(t)!, 0)),
    );
    const allowed = RPM / 6 + (RPM / 60) * 10 + 2;
    expect(s.total).toBeGreaterThan(allowed * 1.5);
    expect(busiest).toBeLessThanOrEqual(allowed);

    // The fake answers what the local segmenter would: the result must be that, in order.
    const plan = await planDocument(new Uint8Array(readFileSync(VERNE)), { fixHyphenation: true, maxChunkChars: 12000 });
    const expected = plan.chunks.flatMap((c) => normalizeChunk(c, DEFAULT_SETTINGS));
    const result = (await getJson(`${stack.url}/api/v1/jobs/${created.id}/result`, token)).body;
    expect(result.sentences.length).toBe(expected.length);
    expect(result.sentences.map((x: any) => [x.text, x.page, x.paragraph])).toEqual(expected.map((x) => [x.text, x.page, x.paragraph]));
  });

  it("a permanent error (403) fails each chunk at once, without retries", async () => {
    await control({ rates: {}, always: "403" });
    const before = (await stats()).by_outcome["403"] ?? 0;
    const pdf = new Uint8Array(readFileSync(path.join(CORPUS, "novels", "maupassant-une-vie-extrait.pdf")));
    const { id } = (await (await upload(stack.url, token, pdf, "extrait.pdf")).json()) as any;
    const done = await waitFor(
      async () => {
        const j = await job(id);
        return FINAL.includes(j.status) ? j : undefined;
      },
      60_000,
      "the job to fail",
    );
    expect(done.status).toBe("failed");
    expect(done.error_code).toBe("all_chunks_failed");
    expect(done.failed_chunks).toBe(done.total_chunks);
    expect((await stats()).by_outcome["403"]! - before).toBe(done.total_chunks);
    await control({ always: null });
  });

  it("reads a scan (no text layer) with Gemini, a few pages per chunk", async () => {
    const pdf = new Uint8Array(readFileSync(path.join(CORPUS, "novels", "maupassant-une-vie-extrait.scan.pdf")));
    const { id } = (await (await upload(stack.url, token, pdf, "scan.pdf")).json()) as any;
    const done = await waitFor(
      async () => {
        const j = await job(id);
        return FINAL.includes(j.status) ? j : undefined;
      },
      60_000,
      "the scan job to end",
    );
    expect(done).toMatchObject({ status: "completed", engine: "gemini", page_count: 6, total_chunks: 2 });
    expect(done.actual_tokens).toBeGreaterThan(0);
    const result = (await getJson(`${stack.url}/api/v1/jobs/${id}/result`, token)).body;
    const pages = [1, 2, 3, 4, 5, 6];
    expect(result.sentences.map((x: any) => [x.text, x.page])).toEqual(pages.flatMap((p) => scanPageSentences(p).map((t) => [t, p])));
  });

  it("a length limit: rewritten sentences carry the book's original, in the result and the CSV", async () => {
    await control({ rates: {}, always: null, latencyMs: 0 });
    const bytes = new Uint8Array(readFileSync(EXTRAIT));
    const res = await upload(stack.url, token, bytes, "extrait.pdf", { sentence_length_limit: String(LIMIT) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    const done = await waitFor(
      async () => {
        const j = await job(id);
        return FINAL.includes(j.status) ? j : undefined;
      },
      120_000,
      "the length-limited job to end",
    );
    expect(done).toMatchObject({ status: "completed", engine: "gemini" });

    // What the fake model answers, worked out from its side: every sentence of the book over
    // the limit becomes its pieces, each tied to that sentence; the others are copied.
    const plan = await planDocument(bytes, { fixHyphenation: true, maxChunkChars: 12000 });
    const expected = plan.chunks.flatMap((c) =>
      c.paragraphs.flatMap((p) =>
        segmentSentences(p.text).flatMap((s): Array<{ text: string; original?: string }> => {
          const pieces = rewriteLong(s, LIMIT).map(flat);
          return pieces.length > 1 ? pieces.map((text) => ({ text, original: flat(s) })) : [{ text: flat(s) }];
        }),
      ),
    );
    const rewritten = expected.filter((e) => e.original !== undefined);
    expect(rewritten.length).toBeGreaterThan(10);
    const result = (await getJson(`${stack.url}/api/v1/jobs/${id}/result`, token)).body;
    expect(result.complete).toBe(true);
    expect(result.flagged).toEqual([]);
    expect(result.rewritten_count).toBe(rewritten.length);
    expect(
      result.sentences.map((x: any) => (x.original === undefined ? { text: x.text } : { text: x.text, original: x.original })),
    ).toEqual(expected);

    const csvRes = await fetch(`${stack.url}/api/v1/jobs/${id}/result?format=csv`, { headers: { authorization: `Bearer ${token}` } });
    const rows = (await csvRes.text())
      .replace(/^\uFEFF/, "")
      .trimEnd()
      .split("\r\n");
    expect(rows[0]).toBe("index,sentence,page,chunk,original,word_count,has_verb");
    expect(rows).toHaveLength(expected.length + 1);
    result.sentences.forEach((x: any, i: number) => {
      expect(rows[i + 1]).toBe(
        [x.index + 1, x.text, x.page, x.chunk, x.original ?? "", x.word_count, x.has_verb ? "yes" : "no"]
          .map((c) => csvCell(String(c)))
          .join(","),
      );
    });
  });

  it("a cancelled job makes no further model request", async () => {
    // Slow answers, so the job is surely still running when it is cancelled.
    await control({ rates: {}, latencyMs: 1500 });
    const res = await upload(stack.url, token, new Uint8Array(readFileSync(VERNE)), "verne.pdf");
    const { id } = (await res.json()) as any;
    const before = (await stats()).total;
    await waitFor(async () => ((await stats()).total > before ? true : undefined), 60_000, "the first model call");
    const c = await fetch(`${stack.url}/api/v1/jobs/${id}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(c.status).toBe(200);
    // Calls already in flight when the cancel answered may still land; none may start after.
    await new Promise((r) => setTimeout(r, 2000));
    const settled = (await stats()).total;
    await new Promise((r) => setTimeout(r, 5000));
    expect((await stats()).total).toBe(settled);
    expect((await job(id)).status).toBe("cancelled");
  });
});
