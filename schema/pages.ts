/**
 * The `pages` setting: which pages of a book a job reads ("12-240", "1-10,15,30-"). Pure: the
 * settings' validation, the pipeline (worker/pipeline/extract.ts reads only these pages), the
 * estimate and the web app's Pages field share it. Page numbers are the book's, 1-based; a
 * range with no end ("30-") runs to the book's last page.
 */

/** Pages `from` to `to` (inclusive); `to` null: to the book's end. */
export interface PageSpan {
  from: number;
  to: number | null;
}

/** Sorted, non-overlapping, non-adjacent spans (what `parsePages` makes). */
export type PageSelection = readonly PageSpan[];

/** What `parsePages` refuses, in words for a reader. */
export class PageRangeError extends Error {
  override name = "PageRangeError";
}

/** The longest `pages` value accepted, and the most ranges in it. */
export const MAX_PAGES_SPEC = 500;
const MAX_SPANS = 100;
/** No book has more pages (a job reads at most TEXT_LIMITS' 1,500 of them). */
const MAX_PAGE = 100_000;

export const PAGES_HINT = "write page numbers and ranges like 12-240 or 1-10,15,30-";

/**
 * "1-10, 15 ,30-" → its spans, sorted and merged; "", "all" (or only spaces) → null: every
 * page. Throws PageRangeError for anything else (a reversed range, page 0, letters…).
 */
export function parsePages(spec: string): PageSelection | null {
  const text = spec.trim();
  if (text === "" || /^all$/i.test(text)) return null;
  if (text.length > MAX_PAGES_SPEC) throw new PageRangeError(`must be at most ${MAX_PAGES_SPEC} characters`);
  const items = text.split(",").map((s) => s.trim());
  if (items.length > MAX_SPANS) throw new PageRangeError(`at most ${MAX_SPANS} ranges`);
  const spans: PageSpan[] = [];
  for (const item of items) {
    const m = /^(\d{1,6})\s*(?:([-\u2013])\s*(\d{1,6})?)?$/.exec(item);
    if (!m) throw new PageRangeError(`"${item}" is not a page or a range: ${PAGES_HINT}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : m[3] === undefined ? null : Number(m[3]);
    if (from < 1 || (to !== null && to < 1)) throw new PageRangeError(`"${item}": pages are numbered from 1`);
    if (from > MAX_PAGE || (to !== null && to > MAX_PAGE)) throw new PageRangeError(`"${item}": no book has that many pages`);
    if (to !== null && to < from) throw new PageRangeError(`"${item}" ends before it starts`);
    spans.push({ from, to });
  }
  spans.sort((a, b) => a.from - b.from);
  const merged: PageSpan[] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    // Overlapping or adjacent ranges make one.
    if (last && (last.to === null || s.from <= last.to + 1)) {
      last.to = last.to === null || s.to === null ? null : Math.max(last.to, s.to);
    } else merged.push({ ...s });
  }
  return merged;
}

/** The canonical text of a selection ("1-10,15,30-"), as jobs store and show it. */
export function formatPages(sel: PageSelection): string {
  return sel.map((s) => (s.to === s.from ? String(s.from) : `${s.from}-${s.to ?? ""}`)).join(",");
}

/** `spec` in its canonical form; null for every page. Throws PageRangeError. */
export const normalizePages = (spec: string): string | null => {
  const sel = parsePages(spec);
  return sel ? formatPages(sel) : null;
};

/** Whether page `page` is read; a null selection reads every page. */
export function selects(sel: PageSelection | null, page: number): boolean {
  if (!sel) return true;
  return sel.some((s) => page >= s.from && (s.to === null || page <= s.to));
}

/** The pages of a book of `bookPages` pages that `sel` reads, in order. */
export function selectedPages(sel: PageSelection | null, bookPages: number): number[] {
  const out: number[] = [];
  for (const s of sel ?? [{ from: 1, to: null }]) {
    for (let p = s.from; p <= Math.min(s.to ?? bookPages, bookPages); p++) out.push(p);
  }
  return out;
}

/** How many pages of a book of `bookPages` pages `sel` reads. */
export function countSelected(sel: PageSelection | null, bookPages: number): number {
  let n = 0;
  for (const s of sel ?? [{ from: 1, to: null }]) n += Math.max(0, Math.min(s.to ?? bookPages, bookPages) - s.from + 1);
  return n;
}

/** The highest page `sel` names (an open range names its start): the book must have it. */
export const lastNamedPage = (sel: PageSelection): number => Math.max(...sel.map((s) => s.to ?? s.from));

/**
 * Why `sel` does not fit a book of `bookPages` pages (a range past its last page), in words;
 * null when it fits.
 */
export function outsideBook(sel: PageSelection | null, bookPages: number): string | null {
  if (!sel) return null;
  const last = lastNamedPage(sel);
  if (last <= bookPages) return null;
  return `page ${last} is past the end of this book, which has ${bookPages} page${bookPages === 1 ? "" : "s"}`;
}
