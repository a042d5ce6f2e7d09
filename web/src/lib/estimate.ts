// The estimate shown as soon as a book is chosen (POST /api/v1/estimate): the PDF is read here in
// the browser with the server's own measuring code (worker/pipeline/extract.ts `measurePdf`, pdf.js
// through unpdf, loaded only then), and only its counts are sent; page images are one page each.
// A PDF the browser cannot read is said so in pdf.js's words (the server would refuse it the same
// way); a PDF too big to read here before it is sent gets no estimate.
import type { Estimate } from "../../../schema/before";
import { outsideBook, parsePages, PageRangeError } from "../../../schema/pages";
import { selectedText, type PageText } from "../../../worker/pipeline/tokens";
import { api, ApiError, ok } from "./api";
import { isPdf } from "./upload";

export type { Estimate };

/** What the browser found in the chosen files: each page's characters and non-space characters. */
export interface Measured {
  pages: PageText[];
  /** Page images: pages with no text layer. */
  images: boolean;
  size: number;
}

/** PDFs up to this size are read here for their estimate (a novel is a few MB; a bigger scan is read by the server when it is sent). */
export const MEASURE_MAX_BYTES = 64 * 1024 * 1024;

/** Why the chosen files get no estimate here, in words. */
export class NotMeasured extends Error {}

/**
 * The chosen files measured; NotMeasured (its message for the reader) when they cannot be: a
 * PDF that is not one, password-protected, or too big to read here first. `signal` stops the
 * reading (a book no longer wanted, or sent already).
 */
export async function measureFiles(files: File[], signal?: AbortSignal): Promise<Measured> {
  const size = files.reduce((n, f) => n + f.size, 0);
  if (!files.some(isPdf)) return { pages: files.map(() => ({ chars: 0, ink: 0 })), images: true, size };
  if (size > MEASURE_MAX_BYTES)
    throw new NotMeasured(
      "This book is too big to estimate before it is sent; its pages and credits are known once the server has read it.",
    );
  const [{ measurePdf }, { PipelineError }] = await Promise.all([
    import("../../../worker/pipeline/extract"),
    import("../../../worker/pipeline/errors"),
  ]);
  const pages: Measured["pages"] = [];
  for (const f of files) {
    try {
      const m = await measurePdf(new Uint8Array(await f.arrayBuffer()), { handOver: true, signal });
      pages.push(...m.pages.map(({ chars, ink }) => ({ chars, ink })));
    } catch (err) {
      // Its words are the server's: the upload would be refused, or its job fail, for the same reason.
      if (err instanceof PipelineError) throw new NotMeasured(err.message);
      throw err;
    }
  }
  return { pages, images: false, size };
}

/** The `pages` field checked against the book, in words; null when it is fine (or empty). */
export function pagesProblem(spec: string | null | undefined, bookPages: number | null): string | null {
  try {
    const sel = parsePages(spec ?? "");
    return sel && bookPages !== null ? outsideBook(sel, bookPages) : null;
  } catch (err) {
    if (err instanceof PageRangeError) return err.message;
    throw err;
  }
}

/** The estimate of what was measured, with the page range and model of the form. */
export function estimateMeasured(m: Measured, spec: string | null, geminiModel?: string): Promise<Estimate> {
  // What the server would read of it, judged as the server judges it.
  const t = selectedText(m.pages, parsePages(spec ?? ""), m.images);
  return ok(
    api.POST("/api/v1/estimate", {
      body: {
        pages: Math.max(1, t.pages),
        book_pages: t.bookPages,
        text_chars: t.textChars,
        scanned: t.scanned,
        file_size: m.size,
        ...(geminiModel ? { gemini_model: geminiModel } : {}),
      },
    }),
  );
}

/** "about 40 s", "about 3 min", "about 1 h 20 min" */
export function formatAbout(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(5, Math.round(seconds / 5) * 5)} s`;
  const min = Math.round(seconds / 60);
  return min < 60 ? `about ${min} min` : `about ${Math.floor(min / 60)} h ${min % 60} min`;
}

export { ApiError };
