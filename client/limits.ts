/**
 * The server's limits on one job's text, as a client applies them before sending a book
 * (`uploads.text` of GET /api/v1/limits; TEXT_LIMITS on the server). No PDF library here, so
 * the web app decides with it whether a PDF must be read (and pdf-lib loaded) at all.
 */

export const MIB = 1024 * 1024;

/** `uploads.text` of GET /api/v1/limits. */
export interface TextRule {
  max_pages: number;
  page_budget: number;
  pages_per_file_mib: number;
}

/**
 * The biggest PDF the server reads while it holds a book of `pages` pages: it allows
 * min(max_pages, page_budget − pages_per_file_mib × the PDF's MiB) pages while it reads one.
 */
export function bytesAllowing(pages: number, rule: TextRule): number {
  return Math.max(0, Math.floor(((rule.page_budget - pages) / rule.pages_per_file_mib) * MIB));
}

/**
 * Whether a PDF of `size` bytes may be sent whole without reading it first: within the part
 * size, and small enough for the server to read whatever its page count (up to the most one
 * job holds; a longer book is refused by the server in words).
 */
export function sendsWhole(size: number, limits: { maxBytes: number; text?: TextRule }): boolean {
  return size <= Math.min(limits.maxBytes, limits.text ? bytesAllowing(limits.text.max_pages, limits.text) : Infinity);
}
