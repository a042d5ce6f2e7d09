import { chunkParagraphs } from "./chunk";
import { cleanPages } from "./clean";
import { PipelineError } from "./errors";
import { checkDeadline, extractPdf, type Deadline, type TextLimits } from "./extract";
import type { PageSelection } from "../../schema/pages";
import { hasTextPages } from "./tokens";
import type { Chunk, ExtractedPdf, Paragraph } from "./types";

export { chunkParagraphs, type ChunkOptions } from "./chunk";
export { cleanPages, type CleanOptions } from "./clean";
export { PipelineError, type PipelineErrorCode } from "./errors";
export {
  allowedText,
  checkDeadline,
  extractPdf,
  measurePdf,
  TEXT_LIMITS,
  textChars,
  type Deadline,
  type ExtractOptions,
  type TextLimits,
  type TextSoFar,
  type ProgressCallback,
} from "./extract";
export { joinParts, partRanges, readParts, type JoinedPdf, type ReadPart } from "./parts";
export { release } from "./release";
export { LocalNormalizer, normalizeChunk } from "./local";
export { segmentSentences } from "./segment";
export { splitLongSentence, wordCount, type SplitOptions } from "./split";
export type * from "./types";

export interface PlanOptions {
  fixHyphenation: boolean;
  maxChunkChars: number;
  onPage?: (done: number, total: number) => void;
  /** What the plan step may hold (the server's memory budget); `null`: no limit (the CLI). Default: TEXT_LIMITS. */
  limits?: TextLimits | null;
  /** The caller gives the bytes up (see ExtractOptions.handOver): they are empty afterwards. */
  handOver?: boolean;
  /** Only these pages are read (the `pages` setting); every page when absent. */
  pages?: PageSelection | null;
  /** The plan step's time (see `Deadline`): checked before each page and before the book is cut. */
  deadline?: Deadline;
}

export interface Plan {
  /** Pages read. */
  pageCount: number;
  /** Pages in the book (more than `pageCount` when only some were read). */
  bookPages: number;
  paragraphs: Paragraph[];
  chunks: Chunk[];
}

/** PDF bytes → the book's paragraphs and the chunks the workers will normalize. */
export async function planDocument(data: Uint8Array, opts: PlanOptions): Promise<Plan> {
  const pdf = await extractPdf(data, opts.onPage, {
    limits: opts.limits,
    handOver: opts.handOver,
    pages: opts.pages,
    deadline: opts.deadline,
  });
  return planPages(pdf, opts);
}

/**
 * The book's pages as read (one PDF, or its parts joined: see `joinParts`) → paragraphs and
 * chunks. Running heads, hyphenation and paragraphs are judged over all the pages at once.
 */
export function planPages(pdf: ExtractedPdf, opts: Omit<PlanOptions, "onPage" | "limits" | "handOver" | "pages">): Plan {
  checkDeadline(opts.deadline, "cutting the pages read into paragraphs");
  if (!hasTextLayer(pdf)) {
    throw new PipelineError(
      "no_text_layer",
      "This PDF has no text layer (it looks like a scan or images). Text recognition is not available yet.",
    );
  }
  const paragraphs = cleanPages(pdf, { fixHyphenation: opts.fixHyphenation });
  if (paragraphs.length === 0) {
    throw new PipelineError("empty_document", "No book text was found in this PDF once headers, page numbers and headings were removed.");
  }
  const chunks = chunkParagraphs(paragraphs, { maxChars: opts.maxChunkChars });
  return { pageCount: pdf.pageCount, bookPages: pdf.bookPages ?? pdf.pageCount, paragraphs, chunks };
}

/** Most pages must carry real text; a scan with a stamped page number does not count. */
export function hasTextLayer(pdf: ExtractedPdf): boolean {
  return hasTextPages(pdf.pages.map((p) => p.lines.reduce((n, l) => n + l.text.replace(/\s/gu, "").length, 0)));
}
