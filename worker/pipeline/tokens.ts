/**
 * What a book's text is counted at, in tokens: the plan's estimate of each chunk, what the
 * local engine reports it used (so a job's `actual_tokens` and its charge follow the text it
 * read), and the estimate before an upload (POST /api/v1/estimate). Pure: the web app counts
 * with it too.
 */

import { selects, type PageSelection } from "../../schema/pages";

/** About 4 characters of French text a token. */
export const CHARS_PER_TOKEN = 4;
/** What reading one scanned page is estimated to cost (Gemini reads the page image). */
export const SCAN_TOKENS_PER_PAGE = 800;
/** A page with fewer non-space characters than this is blank, a picture, or a scanned image. */
export const TEXT_PAGE_CHARS = 40;

/** Tokens of `chars` characters of text. */
export const textTokens = (chars: number): number => Math.ceil(Math.max(0, chars) / CHARS_PER_TOKEN);

/**
 * Whether pages carry a text layer, from the non-space characters of each: most pages must
 * carry real text (a scan with a stamped page number does not count).
 */
export function hasTextPages(inkPerPage: readonly number[]): boolean {
  if (inkPerPage.length === 0) return false;
  const textPages = inkPerPage.filter((ink) => ink >= TEXT_PAGE_CHARS).length;
  return textPages > 0 && textPages >= 0.1 * inkPerPage.length;
}

/** A book's pages as measured (worker/pipeline/extract.ts `measurePdf`): each page's characters, and of them the non-space ones. */
export interface PageText {
  chars: number;
  ink: number;
}

/**
 * What a job would read of a book measured page by page (pages numbered from 1 in order): the
 * pages `sel` keeps, their characters of text, and whether they are a scan (page images are).
 */
export function selectedText(pages: readonly PageText[], sel: PageSelection | null, images = false) {
  let textChars = 0;
  const inks: number[] = [];
  pages.forEach((p, i) => {
    if (!selects(sel, i + 1)) return;
    textChars += p.chars;
    inks.push(p.ink);
  });
  return { pages: inks.length, bookPages: pages.length, textChars, scanned: images || !hasTextPages(inks) };
}
