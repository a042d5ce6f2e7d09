/**
 * Splits a PDF into consecutive page ranges ("parts") that each stay within the server's safe
 * size, the way big books are sent (issue 14): the browser and the CLI run this same code
 * (pdf-lib only, no Node or DOM API), then upload the parts as one job.
 *
 * How a part's size is known before it is written: every page brings the PDF objects it
 * reaches (content streams, images, fonts…); an object shared by several pages of a part (a
 * font) counts once. Pages are added to a part while the sum of its objects stays within the
 * budget; each part is then written and measured, and one that still came out too big is cut
 * in two (written sizes differ from the estimate by the file's own structure).
 */
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFStream, type PDFObject } from "pdf-lib";
import { bytesAllowing, MIB, sendsWhole, type TextRule } from "./limits";

export { bytesAllowing, sendsWhole, type TextRule } from "./limits";

export interface SplitLimits {
  /** The most bytes one part may have. */
  maxBytes: number;
  /** The most pages one part may have (optional). */
  maxPages?: number;
  /**
   * What the server holds of one job's text (`GET /api/v1/limits`: `uploads.text`): a book of
   * more pages is refused here, before it is sent, and a book of many pages is cut into parts
   * small enough that the server may read each of them with all the book's pages held.
   */
  text?: TextRule;
}

export interface PdfPart {
  bytes: Uint8Array;
  /** 1-based, inclusive, in the whole book's numbering. */
  firstPage: number;
  lastPage: number;
}

export class SplitError extends Error {
  constructor(
    readonly code: "encrypted" | "invalid_pdf" | "page_too_large" | "empty" | "too_many_pages",
    message: string,
  ) {
    super(message);
    this.name = "SplitError";
  }
}

/** Room kept in each part for what the estimate does not count (xref, trailer, page tree). */
const STRUCTURE_BYTES = 16 * 1024;
const PER_PAGE_BYTES = 512;
/** Keys that lead from a page to other pages (or up the tree), not to what the page draws. */
const SKIP_KEYS = new Set(["Parent", "P", "Dest", "StructParent", "StructParents", "B", "Annots"]);

/** Page attributes a page may take from its ancestors in the page tree. */
const INHERITABLE = ["Resources", "MediaBox", "CropBox", "Rotate"];

const mib = (n: number) => `${(n / MIB).toFixed(1)} MB`;

export async function pdfPageCount(data: Uint8Array): Promise<number> {
  return (await load(data)).getPageCount();
}

async function load(data: Uint8Array): Promise<PDFDocument> {
  try {
    const doc = await PDFDocument.load(data, { updateMetadata: false, throwOnInvalidObject: false });
    // A file with no usable page tree loads, and fails only when its pages are asked for.
    doc.getPages();
    return doc;
  } catch (err) {
    const name = err instanceof Error ? `${err.name} ${err.message}` : String(err);
    if (/encrypt/i.test(name))
      throw new SplitError("encrypted", "This PDF is password-protected: remove the password, then send it again.");
    throw new SplitError("invalid_pdf", "This file could not be read as a PDF.");
  }
}

/** True when the whole file may go as it is. */
export function fitsWhole(size: number, pages: number | null, limits: SplitLimits): boolean {
  return size <= limits.maxBytes && (limits.maxPages === undefined || pages === null || pages <= limits.maxPages);
}

/**
 * The parts of `data`, in order, each within `limits`; a file already within them comes back
 * as one part with its bytes untouched. `onPart` is told as each part is written.
 */
export async function splitPdf(data: Uint8Array, limits: SplitLimits, onPart?: (done: number, total: number) => void): Promise<PdfPart[]> {
  const doc = await load(data);
  const total = doc.getPageCount();
  if (total === 0) throw new SplitError("empty", "This PDF has no pages.");
  if (limits.text) {
    const { max_pages } = limits.text;
    if (total > max_pages) {
      throw new SplitError(
        "too_many_pages",
        `This book has ${total.toLocaleString("en-US")} pages; the server reads at most ${max_pages.toLocaleString("en-US")} pages in one job. Send it as separate jobs of at most ${max_pages.toLocaleString("en-US")} pages (a volume each).`,
      );
    }
    // Parts small enough for the server to read each with every page of the book held.
    limits = { ...limits, maxBytes: Math.min(limits.maxBytes, bytesAllowing(total, limits.text)) };
  }
  if (fitsWhole(data.length, total, limits)) return [{ bytes: data, firstPage: 1, lastPage: total }];

  const ranges = planRanges(doc, limits);
  const parts: PdfPart[] = [];
  const pending = [...ranges];
  while (pending.length) {
    const [first, last] = pending.shift()!;
    const bytes = await writeRange(doc, first, last);
    if (bytes.length > limits.maxBytes) {
      if (first === last) throw pageTooLarge(first, bytes.length, limits);
      // The estimate was short: the two halves go back to the front, in order.
      const mid = Math.floor((first + last) / 2);
      pending.unshift([first, mid], [mid + 1, last]);
      continue;
    }
    parts.push({ bytes, firstPage: first + 1, lastPage: last + 1 });
    onPart?.(parts.length, parts.length + pending.length);
  }
  return parts;
}

/**
 * What to send of a PDF, as the web app and `cli submit` do: the file whole when the server
 * reads it whole whatever its pages, else the parts `splitPdf` cuts under `limits` (one part,
 * the file's own bytes, when it fits once its pages are counted). A file within the part size
 * that pdf-lib cannot read goes whole all the same: the server's reader judges it, in words.
 */
export async function partsToSend(
  data: Uint8Array,
  limits: SplitLimits,
  onPart?: (done: number, total: number) => void,
): Promise<Uint8Array[]> {
  if (sendsWhole(data.length, limits)) return [data];
  try {
    return (await splitPdf(data, limits, onPart)).map((p) => p.bytes);
  } catch (err) {
    if (err instanceof SplitError && err.code === "invalid_pdf" && data.length <= limits.maxBytes) return [data];
    throw err;
  }
}

const pageTooLarge = (index: number, size: number, limits: SplitLimits) =>
  new SplitError(
    "page_too_large",
    `Page ${index + 1} alone takes ${mib(size)}, more than the ${mib(limits.maxBytes)} a part may have: scan it at a lower resolution.`,
  );

/** Consecutive 0-based [first, last] page ranges whose estimated sizes fit the limits. */
function planRanges(doc: PDFDocument, limits: SplitLimits): Array<[number, number]> {
  const budget = limits.maxBytes - STRUCTURE_BYTES;
  const maxPages = limits.maxPages ?? Infinity;
  const pages = doc.getPages();
  const ranges: Array<[number, number]> = [];
  let first = 0;
  let seen = new Set<string>();
  let used = 0;
  for (let i = 0; i < pages.length; i++) {
    const objects = reachable(doc, pages[i]!.node);
    let added = PER_PAGE_BYTES;
    for (const [tag, size] of objects) if (!seen.has(tag)) added += size;
    const fits = used + added <= budget && i - first < maxPages;
    if (!fits && i > first) {
      ranges.push([first, i - 1]);
      first = i;
      seen = new Set();
      used = 0;
      added = PER_PAGE_BYTES + [...objects.values()].reduce((s, n) => s + n, 0);
    }
    for (const tag of objects.keys()) seen.add(tag);
    used += added;
  }
  ranges.push([first, pages.length - 1]);
  return ranges;
}

/** The indirect objects a page reaches (not its parent or other pages), with their sizes. */
function reachable(doc: PDFDocument, page: PDFDict): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (obj: PDFObject | undefined) => {
    if (obj === undefined) return;
    if (obj instanceof PDFRef) {
      const tag = obj.toString();
      if (found.has(tag)) return;
      const target = doc.context.lookup(obj);
      if (target === undefined) return;
      found.set(tag, target.sizeInBytes());
      visit(target);
    } else if (obj instanceof PDFStream) {
      visit(obj.dict);
    } else if (obj instanceof PDFDict) {
      for (const [key, value] of obj.entries()) if (!SKIP_KEYS.has(key.asString().slice(1))) visit(value);
    } else if (obj instanceof PDFArray) {
      for (let i = 0; i < obj.size(); i++) visit(obj.get(i));
    }
  };
  // Resources and the like may be inherited from the page tree: the leaf's own view of them.
  for (const key of INHERITABLE) {
    const own = page.get(PDFName.of(key));
    visit(own ?? inherited(doc, page, key));
  }
  for (const [key, value] of page.entries()) {
    const k = key.asString().slice(1);
    if (!SKIP_KEYS.has(k) && !INHERITABLE.includes(k)) visit(value);
  }
  return found;
}

function inherited(doc: PDFDocument, page: PDFDict, key: string): PDFObject | undefined {
  let parent = doc.context.lookup(page.get(PDFName.of("Parent")));
  for (let depth = 0; parent instanceof PDFDict && depth < 64; depth++) {
    const value = parent.get(PDFName.of(key));
    if (value !== undefined) return value;
    parent = doc.context.lookup(parent.get(PDFName.of("Parent")));
  }
  return undefined;
}

async function writeRange(doc: PDFDocument, first: number, last: number): Promise<Uint8Array> {
  const out = await PDFDocument.create({ updateMetadata: false });
  const indices = Array.from({ length: last - first + 1 }, (_, k) => first + k);
  const copied = await out.copyPages(doc, indices);
  for (const p of copied) out.addPage(p);
  return out.save({ useObjectStreams: true, addDefaultPage: false });
}
