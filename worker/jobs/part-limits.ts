import { ApiError } from "../core/errors";
import { config } from "../core/config";

/**
 * The largest PDF the server opens: a whole book, or one part of a book sent in parts.
 * pdf.js (reading the text) and pdf-lib (cutting a scan into page ranges) hold a file several
 * times over; measured on scans they stay within 96 MiB of a Worker's 128 MB up to ~29 and
 * ~26 MiB (docs/bench.md, "Memory"), so the default is 24 MiB, under both.
 *
 * Only bytes are checked, not pages: the measured memory grows with a file's bytes, and no
 * page-count limit has been measured to compare with. Nor can the count be read cheaply and
 * reliably: in most PDFs written today (pdf-lib's included) the page tree sits in a compressed
 * object stream behind a cross-reference stream, so finding /Count means inflating and parsing
 * part of the file, which is what the limit is there to avoid doing blindly.
 */
export const maxPartBytes = (env: Env): number => config(env).MAX_PART_BYTES;

/** PARTS_TTL_SECONDS, at least 5 (a shorter wait is no use to anyone sending parts; it is the tests'). */
export const partsTtlMs = (env: Env): number => config(env).PARTS_TTL_SECONDS * 1000;

/** Bytes as the API's messages show them ("24 MB", "30.5 MB"; MiB, as every size message here). */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number(mb >= 1 ? mb.toFixed(1) : mb.toPrecision(2))} MB`;
}

/** How to send a book bigger than the limit: the two ways of sending parts. */
export function partsAdvice(limit: number): string {
  return (
    `Send the book in parts of at most ${megabytes(limit)}, each a consecutive range of its pages, in page order: ` +
    `either all in one request (POST /api/v1/jobs with the form field pdf_file repeated, one per part), ` +
    `or one request per part (POST /api/v1/jobs with {"parts": N}, then PUT /api/v1/jobs/<id>/parts/<n> with each part as the body). ` +
    `The pages are numbered across the parts and the sentences are those of the whole book.`
  );
}

/**
 * Why a file is refused: `what` names it ("This PDF", "Part 2"), `size` is given when known
 * (otherwise it is only known to be over the limit, as when a stream is cut short).
 */
export function tooLargeMessage(limit: number, what = "This PDF", size?: number): string {
  const is = size === undefined ? "is larger than" : `is ${megabytes(size)}, more than`;
  return `${what} ${is} the ${megabytes(limit)} the server can open at once. ${partsAdvice(limit)}`;
}

/** 413 too_large: one file over MAX_PART_BYTES. */
export const tooLarge = (limit: number, field?: string, what?: string, size?: number) =>
  new ApiError(413, "too_large", tooLargeMessage(limit, what, size), field);
