/**
 * What the plan step's paths share (a PDF, a book in parts, a scan or page images): chunks stored
 * and handed to the tracker and the queue; the queues' backoff. The queue handlers are in
 * worker/jobs/queues/.
 */
import { release } from "../pipeline/index";
import type { PageRange } from "../pipeline/scan";
import { geminiTextTokens, SCAN_TOKENS_PER_PAGE, textTokens } from "../pipeline/tokens";
import type { Chunk } from "../pipeline/types";
import { enqueueChunks } from "./chunk-queue";
import { chunkKey, scanPagesKey } from "./keys";
import type { tracker } from "./service";
import { config } from "../core/config";

/** Pages of a scan that Gemini reads in one chunk. */
export const SCAN_PAGES_PER_CHUNK = 4;
/** Bytes of page images in one chunk (fewer pages when they are big), bounding the plan step's memory. */
export const SCAN_CHUNK_IMAGE_BYTES = 16 * 1024 * 1024;
/** A scan's paragraphs are numbered per chunk (the book's count is unknown before it is read). */
const SCAN_PARAGRAPH_STRIDE = 1000;

/** Exponential backoff with jitter for queue retries (no sleeping inside a Worker). */
export function backoffSeconds(attempts: number, base: number): number {
  const exp = base * 2 ** Math.max(0, attempts - 1);
  return Math.min(300, Math.round(exp + Math.random() * base));
}

export const retryBase = (env: Env) => config(env).RETRY_BASE_SECONDS;

/** Why a job processed again cannot read its book. */
export const SOURCE_GONE =
  "The book's stored file is no longer kept (uploads are kept 7 days after their last job ended). Please upload it again.";

/**
 * Pages to be read by Gemini (a scanned PDF, or page images), a chunk per page range,
 * each range stored as its own small PDF; ranges come one at a time. `bookPages`: the book's
 * pages, when known.
 */
export async function planScan(
  env: Env,
  t: ReturnType<typeof tracker>,
  jobId: string,
  ranges: AsyncIterable<PageRange>,
  bookPages?: number,
) {
  const chunks: Chunk[] = [];
  for await (const r of ranges) {
    const n = chunks.length;
    const { first_page, last_page } = r;
    const chunk: Chunk = { index: n, first_paragraph: n * SCAN_PARAGRAPH_STRIDE, paragraphs: [], first_page, last_page, scan: true };
    await env.FILES.put(scanPagesKey(jobId, n), r.pdf);
    release(r.pdf); // stored: freed now rather than piled up with the next ranges until a GC
    await env.FILES.put(chunkKey(jobId, n), JSON.stringify(chunk));
    chunks.push(chunk);
  }
  const read = chunks.reduce((n, c) => n + c.last_page - c.first_page + 1, 0);
  await startChunks(env, t, jobId, chunks, read, bookPages);
}

/**
 * Tokens a chunk is estimated at: its text at ~4 characters a token for the local engine; for
 * Gemini its text in and out as JSON plus the request's instructions (worker/pipeline/tokens.ts);
 * 800 a page for a scan.
 */
export function chunkTokens(c: Chunk, engine: "local" | "gemini"): number {
  if (c.scan) return (c.last_page - c.first_page + 1) * SCAN_TOKENS_PER_PAGE;
  const chars = c.paragraphs.reduce((s, p) => s + p.text.length, 0);
  return engine === "gemini" ? geminiTextTokens(chars, 1) : textTokens(chars);
}

/** Hands the stored chunks to the tracker, then to the queue unless the job has ended meanwhile. */
export async function startChunks(
  env: Env,
  t: ReturnType<typeof tracker>,
  jobId: string,
  chunks: readonly Chunk[],
  pageCount: number,
  bookPageCount?: number,
) {
  const engine = env.GEMINI_API_KEY ? "gemini" : "local";
  const tokens = chunks.map((c) => chunkTokens(c, engine));
  const started = await t.start({
    page_count: pageCount,
    ...(bookPageCount === undefined ? {} : { book_page_count: bookPageCount }),
    chunks: chunks.map((c, i) => ({ first_page: c.first_page, last_page: c.last_page, tokens: tokens[i] })),
    estimated_tokens: tokens.reduce((a, b) => a + b, 0),
  });
  if (started)
    await enqueueChunks(
      env,
      jobId,
      chunks.map((c) => c.index),
    );
}

export async function putAll(env: Env, entries: ReadonlyArray<readonly [string, string]>) {
  for (let i = 0; i < entries.length; i += 8) {
    await Promise.all(entries.slice(i, i + 8).map(([k, v]) => env.FILES.put(k, v)));
  }
}
