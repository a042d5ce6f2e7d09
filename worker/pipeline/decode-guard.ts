/**
 * What pdf.js may decompress while it reads a PDF. pdf.js decodes each stream (a page's
 * contents, a font, a CMap, an object stream) into one buffer that holds the whole decoded
 * stream: a 10 MB FlateDecode stream of zeros would grow it to gigabytes inside one synchronous
 * call. scripts/patch-pdfjs.mjs (run at install) makes pdf.js call `globalThis.__fntDecodeGuard`
 * before it allocates decoded bytes; the guard installed here throws once a stream, or all the
 * streams decoded for one page, pass `DecodeLimits`, so nothing past them is ever allocated.
 * pdf.js swallows many errors while it reads a page (it reads what it can of a damaged one), so
 * the refusal is also recorded on the reading's budget, which `extract.ts` checks after the
 * document is opened and after every page: the job then fails `pdf_stream_too_large`.
 */
export interface DecodeLimits {
  /** Bytes one stream may decode to (its buffer's final size, or the chunks of a DecompressionStream). */
  maxStreamBytes: number;
  /** Bytes all the streams decoded while one page is read (or the document opened) may add up to. */
  maxPageBytes: number;
}

const MIB = 1024 * 1024;

/**
 * Measured on the corpus novels: the largest stream pdf.js decodes is 8 KiB, the busiest page
 * 16 KiB in all; an embedded font is tens to hundreds of KiB, a whole one a few MiB at most. A
 * scan's images are not decoded to read text. The limits keep what a hostile page makes pdf.js
 * hold within the memory budget (`npm run bench:memory -- --only hostile`, docs/bench.md).
 */
export const DECODE_LIMITS: DecodeLimits = { maxStreamBytes: 4 * MIB, maxPageBytes: 8 * MIB };

/** One reading's account: what it decoded since its last page began, and whether it was refused. */
export interface DecodeBudget {
  limits: DecodeLimits;
  /** Bytes decoded since `beginPage` (or since the budget was made: the document's opening). */
  used: number;
  /** The most one page (or the opening) decoded, and the largest single stream: for measuring. */
  peakPage: number;
  peakStream: number;
  /** Set by the first refusal: what was being decoded, and which limit it passed. */
  refused?: { limit: "stream" | "page"; bytes: number };
}

/** The refusal thrown inside pdf.js (which may swallow it: the budget keeps it). */
export class DecodeLimitError extends Error {
  override name = "DecodeLimitError";
}

/** The fields of pdf.js's stream objects the guard reads (a stream's dictionary knows its document). */
interface StreamLike {
  dict?: { xref?: { pdfManager?: { docId?: unknown } } };
}

const budgets = new Map<string, DecodeBudget>();
/** The budget whose page is being read now: streams that name no document are counted there. */
let current: DecodeBudget | undefined;
/** Bytes each stream has decoded so far (the guard is called with each growth). */
const perStream = new WeakMap<object, number>();

function guard(stream: StreamLike, bytes: number): void {
  const id = stream?.dict?.xref?.pdfManager?.docId;
  const budget = (typeof id === "string" ? budgets.get(id) : undefined) ?? current;
  const limits = budget?.limits ?? DECODE_LIMITS;
  const total = (perStream.get(stream) ?? 0) + bytes;
  if (typeof stream === "object" && stream !== null) perStream.set(stream, total);
  if (!budget) {
    if (total > limits.maxStreamBytes) throw new DecodeLimitError(`a PDF stream decodes to over ${limits.maxStreamBytes} bytes`);
    return;
  }
  // Once refused, every later stream of the reading is refused at its first byte: pdf.js goes
  // on with the page's next operators after an error, and must not decode anything more.
  if (budget.refused) throw new DecodeLimitError("this PDF's reading was refused");
  budget.used += bytes;
  budget.peakStream = Math.max(budget.peakStream, total);
  budget.peakPage = Math.max(budget.peakPage, budget.used);
  if (total > limits.maxStreamBytes) budget.refused = { limit: "stream", bytes: total };
  else if (budget.used > limits.maxPageBytes) budget.refused = { limit: "page", bytes: budget.used };
  if (budget.refused)
    throw new DecodeLimitError(`a PDF ${budget.refused.limit === "stream" ? "stream" : "page"} decodes to over its limit`);
}

(globalThis as { __fntDecodeGuard?: typeof guard }).__fntDecodeGuard = guard;

/** A budget for a reading about to open its document: counted as `current` until it is registered. */
export function openBudget(limits: DecodeLimits = DECODE_LIMITS): DecodeBudget {
  const budget: DecodeBudget = { limits, used: 0, peakPage: 0, peakStream: 0 };
  current = budget;
  return budget;
}

/** The opened document's id (pdf.js's `loadingTask.docId`): its streams are counted on this budget. */
export function registerBudget(docId: string, budget: DecodeBudget): void {
  budgets.set(docId, budget);
}

/** A page is about to be read: its streams start from nothing. */
export function beginPage(budget: DecodeBudget): void {
  budget.used = 0;
  current = budget;
}

/** The reading is over. */
export function closeBudget(docId: string | undefined, budget: DecodeBudget): void {
  if (docId !== undefined) budgets.delete(docId);
  if (current === budget) current = undefined;
}
