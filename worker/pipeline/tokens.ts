/**
 * What a book's text is counted at, in tokens: the plan's estimate of each chunk, what the
 * local engine reports it used (so a job's `actual_tokens` and its charge follow the text it
 * read), and the estimate before an upload (POST /api/v1/estimate). Pure: the web app counts
 * with it too.
 */

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
