import type { JobSettings } from "../../schema/settings";
import type { Calls, GeminiOptions } from "./gemini-call";
import { GeminiError } from "./gemini-errors";
import { paragraphList, SCAN_RESPONSE_SCHEMA, scanInstruction } from "./gemini-prompt";
import { subsetPdf, toBase64 } from "./scan";
import { GEMINI_MAX_OUTPUT_TOKENS } from "./tokens";
import type { Sentence } from "./types";

/** Consecutive scanned pages of the book, as a PDF of just those pages. */
export interface ScanInput {
  pdf: Uint8Array;
  first_page: number;
  last_page: number;
}

// A PDF page costs Gemini 258 tokens to see; a page of a novel is ~500 tokens of text out.
const TOKENS_PER_PAGE = 800;
/** An answer's room per page: a dense page of ~3,000 characters is ~900 tokens as JSON sentences. */
const SCAN_OUTPUT_TOKENS_PER_PAGE = 2_000;

/**
 * Reads scanned pages with Gemini and cuts their text into sentences. Paragraphs are
 * numbered from `firstParagraph` in reading order (the book's own count is not known
 * before the whole scan is read).
 */
export async function transcribeScan(
  calls: Calls,
  opts: GeminiOptions,
  settings: JobSettings,
  input: ScanInput,
  firstParagraph: number,
): Promise<Sentence[]> {
  const next = { paragraph: firstParagraph };
  return range(calls, opts, settings, input, 0, next);
}

async function range(
  calls: Calls,
  opts: GeminiOptions,
  settings: JobSettings,
  input: ScanInput,
  depth: number,
  next: { paragraph: number },
): Promise<Sentence[]> {
  const pages = input.last_page - input.first_page + 1;
  let problem = "";
  for (let i = 0; i < 2; i++) {
    const answer = await calls.generate(
      [
        {
          role: "user",
          parts: [
            { inlineData: { mimeType: "application/pdf", data: toBase64(input.pdf) } },
            { text: JSON.stringify({ first_page: input.first_page, last_page: input.last_page }) },
          ],
        },
      ],
      scanInstruction(settings),
      SCAN_RESPONSE_SCHEMA,
      pages * TOKENS_PER_PAGE + 1000,
      Math.min(GEMINI_MAX_OUTPUT_TOKENS, pages * SCAN_OUTPUT_TOKENS_PER_PAGE + 512),
    );
    if (answer.finish === "MAX_TOKENS") {
      if (pages < 2 || depth >= (opts.maxSplitDepth ?? 5)) {
        throw new GeminiError("too_long", `Gemini's reading of page ${input.first_page} does not fit its output limit.`);
      }
      // Too much text for one answer: each half of the pages on its own, in order.
      const half = Math.ceil(pages / 2);
      const a = { pdf: await subsetPdf(input.pdf, 0, half), first_page: input.first_page, last_page: input.first_page + half - 1 };
      const b = { pdf: await subsetPdf(input.pdf, half, pages - half), first_page: a.last_page + 1, last_page: input.last_page };
      const first = await range(calls, opts, settings, a, depth + 1, next);
      return [...first, ...(await range(calls, opts, settings, b, depth + 1, next))];
    }
    const parsed = answer.finish === "STOP" ? parse(answer.text, input, settings) : null;
    if (parsed) {
      const out: Sentence[] = [];
      for (const p of parsed) {
        const paragraph = next.paragraph++;
        for (const text of p.sentences) out.push({ text, page: p.page, paragraph });
      }
      return out;
    }
    problem = answer.finish === "STOP" ? "not JSON of the requested shape" : `finish reason ${answer.reason}`;
  }
  throw new GeminiError(
    "malformed_output",
    `Gemini's reading of pages ${input.first_page}-${input.last_page} could not be used (${problem}).`,
  );
}

function parse(text: string, input: ScanInput, settings: JobSettings): Array<{ page: number; sentences: string[] }> | null {
  const list = paragraphList(text);
  if (!list) return null;
  const out: Array<{ page: number; sentences: string[] }> = [];
  let last = input.first_page;
  for (const entry of list) {
    const page = entry?.page;
    if (typeof page !== "number" || !Number.isInteger(page) || page < last || page > input.last_page) return null;
    if (!Array.isArray(entry.sentences) || !entry.sentences.every((s) => typeof s === "string")) return null;
    last = page;
    const sentences = (entry.sentences as string[])
      .map((s) => (settings.preserve_formatting ? s.trim() : s.replace(/\s+/gu, " ").trim()))
      .filter((s) => s !== "");
    if (sentences.length) out.push({ page, sentences });
  }
  return out;
}
