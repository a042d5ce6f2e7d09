import { PDFDocument } from "pdf-lib";
import { selects, type PageSelection } from "../../schema/pages";
import { refuseOutside } from "./extract";
import { release } from "./release";

/**
 * A scan (pages as images, no text layer) cannot be cut into paragraphs before it is read,
 * so it is cut into page ranges instead, each its own small PDF that Gemini reads.
 */

export interface PageRange {
  first_page: number;
  last_page: number;
  pdf: Uint8Array;
}

/** Pages `from`..`from + count - 1` (0-based) of a PDF, as a new PDF. */
export async function subsetPdf(src: PDFDocument | Uint8Array, from: number, count: number): Promise<Uint8Array> {
  const doc = src instanceof Uint8Array ? await PDFDocument.load(src) : src;
  const out = await PDFDocument.create();
  const pages = await out.copyPages(
    doc,
    Array.from({ length: count }, (_, i) => from + i),
  );
  for (const p of pages) out.addPage(p);
  return out.save();
}

/**
 * The PDF's bytes for pdf-lib to parse without copying them. pdf-lib keeps each stream's
 * contents as `bytes.slice(start, end)` of what it parses (and clones them with `slice()` when
 * copying pages): a second copy of the whole file, as big as the file for a scan. A view whose
 * `slice` is `subarray` makes those contents views into the caller's bytes, which nothing
 * writes to. Measured by `npm run bench:memory` (pageRanges on a scan).
 */
class SharedBytes extends Uint8Array<ArrayBuffer> {
  override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
    return this.subarray(start, end);
  }
}

export interface PageRangesOptions {
  /**
   * The caller gives the bytes up: once the last range is cut (or the caller stops early, or
   * the PDF is refused) they are released (see `release`): empty afterwards.
   */
  handOver?: boolean;
  /** Only these pages (the `pages` setting, in the book's numbering): a range never spans a page left out. */
  pages?: PageSelection | null;
  /** The PDF is a part of a book whose earlier parts have this many pages (see ExtractOptions.pageOffset). */
  pageOffset?: number;
}

/**
 * The document (or the pages selected) in ranges of at most `pagesPerRange` consecutive pages
 * (1-based page numbers, the book's), one at a time.
 */
export async function* pageRanges(bytes: Uint8Array, pagesPerRange: number, opts: PageRangesOptions = {}): AsyncGenerator<PageRange> {
  try {
    const doc = await PDFDocument.load(new SharedBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength));
    const total = doc.getPageCount();
    const sel = opts.pages ?? null;
    const offset = opts.pageOffset ?? 0;
    if (opts.pageOffset === undefined) refuseOutside(sel, total);
    for (const run of consecutiveRuns(total, (n) => selects(sel, offset + n), pagesPerRange)) {
      yield { first_page: offset + run.from, last_page: offset + run.to, pdf: await subsetPdf(doc, run.from - 1, run.to - run.from + 1) };
    }
  } finally {
    if (opts.handOver) release(bytes);
  }
}

/** Pages 1…`total` kept by `keep`, in runs of consecutive pages of at most `size` pages. */
export function consecutiveRuns(total: number, keep: (page: number) => boolean, size: number): { from: number; to: number }[] {
  const runs: { from: number; to: number }[] = [];
  for (let n = 1; n <= total; n++) {
    if (!keep(n)) continue;
    const last = runs.at(-1);
    if (last && last.to === n - 1 && last.to - last.from + 1 < size) last.to = n;
    else runs.push({ from: n, to: n });
  }
  return runs;
}

export async function splitPages(bytes: Uint8Array, pagesPerRange: number): Promise<PageRange[]> {
  const ranges: PageRange[] = [];
  for await (const r of pageRanges(bytes, pagesPerRange)) ranges.push(r);
  return ranges;
}

/** Base64 in Node and workerd alike (no Buffer), in slices so no call gets too many arguments. */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
