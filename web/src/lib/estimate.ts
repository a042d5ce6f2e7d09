// The estimate shown as soon as a book is chosen (POST /api/v1/estimate): the PDF is read here in
// the browser with the server's own measuring code (worker/pipeline/extract.ts `measurePdf`, pdf.js
// through unpdf, loaded only then), and only its counts are sent; page images are one page each.
// A PDF the browser cannot read is sent to the estimate as the upload's form instead, when it is
// small enough for the server to open.
import type { Estimate } from "../../../schema/before";
import { outsideBook, parsePages, PageRangeError } from "../../../schema/pages";
import { selectedText, type PageText } from "../../../worker/pipeline/tokens";
import { api, ApiError, ok, toApiError } from "./api";
import { isPdf } from "./upload";

export type { Estimate };

/** What the browser found in the chosen files: each page's characters and non-space characters. */
export interface Measured {
  pages: PageText[];
  /** Page images: pages with no text layer. */
  images: boolean;
  size: number;
}

/** The chosen files measured, or why they could not be (then the server is asked with the files themselves). */
export async function measureFiles(files: File[]): Promise<Measured> {
  const size = files.reduce((n, f) => n + f.size, 0);
  if (!files.some(isPdf)) return { pages: files.map(() => ({ chars: 0, ink: 0 })), images: true, size };
  const { measurePdf } = await import("../../../worker/pipeline/extract");
  const pages: Measured["pages"] = [];
  for (const f of files) {
    const m = await measurePdf(new Uint8Array(await f.arrayBuffer()), { handOver: true });
    pages.push(...m.pages.map(({ chars, ink }) => ({ chars, ink })));
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

/** The files themselves to the estimate (the upload's form), for a PDF the browser could not read. */
export async function estimateFiles(files: File[], spec: string | null, geminiModel?: string): Promise<Estimate> {
  const form = new FormData();
  if (spec) form.set("pages", spec);
  if (geminiModel) form.set("gemini_model", geminiModel);
  for (const f of files) form.append(isPdf(f) ? "pdf_file" : "page_images", f, f.name);
  const res = await fetch("/api/v1/estimate", { method: "POST", body: form });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw toApiError(res.status, body, (n) => res.headers.get(n));
  return body as Estimate;
}

/** "about 40 s", "about 3 min", "about 1 h 20 min" */
export function formatAbout(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(5, Math.round(seconds / 5) * 5)} s`;
  const min = Math.round(seconds / 60);
  return min < 60 ? `about ${min} min` : `about ${Math.floor(min / 60)} h ${min % 60} min`;
}

export { ApiError };
