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
 * What a Gemini reading of text costs, as measured on the Verne novel through the real engine
 * against the fake Gemini (which counts a request and an answer at 4 characters a token, as
 * `textTokens` does): each request ~560 tokens beyond its text (the system instruction, the
 * response schema, the JSON around the paragraphs; 60 → 123 → 253 requests for the same book
 * cost 433,509 → 468,710 → 541,507 tokens), and each token of book text ~2.27 (the text going in
 * as JSON, ~1.07, and coming back as JSON sentences, ~1.2). The plan reserves this much for a
 * Gemini job and the estimate quotes it; a job that uses more reserves more as it goes
 * (worker/jobs/tracker/funds.ts), so a difference of the real tokenizer costs nobody.
 */
export const GEMINI_CALL_TOKENS = 560;
export const GEMINI_TOKENS_PER_TEXT_TOKEN = 2.27;
/** Output tokens per token of text in Gemini's answer (JSON sentences), with room for rewrites that add words. */
const GEMINI_OUTPUT_ALLOWANCE = 2.5;
/** The models' own output limit (gemini-2.5-flash and -pro: 65,536 tokens). */
export const GEMINI_MAX_OUTPUT_TOKENS = 65_536;

/** Tokens a Gemini reading of `chars` characters in `calls` requests is expected to cost, in and out. */
export const geminiTextTokens = (chars: number, calls: number): number =>
  Math.ceil(textTokens(chars) * GEMINI_TOKENS_PER_TEXT_TOKEN) + Math.max(1, calls) * GEMINI_CALL_TOKENS;

/**
 * `maxOutputTokens` of a request reading `chars` characters: what its answer can need, not
 * the model's whole limit, so that a runaway answer stops (and is cut in halves) early.
 */
export const geminiOutputLimit = (chars: number): number =>
  Math.min(GEMINI_MAX_OUTPUT_TOKENS, Math.ceil(textTokens(chars) * GEMINI_OUTPUT_ALLOWANCE) + 512);

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
