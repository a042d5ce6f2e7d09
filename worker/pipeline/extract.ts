import { getDocumentProxy } from "unpdf";
import { emptyCaches } from "../lang";
import { countSelected, outsideBook, selects, type PageSelection } from "../../schema/pages";
import { beginPage, closeBudget, DECODE_LIMITS, openBudget, registerBudget, type DecodeBudget, type DecodeLimits } from "./decode-guard";
import { PipelineError } from "./errors";
import type { ExtractedPdf, Line, PageLines } from "./types";

/** The fields of a pdf.js text item this module relies on. */
interface TextItemLike {
  str: string;
  transform: number[];
  width: number;
  hasEOL?: boolean;
}

interface Glyphs {
  str: string;
  x: number;
  y: number;
  right: number;
  size: number;
}

export type ProgressCallback = (done: number, total: number) => void;

/**
 * How much of a book's text the plan step can hold at once within its memory budget (96 MiB of
 * a Worker's 128 MB), measured by `npm run bench:memory`. Every page of a job is held until the
 * book is cut into chunks (running heads, hyphenation and paragraphs are judged over the whole
 * book), parts included: a book sent in parts counts as a whole. The PDF being read is held
 * meanwhile too, so a big file leaves room for fewer pages: the pages allowed are
 * `min(maxPages, pageBudget − pagesPerFileMiB × the file's MiB)`, the characters in proportion.
 * Measured (worst of 3): 1,500 text pages in 3 MiB peak at ~80 MiB; 700 illustrated pages in
 * 23.5 MiB (what the rule allows there) at ~88; 1,000 in 23.5 MiB at ~98 and 1,500 in 13.5 MiB
 * at ~100, both refused by it.
 */
export interface TextLimits {
  /** Pages in one job; checked before any page of a PDF is read. */
  maxPages: number;
  /** Characters of text in one job; checked as the pages are read (dense pages cost more). */
  maxTextChars: number;
  /** Pages plus `pagesPerFileMiB` for each MiB of the PDF being read… */
  pageBudget: number;
  /** …may not pass `pageBudget`: a MiB of file costs about as much memory as 40 pages of text. */
  pagesPerFileMiB: number;
}

export const TEXT_LIMITS: TextLimits = { maxPages: 1500, maxTextChars: 3_500_000, pageBudget: 1650, pagesPerFileMiB: 40 };

const MIB = 1024 * 1024;

/** The pages and characters a job may hold while it reads a PDF of `bytes`. */
export function allowedText(limits: TextLimits, bytes: number): { pages: number; chars: number; reduced: boolean } {
  const byFile = Math.floor(limits.pageBudget - (limits.pagesPerFileMiB * bytes) / MIB);
  const pages = Math.max(0, Math.min(limits.maxPages, byFile));
  return { pages, chars: Math.floor((limits.maxTextChars * pages) / limits.maxPages), reduced: byFile < limits.maxPages };
}

/** What the earlier parts of the same book hold already (nothing for a book sent whole). */
export interface TextSoFar {
  pages: number;
  chars: number;
}

export interface ExtractOptions {
  /** Default TEXT_LIMITS; `null`: no limit (the CLI: a machine, not a 128 MB isolate). */
  limits?: TextLimits | null;
  /** What the earlier parts of the same book hold already. */
  before?: TextSoFar;
  /**
   * The caller gives `data` up: pdf.js takes its buffer as it is, which detaches it (empty
   * afterwards), instead of a copy, so the file is held once instead of twice while it is read.
   */
  handOver?: boolean;
  /** Only these pages are read (the `pages` setting), keeping their numbers; every page when absent. */
  pages?: PageSelection | null;
  /**
   * This PDF is a part of a book whose earlier parts have this many pages: `pages` counts in
   * the book's numbering (the part's page n is the book's offset + n), and whether the
   * selection fits the book is for the caller to judge once every part is read.
   */
  pageOffset?: number;
  /** Stops the reading (between two pages) when aborted: the web app's estimate of a book no longer wanted. */
  signal?: AbortSignal;
  /** What pdf.js may decompress (default DECODE_LIMITS; the tests' smaller ones). */
  decodeLimits?: DecodeLimits;
  /** Most text items on one page (default MAX_PAGE_TEXT_ITEMS). */
  maxPageItems?: number;
  /** The plan step's time: checked before each page (see `Deadline`). */
  deadline?: Deadline;
}

/**
 * When the plan step must have read the book by (`Date.now()` ms), and how long it was given.
 * The plan consumer sets it below the Worker's `cpu_ms`: past it the job fails
 * `cpu_time_exceeded`, checked between pages, instead of the platform ending the invocation
 * and the queue trying the same work again. Wall time, which is at least the CPU time; in
 * production a Worker's clock moves only at I/O, so there it is `cpu_ms` that stops a plan, and
 * the plan consumer's next attempt sees that the earlier one died (worker/jobs/queues/plan.ts).
 */
export interface Deadline {
  at: number;
  ms: number;
}

/** Fails the job when the plan step's time is up (`doing`: what it was at, for the message). */
export function checkDeadline(deadline: Deadline | undefined, doing: string): void {
  if (!deadline || Date.now() <= deadline.at) return;
  throw new PipelineError(
    "cpu_time_exceeded",
    `Reading this book took longer than the ${thousands(Math.round(deadline.ms / 1000))} s the server gives one job (it was ${doing}). ` +
      "Send it as separate jobs of fewer pages (or in smaller parts).",
  );
}

/**
 * pdf.js keeps caches for the whole document that grow with every page read: above all each
 * font's glyphs for every distinct string drawn, about 25 KB a page of a novel (25 MB for
 * 1,000 pages). `cleanup()` every so many pages empties them; the font is parsed again on
 * the next page, which costs a few milliseconds, and the text read is the same.
 */
const CLEANUP_EVERY_PAGES = 25;

/**
 * Reads the text layer of a PDF into lines, page by page.
 *
 * Pages are read one at a time and released straight after, and pdf.js's document caches
 * are emptied every few pages, so what is held grows only with the lines kept (workerd
 * allows 128 MB). A book over `limits` (counting what its earlier parts hold, `before`) is
 * refused before it outgrows the budget. With `pages`, only those pages are read (and
 * counted against the limits), each keeping its number in the book.
 */
export async function extractPdf(data: Uint8Array, onPage?: ProgressCallback, opts: ExtractOptions = {}): Promise<ExtractedPdf> {
  const { limits = TEXT_LIMITS, before = { pages: 0, chars: 0 } } = opts;
  // A chunk consumer in this isolate may have filled the tagger's caches: the book needs the room.
  emptyCaches();
  const allowed = limits && allowedText(limits, data.byteLength);
  const fileMiB = data.byteLength / MIB;
  const pages: PageLines[] = [];
  let chars = before.chars;
  const read = await readPages(
    data,
    opts,
    (_bookPages, wanted) => {
      if (allowed && before.pages + wanted > allowed.pages) {
        throw tooManyPages(before.pages + wanted, allowed.pages, before.pages > 0, allowed.reduced ? fileMiB : undefined);
      }
    },
    (n, lines, done, wanted) => {
      pages.push({ page: n, lines });
      for (const l of lines) chars += l.text.length;
      if (allowed && chars > allowed.chars) throw tooMuchText(before.pages + done, allowed.chars, allowed.reduced ? fileMiB : undefined);
      onPage?.(done, wanted);
    },
  );
  return { pageCount: pages.length, bookPages: read.bookPages, pages, width: read.width, height: read.height };
}

/** What `measurePdf` tells of a PDF without keeping its text. */
export interface PdfMeasure {
  /** Pages in the file. */
  bookPages: number;
  /** For each page read (the selection, else every page): its number, its characters of text (what TEXT_LIMITS counts) and of them the non-space ones. */
  pages: { page: number; chars: number; ink: number }[];
}

/**
 * The pages of a PDF and how much text each holds, as `extractPdf` would read them (the same
 * lines), holding no text: what an estimate needs, in the Worker and in the browser alike.
 */
export async function measurePdf(data: Uint8Array, opts: Pick<ExtractOptions, "handOver" | "pages" | "signal"> = {}): Promise<PdfMeasure> {
  const pages: PdfMeasure["pages"] = [];
  const { bookPages } = await readPages(
    data,
    opts,
    () => undefined,
    (page, lines) => {
      let chars = 0;
      let ink = 0;
      for (const l of lines) {
        chars += l.text.length;
        ink += l.text.replace(/\s/gu, "").length;
      }
      pages.push({ page, chars, ink });
    },
  );
  return { bookPages, pages };
}

/**
 * Opens the PDF and reads the text of each page wanted (the selection, else all), one at a
 * time: `begin(bookPages, wanted)` once it is open (it may throw to refuse), then
 * `page(n, lines, done, wanted)` for each page read.
 */
async function readPages(
  data: Uint8Array,
  opts: Pick<ExtractOptions, "handOver" | "pages" | "pageOffset" | "signal" | "decodeLimits" | "maxPageItems" | "deadline">,
  begin: (bookPages: number, wanted: number) => void,
  page: (n: number, lines: Line[], done: number, wanted: number) => void,
): Promise<{ bookPages: number; width: number; height: number }> {
  // Everything pdf.js decompresses for this reading is counted here (decode-guard.ts).
  const budget = openBudget(opts.decodeLimits ?? DECODE_LIMITS);
  const maxItems = opts.maxPageItems ?? MAX_PAGE_TEXT_ITEMS;
  let doc: Awaited<ReturnType<typeof openDocument>>;
  try {
    // pdf.js transfers (detaches) the buffer it is given: a copy, unless the caller hands it over.
    doc = await openDocument(opts.handOver ? data : data.slice(), budget);
  } catch (err) {
    closeBudget(undefined, budget);
    throw err;
  }
  const docId = doc.loadingTask.docId;
  registerBudget(docId, budget);
  try {
    refuseDecoded(budget, null);
    const bookPages = doc.numPages;
    const sel = opts.pages ?? null;
    const offset = opts.pageOffset ?? 0;
    if (opts.pageOffset === undefined) refuseOutside(sel, bookPages);
    const wanted = countSelected(sel, offset + bookPages) - countSelected(sel, offset);
    begin(bookPages, wanted);
    let width = 0;
    let height = 0;
    let done = 0;
    for (let n = 1; n <= bookPages; n++) {
      if (!selects(sel, offset + n)) continue;
      opts.signal?.throwIfAborted();
      const bookPage = offset + n;
      checkDeadline(opts.deadline, `reading page ${thousands(bookPage)}`);
      beginPage(budget);
      const p = await doc.getPage(n).catch((err: unknown) => {
        throw decodeRefusal(budget, bookPage) ?? toPipelineError(err) ?? err;
      });
      let lines: Line[];
      try {
        if (done === 0) {
          const [x0, y0, x1, y1] = p.view;
          width = Math.abs(x1 - x0);
          height = Math.abs(y1 - y0);
        }
        const items = await readTextItems(p, maxItems, bookPage).catch((err: unknown) => {
          throw decodeRefusal(budget, bookPage) ?? toPipelineError(err) ?? err;
        });
        refuseDecoded(budget, bookPage);
        lines = groupLines(items);
      } finally {
        p.cleanup();
      }
      done++;
      page(n, lines, done, wanted);
      if (done % CLEANUP_EVERY_PAGES === 0 && done < wanted) await doc.cleanup();
      await letOthersIn();
    }
    return { bookPages, width, height };
  } finally {
    closeBudget(docId, budget);
    await doc.destroy();
  }
}

/**
 * Most pieces of text (pdf.js's text items: a run of glyphs drawn together) one page may hold.
 * A page of a novel has a few hundred to a few thousand (one a glyph in the worst-made PDFs: a
 * dense page has ~3,000 glyphs); each costs some hundred bytes while the page is read, so a
 * content stream of a million tiny `Tj` would hold hundreds of MB. The page's text is read as a
 * stream and the reading stops as soon as it passes this: the job fails `too_many_text_items`.
 */
export const MAX_PAGE_TEXT_ITEMS = 20_000;

/** The page's text items, read as pdf.js streams them, refused past `max`. */
async function readTextItems(p: PDFPageProxy, max: number, bookPage: number): Promise<TextItemLike[]> {
  const items: TextItemLike[] = [];
  const reader = p.streamTextContent().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return items;
      // Marked-content markers carry no text.
      for (const item of (value as { items: unknown[] }).items)
        if (typeof item === "object" && item !== null && "str" in item) items.push(item as TextItemLike);
      if (items.length > max) {
        // pdf.js stops reading the page (its cancel needs an Error as the reason).
        await reader.cancel(new Error("too many text items"));
        throw new PipelineError(
          "too_many_text_items",
          `Page ${thousands(bookPage)} of this PDF is drawn as more than ${thousands(max)} separate pieces of text; the server reads at most that many on a page (a book's page has a few thousand at most). The file may be damaged or made to be expensive to read.`,
        );
      }
    }
  } finally {
    reader.releaseLock();
  }
}

type PDFPageProxy = Awaited<ReturnType<Awaited<ReturnType<typeof openDocument>>["getPage"]>>;

/** The refusal recorded on the budget (pdf.js may have swallowed the error it was thrown as), as the reader's error. */
export function decodeRefusal(budget: DecodeBudget, bookPage: number | null): PipelineError | undefined {
  const r = budget.refused;
  if (!r) return undefined;
  const mb = (b: number) => `${Math.round(b / (1024 * 1024))} MB`;
  const where = bookPage === null ? "where the document begins" : `on page ${thousands(bookPage)}`;
  const what =
    r.limit === "stream"
      ? `a compressed stream ${where} decompresses to more than ${mb(budget.limits.maxStreamBytes)}`
      : `the compressed streams ${where} decompress to more than ${mb(budget.limits.maxPageBytes)} together`;
  return new PipelineError(
    "pdf_stream_too_large",
    `This PDF cannot be read: ${what}, far more than a book's page needs (a compression bomb, or a damaged file). The server stops before decompressing it.`,
  );
}

function refuseDecoded(budget: DecodeBudget, bookPage: number | null): void {
  const err = decodeRefusal(budget, bookPage);
  if (err) throw err;
}

/**
 * pdf.js reads a page through promises that settle at once (its worker runs in the same thread),
 * so a whole book is read without the event loop ever running: in a Worker, every other request
 * to the isolate (the health check, another reader's upload, the job's own progress) waits for
 * the plan to end, seconds on a big or costly book. Between pages, a timer lets them in: when
 * 16 ms have passed since the last one, or every 8 pages (a Worker's clock stands still while
 * code runs, until some I/O). Measured by test/e2e/hostile.test.ts.
 */
let lastYield = Date.now();
let pagesSinceYield = 0;
async function letOthersIn(): Promise<void> {
  if (++pagesSinceYield < 8 && Date.now() - lastYield < 16) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  pagesSinceYield = 0;
  lastYield = Date.now();
}

/** A selection with a page past the book's end fails the job (pages_outside_book), naming the setting. */
export function refuseOutside(sel: PageSelection | null, bookPages: number): void {
  const outside = outsideBook(sel, bookPages);
  if (outside) throw new PipelineError("pages_outside_book", `The pages asked for (pages) do not fit this book: ${outside}.`);
}

/** Characters of text on the pages read (what `TextLimits.maxTextChars` counts). */
export function textChars(pdf: ExtractedPdf): number {
  let chars = 0;
  for (const p of pdf.pages) for (const l of p.lines) chars += l.text.length;
  return chars;
}

const thousands = (n: number) => n.toLocaleString("en-US");
const TOGETHER = "all of a book's pages are read together, even when it is sent in parts";
/** Why the limit is lower than usual: the file read at the same time. */
const withFile = (fileMiB?: number) =>
  fileMiB === undefined ? "" : ` while it reads a PDF of ${Number(fileMiB.toFixed(1))} MB (the file and the text share the memory)`;
const fewer = (fileMiB?: number) => (fileMiB === undefined ? "" : ", or in smaller parts");

function tooManyPages(pages: number, max: number, atLeast: boolean, fileMiB?: number): PipelineError {
  return new PipelineError(
    "too_many_pages",
    `This book has ${atLeast ? "at least " : ""}${thousands(pages)} pages; the server reads at most ${thousands(max)} pages of text in one job${withFile(fileMiB)} (${TOGETHER}). ` +
      `Send it as separate jobs of at most ${thousands(max)} pages${fewer(fileMiB)}.`,
  );
}

function tooMuchText(page: number, max: number, fileMiB?: number): PipelineError {
  return new PipelineError(
    "too_much_text",
    `This book has more than ${thousands(max)} characters of text by its page ${thousands(page)}; the server reads at most that much text in one job${withFile(fileMiB)} (${TOGETHER}). ` +
      `Send it as separate jobs of fewer pages${fewer(fileMiB)}.`,
  );
}

async function openDocument(data: Uint8Array, budget: DecodeBudget) {
  try {
    // Errors only: pdf.js warnings ("Indexing all PDF objects") would flood worker logs.
    return await getDocumentProxy(data, { verbosity: 0 });
  } catch (err) {
    // Whatever stops pdf.js from opening the file is about the file, not about us.
    throw decodeRefusal(budget, null) ?? toPipelineError(err) ?? invalidPdf();
  }
}

// pdf.js reports problems with the file itself under these names.
const PDFJS_FILE_ERRORS = new Set([
  "InvalidPDFException",
  "MissingPDFException",
  "FormatError",
  "UnknownErrorException",
  "UnexpectedResponseException",
]);

function errorName(err: unknown): string {
  if (typeof err === "object" && err !== null && "name" in err) return String(err.name);
  return "";
}

function invalidPdf(): PipelineError {
  return new PipelineError("invalid_pdf", "This file could not be read as a PDF. It may be damaged or not a PDF at all.");
}

/** The reader-facing error for a pdf.js failure, or undefined when it is not about the file. */
function toPipelineError(err: unknown): PipelineError | undefined {
  if (err instanceof PipelineError) return err;
  const name = errorName(err);
  if (name === "PasswordException") {
    return new PipelineError("encrypted_pdf", "This PDF is password-protected. Remove the password and upload it again.");
  }
  return PDFJS_FILE_ERRORS.has(name) ? invalidPdf() : undefined;
}

/** Groups text items into visual lines by baseline, top to bottom, left to right. */
export function groupLines(items: TextItemLike[]): Line[] {
  const glyphs: Glyphs[] = [];
  for (const it of items) {
    if (it.str === "" || (it.str.trim() === "" && it.width === 0)) continue;
    const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = it.transform;
    // Font size is the vertical scale of the text matrix; fall back to the horizontal one.
    const size = Math.hypot(c, d) || Math.hypot(a, b) || 1;
    glyphs.push({ str: it.str, x: e, y: f, right: e + it.width, size });
  }
  // Top to bottom; a stable sort keeps content order for items on the same baseline.
  glyphs.sort((p, q) => q.y - p.y);

  const rows: Glyphs[][] = [];
  for (const g of glyphs) {
    const row = rows[rows.length - 1];
    // Same line when baselines are within a fraction of the font size (sub/superscripts, jitter).
    if (row && Math.abs(row[0]!.y - g.y) <= 0.35 * Math.min(row[0]!.size, g.size)) row.push(g);
    else rows.push([g]);
  }

  const lines: Line[] = [];
  for (const row of rows) {
    row.sort((p, q) => p.x - q.x);
    let text = "";
    let prevRight = Number.NEGATIVE_INFINITY;
    let size = 0;
    for (const g of row) {
      // pdf.js drops inter-word spaces between separately drawn runs; restore them from the gap.
      const gap = g.x - prevRight;
      if (text !== "" && gap > 0.15 * g.size && !/\s$/u.test(text) && !/^\s/u.test(g.str)) text += " ";
      text += g.str;
      prevRight = Math.max(prevRight, g.right);
      size = Math.max(size, g.size);
    }
    // Collapse ordinary whitespace only: U+00A0/U+202F before ; : ! ? carry meaning for segmentation.
    text = text.replace(/[ \t\r\n]+/g, " ").replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (text === "") continue;
    lines.push({ text, x: row[0]!.x, y: row[0]!.y, right: prevRight, size });
  }
  return lines;
}
