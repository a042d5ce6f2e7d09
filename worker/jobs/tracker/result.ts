/**
 * A job's result from its finished chunks, pure: the sentences merged in chunk order, the pages
 * of its failed chunks, and a long chunk result split for the tracker's rows.
 */
import type { JobResult, JobStatus } from "../../../schema/api";
import type { StoredResult } from "../../pipeline/facts";
import type { NormalizeResult } from "../../pipeline/types";

/**
 * A Durable Object's SQLite row holds at most 2 MB. A chunk's result is far smaller as a
 * rule (a chunk is ~12,000 characters), but one long paragraph with no sentence end makes one
 * chunk of any size: a result longer than this many UTF-16 units (each at most 3 bytes of
 * UTF-8) is kept in parts of this size in `result_parts` instead of in its chunk's row.
 */
export const RESULT_PART_CHARS = 256 * 1024;

/** A string in pieces of at most RESULT_PART_CHARS, never cutting a surrogate pair in two. */
export function splitForRows(text: string, size = RESULT_PART_CHARS): string[] {
  if (text.length <= size) return [text];
  const parts: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    // A high surrogate last: its pair goes whole into this part or the next.
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - 1 > start ? -1 : 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

export interface PageRange {
  first_page: number;
  last_page: number;
}

/** Every page of these ranges, once each, in order. */
export function failedPages(ranges: PageRange[]): number[] {
  const pages = new Set<number>();
  for (const r of ranges) for (let p = r.first_page; p <= r.last_page; p++) pages.add(p);
  return [...pages].sort((a, b) => a - b);
}

/** A finished chunk as stored: its sentences' JSON (joined again when kept in parts), its flags' JSON. */
export interface DoneChunk extends PageRange {
  n: number;
  json: string;
  flags: string | null;
}

/** Gets each merged sentence's lemmas (the tracker's AnalysisWriter). */
export interface LemmaSink {
  add(text: string, lemmas: NormalizeResult["sentences"][number]["lemmas"]): void;
}

/** The finished chunks' sentences in order (`chunks` sorted by n); `analysis`, when given, gets each one's lemmas. */
export function mergeResult(
  job: { job_id: string; status: JobStatus; total: number },
  chunks: DoneChunk[],
  failed_pages: number[],
  analysis?: LemmaSink,
): StoredResult {
  const sentences: StoredResult["sentences"] = [];
  const included: number[] = [];
  const flagged: JobResult["flagged"] = [];
  for (const r of chunks) {
    included.push(r.n);
    if (r.flags) flagged.push({ chunk: r.n, first_page: r.first_page, last_page: r.last_page, flags: JSON.parse(r.flags) });
    for (const s of JSON.parse(r.json) as NormalizeResult["sentences"]) {
      sentences.push({
        index: sentences.length,
        text: s.text,
        chunk: r.n,
        page: s.page,
        paragraph: s.paragraph,
        ...(s.original !== undefined ? { original: s.original } : {}),
        // The chunk consumer's facts (a chunk stored before them has none: withFacts tags it).
        ...(s.word_count !== undefined && s.has_verb !== undefined ? { word_count: s.word_count, has_verb: s.has_verb } : {}),
      });
      analysis?.add(s.text, s.lemmas);
    }
  }
  const complete = job.status === "completed" || job.status === "partial";
  return {
    job_id: job.job_id,
    status: job.status,
    complete,
    total_chunks: job.total,
    chunks_included: included,
    failed_pages,
    flagged,
    rewritten_count: sentences.filter((s) => s.original !== undefined).length,
    sentences,
  };
}
