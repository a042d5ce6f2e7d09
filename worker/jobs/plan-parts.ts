import type { JobPartRow, JobRow } from "../../schema/db";
import type { JobSettings } from "../../schema/settings";
import { PipelineError } from "../pipeline/errors";
import { parsePages } from "../../schema/pages";
import { planPages, type Deadline, type Plan } from "../pipeline/index";
import { partRanges, readParts } from "../pipeline/parts";
import { planScan, putAll, SCAN_PAGES_PER_CHUNK, SOURCE_GONE, startChunks } from "./plan-chunks";
import { chunkKey } from "./keys";
import { maxPartBytes, tooLargeMessage } from "./part-limits";
import { listParts } from "./parts";
import type { tracker } from "./service";
import { chunkChars } from "../core/config";

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

/**
 * The plan step of a book sent in parts. Each part is opened on its own, one at a time (so
 * memory holds one part's PDF, each at most MAX_PART_BYTES, plus the text read so far), its
 * pages numbered on from the previous part's; then headers, hyphenation, paragraphs and
 * chunks are worked out over the joined pages exactly as for the book sent whole. A scan is
 * cut into page ranges within each part: a range never spans two parts.
 */
export async function planParts(env: Env, t: Tracker, row: JobRow, settings: JobSettings, deadline?: Deadline): Promise<void> {
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
      if (row.source_job_id) await t.fail("source_expired", SOURCE_GONE);
      else await t.fail("file_missing", `Part ${p.n} of the book could not be found. Please send it again.`);
      return;
    }
    if (!(await refuseOversized(env, t, head.size, `Part ${p.n} of this book`))) return;
  }

  // Every part's pages are held until the whole book is planned: the text limits count them all.
  const read = (n: number) => partBytes(env, parts[n - 1]!);
  const pages = settings.pages ? parsePages(settings.pages) : null;
  const pdf = await readParts(count, read, { pages, deadline });
  let plan: Plan | null;
  try {
    plan = planPages(pdf, { fixHyphenation: settings.fix_hyphenation, maxChunkChars: chunkChars(env), deadline });
  } catch (e) {
    // A scan has no text to cut into paragraphs: with Gemini on, its pages are read instead.
    if (!(e instanceof PipelineError && e.code === "no_text_layer" && env.GEMINI_API_KEY)) throw e;
    plan = null;
  }
  if (!plan) {
    await planScan(env, t, jobId, partRanges(pdf.partPages, read, SCAN_PAGES_PER_CHUNK, pages), pdf.bookPages);
    return;
  }
  await putAll(
    env,
    plan.chunks.map((c) => [chunkKey(jobId, c.index), JSON.stringify(c)] as const),
  );
  await startChunks(env, t, jobId, plan.chunks, plan.pageCount, plan.bookPages);
}
