import { decodePDFRawStream, PDFContext, PDFDocument } from "pdf-lib";
import { selects, type PageSelection } from "../../schema/pages";
import { closeBudget, DECODE_LIMITS, openBudget } from "./decode-guard";
import { decodeRefusal, refuseOutside } from "./extract";
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
  const doc = src instanceof Uint8Array ? await loadGuarded(src) : src;
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

/**
 * pdf-lib decodes every object stream of a PDF as it parses it (pdf.js only those it needs):
 * a zlib bomb there, in an object nothing refers to, passes pdf.js and would be inflated whole
 * when a scan is cut into ranges. pdf-lib's DecodeStream (a port of pdf.js's) is reached through
 * a stream it decodes, and its `ensureBuffer` made to ask the same guard as pdf.js
 * (decode-guard.ts) before it grows; pdf-lib skips an object it cannot parse, so the refusal is
 * read from the budget after the load.
 */
function guardPdfLib(): void {
  const probe = decodePDFRawStream(PDFContext.create().flateStream(new Uint8Array(1)));
  type Proto = { ensureBuffer(requested: number): Uint8Array; fntGuarded?: boolean };
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as Proto;
  if (proto.fntGuarded || typeof proto.ensureBuffer !== "function") return;
  const ensure = proto.ensureBuffer;
  proto.ensureBuffer = function (this: { buffer: Uint8Array; minBufferLength: number }, requested: number) {
    if (requested > this.buffer.byteLength) {
      let size = this.minBufferLength;
      while (size < requested) size *= 2;
      (globalThis as { __fntDecodeGuard?: (s: object, bytes: number) => void }).__fntDecodeGuard?.(this, size - this.buffer.byteLength);
    }
    return ensure.call(this, requested);
  };
  proto.fntGuarded = true;
}
guardPdfLib();

/** The whole file's object streams together, as pdf-lib decodes them all at once. */
const PDF_LIB_LIMITS = { maxStreamBytes: DECODE_LIMITS.maxStreamBytes, maxPageBytes: 4 * DECODE_LIMITS.maxPageBytes };

/** pdf-lib's parse of the PDF, refused `pdf_stream_too_large` when a stream it decodes passes the limits. */
async function loadGuarded(bytes: Uint8Array): Promise<PDFDocument> {
  const budget = openBudget(PDF_LIB_LIMITS);
  try {
    const doc = await PDFDocument.load(bytes).catch((err: unknown) => {
      throw decodeRefusal(budget, null) ?? err;
    });
    const refused = decodeRefusal(budget, null);
    if (refused) throw refused;
    return doc;
  } finally {
    closeBudget(undefined, budget);
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
    const doc = await loadGuarded(new SharedBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength));
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
