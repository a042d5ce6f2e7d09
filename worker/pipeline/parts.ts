import type { PageSelection } from "../../schema/pages";
import { PipelineError } from "./errors";
import { extractPdf, refuseOutside, TEXT_LIMITS, textChars, type Deadline, type ProgressCallback, type TextLimits } from "./extract";
import { pageRanges, type PageRange } from "./scan";
import type { ExtractedPdf } from "./types";

/** A book's parts read one by one, joined: `partPages[i]` is how many pages part i + 1 has (in the file, read or not). */
export interface JoinedPdf extends ExtractedPdf {
  partPages: number[];
}

/** Part `n` (1-based) of a book's `count` parts: its bytes, given up to the reader (released after). */
export type ReadPart = (n: number) => Promise<Uint8Array>;

/**
 * Joins the pages of a book's parts (each a consecutive page range, read on its own) into
 * the pages of the whole book: part 2's first page follows part 1's last, and so on. What is
 * judged across pages afterwards (running heads, page-number offset, the hyphenation
 * vocabulary, paragraphs running over a page break) then sees the book as if sent whole.
 */
export function joinParts(parts: Iterable<ExtractedPdf>): JoinedPdf {
  const joined: JoinedPdf = { pageCount: 0, bookPages: 0, pages: [], width: 0, height: 0, partPages: [] };
  for (const part of parts) {
    if (joined.width === 0 && part.pageCount > 0) {
      joined.width = part.width;
      joined.height = part.height;
    }
    const offset = joined.bookPages!;
    const filePages = part.bookPages ?? part.pageCount;
    for (const p of part.pages) joined.pages.push({ page: p.page + offset, lines: p.lines });
    joined.pageCount += part.pageCount;
    joined.bookPages! += filePages;
    joined.partPages.push(filePages);
  }
  return joined;
}

/** A failure of one part's PDF names the part. */
function inPart(n: number, count: number, err: unknown): unknown {
  if (!(err instanceof PipelineError)) return err;
  return new PipelineError(err.code, `Part ${n} of ${count}: ${err.message}`);
}

/**
 * The text of a book sent in `count` parts: each part's PDF read on its own, one at a time
 * (its bytes handed over to pdf.js: memory holds one part's PDF, plus the text read so far),
 * then joined. The text limits count every part read before (every page is held until the
 * book is planned), each part's reading against its own size.
 */
export async function readParts(
  count: number,
  read: ReadPart,
  opts: { limits?: TextLimits | null; onPage?: ProgressCallback; pages?: PageSelection | null; deadline?: Deadline } = {},
): Promise<JoinedPdf> {
  const parts: ExtractedPdf[] = [];
  const before = { pages: 0, chars: 0 };
  let offset = 0;
  for (let n = 1; n <= count; n++) {
    try {
      const limits = opts.limits === undefined ? TEXT_LIMITS : opts.limits;
      const part = await extractPdf(await read(n), opts.onPage, {
        limits,
        before,
        handOver: true,
        pages: opts.pages,
        pageOffset: offset,
        deadline: opts.deadline,
      });
      parts.push(part);
      before.pages += part.pageCount;
      before.chars += textChars(part);
      offset += part.bookPages ?? part.pageCount;
    } catch (err) {
      throw inPart(n, count, err);
    }
  }
  // Pages are counted across the parts: only the whole book says whether the selection fits it.
  refuseOutside(opts.pages ?? null, offset);
  return joinParts(parts);
}

/**
 * A scan sent in parts cut into page ranges, part after part, pages numbered across them
 * (`partPages` as `readParts` found them); a range never spans two parts. One part's PDF is
 * open at a time, and released as soon as its last range is cut.
 */
export async function* partRanges(
  partPages: readonly number[],
  read: ReadPart,
  pagesPerRange: number,
  sel: PageSelection | null = null,
): AsyncGenerator<PageRange> {
  let offset = 0;
  for (const [i, pages] of partPages.entries()) {
    try {
      // A part with no page of the selection is not opened again.
      const wanted = !sel || sel.some((s) => s.from <= offset + pages && (s.to === null || s.to > offset));
      // Its ranges come numbered in the book's pages.
      if (wanted) yield* pageRanges(await read(i + 1), pagesPerRange, { handOver: true, pages: sel, pageOffset: offset });
    } catch (err) {
      throw inPart(i + 1, partPages.length, err);
    }
    offset += pages;
  }
}
