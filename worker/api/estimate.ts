import { Hono, type Context } from "hono";
import { resolver } from "hono-openapi";
import { EstimateRequestSchema, EstimateSchema, type Estimate, type Refusal } from "../../schema/before";
import { requireAuth } from "../auth/caller";
import { describe, error, header, json, RETRY_AFTER, UPLOAD_400 } from "./openapi";
import { outsideBook, parsePages, type PageSelection } from "../../schema/pages";
import {
  creditAccount,
  estimatesPerMinute,
  jobsPerHour,
  pricing,
  RateLimited,
  rateLimitHeaders,
  storageQuota,
  storageUsed,
} from "../credits/service";
import { millisFor, rateFor, toCredits } from "../credits/pricing";
import { uploadSettings } from "../defaults/service";
import { allowedModels } from "../jobs/engine";
import { PipelineError } from "../pipeline/errors";
import { allowedText, measurePdf, TEXT_LIMITS } from "../pipeline/extract";
import { geminiTextTokens, SCAN_TOKENS_PER_PAGE, selectedText, TEXT_PAGE_CHARS, textTokens } from "../pipeline/tokens";
import { takeHookFields } from "../webhooks/fields";
import { ApiError } from "../core/errors";
import { intakePaused } from "../ops/state";
import type { AppEnv } from "../core/types";
import { receiveUpload } from "./upload";
import { UPLOAD_FORM, uploadOptions } from "./jobs";
import { readJson, validate } from "./validate";
import { chunkChars, config } from "../core/config";
import { joinBytes } from "../core/bytes";

/**
 * POST /api/v1/estimate: what a book would cost and take before it is sent. The body is the
 * upload's own form (read and measured here, nothing stored) or, from a client that read the
 * PDF itself (the web app, with the same code: worker/pipeline/extract.ts `measurePdf`), JSON
 * `{pages, text_chars}`. It takes no slot among the jobs of the hour; it has a limit of its own.
 */

/** What was found in the book, before the settings are applied. */
interface Measured {
  /** Each file's pages in order (a PDF's, or one per page image): per page its characters and non-space characters. */
  files: { size: number; pages: { chars: number; ink: number }[]; image?: boolean }[];
  /** The file could not be opened: what the job would fail with. */
  failure?: Refusal;
}

/** An R2 bucket that keeps nothing but measures each PDF as it is committed (one at a time) and counts page images. */
function measuringBucket(into: Measured): R2Bucket {
  const measure = async (bytes: Uint8Array) => {
    try {
      const m = await measurePdf(bytes, { handOver: true });
      into.files.push({ size: bytes.byteLength, pages: m.pages });
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      into.failure ??= { code: err.code, message: err.message, field: "pdf_file" };
      into.files.push({ size: bytes.byteLength, pages: [] });
    }
  };
  return {
    put: async (_key: string, value: Uint8Array, opts?: R2PutOptions) => {
      const type = (opts?.httpMetadata as { contentType?: string } | undefined)?.contentType ?? "";
      if (type.startsWith("image/")) into.files.push({ size: value.byteLength, pages: [{ chars: 0, ink: 0 }], image: true });
      else await measure(value.slice());
      return null;
    },
    head: async () => null,
    delete: async () => undefined,
    createMultipartUpload: async (key: string) => {
      const chunks: Uint8Array[] = [];
      return {
        key,
        uploadId: "measure",
        // The sink reuses its buffer once a part is handed over: kept as a copy.
        uploadPart: async (partNumber: number, value: Uint8Array) => {
          chunks.push(value.slice());
          return { partNumber, etag: "measure" };
        },
        complete: async () => {
          await measure(joinBytes(chunks.splice(0)));
          return null;
        },
        abort: async () => void chunks.splice(0),
      };
    },
  } as unknown as R2Bucket;
}

/** The book as the job would read it: the pages selected, their text, whether they are a scan. */
interface Book {
  pages: number;
  bookPages: number;
  textChars: number;
  scanned: boolean;
  totalBytes: number;
  /** A form's files, as the server reads them one at a time (the limits are judged per file); absent for a client's count. */
  perFile?: { size: number; pages: number; chars: number }[];
}

function measuredBook(m: Measured, pagesSpec: string | null): Book {
  const sel = pagesSpec ? parsePages(pagesSpec) : null;
  const images = m.files.some((f) => f.image);
  const all = m.files.flatMap((f) => f.pages);
  const outside = outsideBook(sel, all.length);
  if (outside && !m.failure) throw new ApiError(400, "invalid_field", `pages: ${outside}.`, "pages");
  const t = selectedText(all, sel, images);
  // Each file's share, as the server reads them one at a time.
  let offset = 0;
  const perFile = m.files.map((f) => {
    const own = selectedText(f.pages, sel && shift(sel, offset));
    offset += f.pages.length;
    return { size: f.size, pages: own.pages, chars: own.textChars };
  });
  return {
    pages: t.pages,
    bookPages: t.bookPages,
    textChars: t.textChars,
    scanned: t.scanned,
    totalBytes: m.files.reduce((n, f) => n + f.size, 0),
    perFile: images ? undefined : perFile,
  };
}

/** A selection in the numbering of a file whose first page is the book's `offset` + 1. */
const shift = (sel: PageSelection, offset: number): PageSelection =>
  sel.map((s) => ({ from: s.from - offset, to: s.to === null ? null : s.to - offset })).filter((s) => s.to === null || s.to >= 1);

/** The multipart body, read as the upload would be, measured, nothing kept. */
async function fromForm(c: Context<AppEnv>, userId: string) {
  const measured: Measured = { files: [] };
  // The upload's own options (the same refusals of the same body), a file required.
  const opts = { ...uploadOptions(c.env, "estimate", config(c.env).MAX_UPLOAD_BYTES), allowNoFile: undefined };
  const upload = await receiveUpload(c.req.raw, measuringBucket(measured), "estimate", opts);
  const { parts: _parts, ...fields } = upload.fields;
  const { rest } = await takeHookFields(c.env, userId, fields);
  const settings = await uploadSettings(c.env, userId, rest);
  return { settings, book: measuredBook(measured, settings.pages), failure: measured.failure };
}

/** The JSON body: what the client found in the book. */
async function fromJson(c: Context<AppEnv>, userId: string, body: unknown) {
  const r = validate(EstimateRequestSchema, body);
  const { pages, text_chars, book_pages, scanned, file_size, ...sent } = r;
  const settings = await uploadSettings(c.env, userId, sent);
  const book: Book = {
    pages,
    bookPages: Math.max(pages, book_pages ?? pages),
    textChars: text_chars,
    // Too little text for most pages to carry a line of it: a scan.
    scanned: scanned ?? text_chars < TEXT_PAGE_CHARS * 0.1 * pages,
    totalBytes: file_size ?? 0,
  };
  return { settings, book, failure: undefined };
}

/** Seconds a page takes, from the server's last completed jobs of this engine (a default before there are enough). */
async function secondsPerPage(env: Env, engine: "local" | "gemini", scanned: boolean): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT SUM(processing_time_seconds) AS secs, SUM(page_count) AS pages FROM (
       SELECT processing_time_seconds, page_count FROM jobs
       WHERE status = 'completed' AND engine = ?1 AND page_count > 0 AND processing_time_seconds IS NOT NULL
       ORDER BY completed_at DESC LIMIT 20)`,
  )
    .bind(engine)
    .first<{ secs: number | null; pages: number | null }>();
  if (row?.pages && row.pages >= 50 && row.secs !== null) return row.secs / row.pages;
  return engine === "local" ? 0.05 : scanned ? 3 : 1;
}

/** Seconds any job spends queued and planned before its pages are worked on. */
const START_SECONDS = 5;

export async function estimate(c: Context<AppEnv>): Promise<Estimate> {
  const userId = c.get("userId");
  const env = c.env;
  const account = creditAccount(env, userId);
  const admitted = await account.admitEstimate(estimatesPerMinute(env));
  for (const [k, v] of Object.entries(rateLimitHeaders(admitted))) c.header(k, v);
  if (!admitted.ok) {
    throw new RateLimited(admitted, `At most ${admitted.limit} estimates a minute: try again in ${admitted.reset_seconds} s.`);
  }
  const isJson = /^\s*application\/json\b/i.test(c.req.header("content-type") ?? "");
  const body = isJson ? await readJson(c, '{"pages": 325, "text_chars": 709866}, or the upload\'s form') : undefined;
  const { settings, book, failure } = isJson ? await fromJson(c, userId, body) : await fromForm(c, userId);

  const engine = env.GEMINI_API_KEY ? "gemini" : "local";
  const model = engine === "gemini" ? settings.gemini_model : null;
  // Gemini reads the text in requests of GEMINI_CHUNK_CHARS, and answers as long again (worker/pipeline/tokens.ts).
  const estimatedTokens = book.scanned
    ? book.pages * SCAN_TOKENS_PER_PAGE
    : engine === "gemini"
      ? geminiTextTokens(book.textChars, Math.ceil(book.textChars / chunkChars(env)))
      : textTokens(book.textChars);
  const prices = pricing(env);
  const credits: Record<string, number> =
    engine === "local"
      ? { local: toCredits(millisFor(estimatedTokens, rateFor(prices, "local", null))) }
      : Object.fromEntries(allowedModels(env).map((m) => [m, toCredits(millisFor(estimatedTokens, rateFor(prices, "gemini", m)))]));
  const cost = credits[model ?? "local"] ?? 0;

  const [summary, rate, used, paused] = await Promise.all([
    account.summary(),
    account.rate(jobsPerHour(env)),
    storageUsed(env, userId),
    intakePaused(env),
  ]);
  const available = toCredits(summary.available);
  const refusals: Refusal[] = [];
  const limitRefusals = bookLimits(env, book);
  if (failure) refusals.push(failure);
  refusals.push(...limitRefusals);
  if (book.scanned && engine === "local" && !failure) {
    refusals.push({
      code: "no_text_layer",
      message:
        "This book has no text layer (a scan, or page images): reading it needs text recognition (Gemini), which this server does not run.",
    });
  }
  if (cost > available) {
    refusals.push({ code: "insufficient_credits", message: `This book needs about ${cost} credits and ${available} are available.` });
  }
  if (!rate.ok) {
    refusals.push({
      code: "rate_limited",
      message: `At most ${rate.limit} new jobs an hour: try again in ${Math.ceil(rate.reset_seconds / 60)} min.`,
    });
  }
  const quota = storageQuota(env);
  if (used + book.totalBytes > quota) {
    refusals.push({
      code: "storage_quota_exceeded",
      message: "This book would go over your storage quota. Delete old jobs to make room.",
      field: "pdf_file",
    });
  }
  if (paused)
    refusals.push({
      code: "intake_paused",
      message: "New jobs are paused for maintenance; running jobs go on. Please try again in a few minutes.",
    });

  return {
    page_count: book.pages,
    book_page_count: book.bookPages,
    scanned: book.scanned,
    text_chars: book.textChars,
    estimated_tokens: estimatedTokens,
    engine,
    model,
    credits,
    available_credits: available,
    balance_covers: cost <= available,
    seconds_expected: Math.max(1, Math.round(START_SECONDS + book.pages * (await secondsPerPage(env, engine, book.scanned)))),
    fits_limits: limitRefusals.length === 0,
    refusals,
  };
}

const thousands = (n: number) => n.toLocaleString("en-US");

/**
 * The book against what one job may hold (TEXT_LIMITS, MAX_UPLOAD_BYTES). A form's files are
 * judged as the server reads them, each against its own size; a client's count against the
 * most a job holds (the client cuts a big book into parts small enough: client/split.ts).
 */
function bookLimits(env: Env, book: Book): Refusal[] {
  const out: Refusal[] = [];
  if (book.totalBytes > config(env).MAX_UPLOAD_BYTES) {
    out.push({
      code: "file_too_large",
      message: `The book is larger than the ${Math.round(config(env).MAX_UPLOAD_BYTES / 2 ** 20)} MB one job may hold.`,
      field: "pdf_file",
    });
  }
  if (book.scanned) return out;
  const tooManyPages = (max: number): Refusal => ({
    code: "too_many_pages",
    message: `This job would read ${thousands(book.pages)} pages; the server reads at most ${thousands(max)} in one job. Choose fewer pages (pages), or send it as separate jobs.`,
    field: "pages",
  });
  const tooMuchText = (max: number): Refusal => ({
    code: "too_much_text",
    message: `This job would read ${thousands(book.textChars)} characters of text; the server reads at most ${thousands(max)} in one job. Choose fewer pages (pages), or send it as separate jobs.`,
    field: "pages",
  });
  // A client's count: against the most a job holds. A form's files: as readParts reads them,
  // each with the pages and text of those before it held, against its own size.
  const files = book.perFile ?? [{ size: 0, pages: book.pages, chars: book.textChars }];
  let pages = 0;
  let chars = 0;
  for (const f of files) {
    const a = book.perFile ? allowedText(TEXT_LIMITS, f.size) : { pages: TEXT_LIMITS.maxPages, chars: TEXT_LIMITS.maxTextChars };
    pages += f.pages;
    chars += f.chars;
    if (pages > a.pages) return [...out, tooManyPages(a.pages)];
    if (chars > a.chars) return [...out, tooMuchText(a.chars)];
  }
  return out;
}

/** /api/v1/estimate. */
export const estimateRoutes = new Hono<AppEnv>().use(requireAuth).post(
  "/",
  describe({
    operationId: "estimateJob",
    summary: "Estimate a book before sending it",
    description:
      "The same multipart body as POST /api/v1/jobs (`pdf_file`, its parts, or `page_images`, with the settings: `pages`, `gemini_model`…), read and " +
      "measured here and never stored; or JSON `{pages, text_chars}` from a client that read the PDF itself (the web app does, in the browser). " +
      "Answers what the job would read, cost and take, and what would refuse it now. Nothing is stored, and no slot of the hourly job limit is " +
      "taken: estimates have their own limit (MAX_ESTIMATES_PER_MINUTE a minute).",
    tag: "Jobs",
    access: "user",
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": UPLOAD_FORM,
        "application/json": { schema: resolver(EstimateRequestSchema) },
      },
    },
    responses: {
      200: json(EstimateSchema, "The estimate.", {
        "RateLimit-Limit": header("Estimates allowed a minute.", { type: "integer" }),
        "RateLimit-Remaining": header("Estimates left this minute.", { type: "integer" }),
        "RateLimit-Reset": header("Seconds until an estimate is allowed again.", { type: "integer" }),
      }),
    },
    errors: {
      400: `${UPLOAD_400} \`invalid_field\` naming \`pages\`: a page range that is not one, or passes the book's end; \`invalid_json\`.`,
      413: "`too_large`: one PDF over MAX_PART_BYTES (send its parts, or JSON); `file_too_large`, `image_too_large`, `too_many_pages` (images), `too_many_files`.",
      415: "`unsupported_media_type`: neither multipart/form-data nor JSON, not a PDF (by content), or a page image that is not PNG/JPEG.",
      429: error("`rate_limited`: more than MAX_ESTIMATES_PER_MINUTE estimates in a minute.", RETRY_AFTER),
    },
  }),
  async (c) => c.json(await estimate(c), 200),
);
