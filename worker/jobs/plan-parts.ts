import type { JobPartRow, JobRow } from "../../schema/db";
import type { JobSettings } from "../../schema/settings";
import { PipelineError } from "../pipeline/errors";
import { extractPdf, TEXT_LIMITS, textChars } from "../pipeline/extract";
import { planPages, type Plan } from "../pipeline/index";
import { joinParts } from "../pipeline/parts";
import { pageRanges, type PageRange } from "../pipeline/scan";
import type { ExtractedPdf } from "../pipeline/types";
import { planScan, putAll, SCAN_PAGES_PER_CHUNK, startChunks } from "./consumers";
import { chunkKey } from "./keys";
import { maxPartBytes, tooLargeMessage } from "./part-limits";
import { listParts } from "./parts";
import type { tracker } from "./service";

type Tracker = ReturnType<typeof tracker>;

/**
 * Before pdf.js or pdf-lib opens a stored PDF: its size from R2's record (no byte read)
 * against MAX_PART_BYTES. Over it the job fails `too_large`, saying how to send the book in
 * parts; false then (the caller stops). Uploads are refused at the door already: this catches
 * files stored before the limit, or under a larger one.
 */
export async function refuseOversized(env: Env, t: Tracker, size: number, what = "This PDF"): Promise<boolean> {
  const limit = maxPartBytes(env);
  if (size <= limit) return true;
  await t.fail("too_large", tooLargeMessage(limit, what, size));
  return false;
}

async function partBytes(env: Env, part: JobPartRow): Promise<Uint8Array> {
  const obj = await env.FILES.get(part.key);
  if (!obj) throw new Error(`part ${part.n} vanished`);
  return new Uint8Array(await obj.arrayBuffer());
}

/** A failure of one part's PDF names the part. */
function inPart(n: number, count: number, err: unknown): unknown {
  if (!(err instanceof PipelineError)) return err;
  return new PipelineError(err.code, `Part ${n} of ${count}: ${err.message}`);
}

/**
 * The plan step of a book sent in parts. Each part is opened on its own, one at a time (so
 * memory holds one part's PDF, each at most MAX_PART_BYTES, plus the text read so far), its
 * pages numbered on from the previous part's; then headers, hyphenation, paragraphs and
 * chunks are worked out over the joined pages exactly as for the book sent whole. A scan is
 * cut into page ranges within each part: a range never spans two parts.
 */
export async function planParts(env: Env, t: Tracker, row: JobRow, settings: JobSettings): Promise<void> {
  const jobId = row.id;
  const parts = await listParts(env, jobId);
  const count = row.part_count ?? parts.length;
  if (parts.length !== count || parts.some((p, i) => p.n !== i + 1)) {
    await t.fail("file_missing", "Some parts of the book could not be found. Please send it again.");
    return;
  }
  for (const p of parts) {
    const head = await env.FILES.head(p.key);
    if (!head) {
      await t.fail("file_missing", `Part ${p.n} of the book could not be found. Please send it again.`);
      return;
    }
    if (!(await refuseOversized(env, t, head.size, `Part ${p.n} of this book`))) return;
  }

  const read: ExtractedPdf[] = [];
  // Every part's pages are held until the whole book is planned: the text limits count them all.
  const before = { pages: 0, chars: 0 };
  for (const p of parts) {
    try {
      const part = await extractPdf(await partBytes(env, p), undefined, { limits: TEXT_LIMITS, before, handOver: true });
      read.push(part);
      before.pages += part.pageCount;
      before.chars += textChars(part);
    } catch (err) {
      throw inPart(p.n, count, err);
    }
  }
  const pdf = joinParts(read);
  read.length = 0;
  let plan: Plan | null;
  try {
    plan = planPages(pdf, { fixHyphenation: settings.fix_hyphenation, maxChunkChars: Number(env.CHUNK_CHARS ?? 12000) });
  } catch (e) {
    // A scan has no text to cut into paragraphs: with Gemini on, its pages are read instead.
    if (!(e instanceof PipelineError && e.code === "no_text_layer" && env.GEMINI_API_KEY)) throw e;
    plan = null;
  }
  if (!plan) {
    await planScan(env, t, jobId, scanRanges(env, parts, pdf.partPages));
    return;
  }
  await putAll(
    env,
    plan.chunks.map((c) => [chunkKey(jobId, c.index), JSON.stringify(c)] as const),
  );
  await startChunks(env, t, jobId, plan.chunks, plan.pageCount);
}

/** A scan's page ranges, part after part, numbered across them; one part's PDF open at a time. */
async function* scanRanges(env: Env, parts: JobPartRow[], partPages: number[]): AsyncGenerator<PageRange> {
  let offset = 0;
  for (const [i, p] of parts.entries()) {
    try {
      for await (const r of pageRanges(await partBytes(env, p), SCAN_PAGES_PER_CHUNK)) {
        yield { ...r, first_page: r.first_page + offset, last_page: r.last_page + offset };
      }
    } catch (err) {
      throw inPart(p.n, parts.length, err);
    }
    offset += partPages[i]!;
  }
}
