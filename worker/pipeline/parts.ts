import type { ExtractedPdf } from "./types";

/** A book's parts read one by one, joined: `partPages[i]` is how many pages part i + 1 has. */
export interface JoinedPdf extends ExtractedPdf {
  partPages: number[];
}

/**
 * Joins the pages of a book's parts (each a consecutive page range, read on its own) into
 * the pages of the whole book: part 2's first page follows part 1's last, and so on. What is
 * judged across pages afterwards (running heads, page-number offset, the hyphenation
 * vocabulary, paragraphs running over a page break) then sees the book as if sent whole.
 */
export function joinParts(parts: Iterable<ExtractedPdf>): JoinedPdf {
  const joined: JoinedPdf = { pageCount: 0, pages: [], width: 0, height: 0, partPages: [] };
  for (const part of parts) {
    if (joined.partPages.length === 0) {
      joined.width = part.width;
      joined.height = part.height;
    }
    const offset = joined.pageCount;
    for (const p of part.pages) joined.pages.push({ page: p.page + offset, lines: p.lines });
    joined.pageCount += part.pageCount;
    joined.partPages.push(part.pageCount);
  }
  return joined;
}
