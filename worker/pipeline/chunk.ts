import { PipelineError } from "./errors";
import { sentenceEnds } from "./segment";
import type { Chunk, Paragraph } from "./types";

export interface ChunkOptions {
  /** Size budget of one chunk, in characters of text. */
  maxChars: number;
}

/**
 * Cuts the book into chunks of whole paragraphs within a size budget.
 *
 * A paragraph longer than twice the budget is cut at sentence ends into pieces that each
 * close a chunk; the pieces keep the paragraph's global index, so a chunk may start with
 * the rest of the paragraph that ended the previous one (same `first_paragraph`).
 */
export function chunkParagraphs(paragraphs: readonly Paragraph[], opts: ChunkOptions): Chunk[] {
  const maxChars = Math.max(1, opts.maxChars);
  const chunks: Chunk[] = [];
  let current: Paragraph[] = [];
  let first = 0;
  let size = 0;

  const close = () => {
    if (current.length === 0) return;
    chunks.push({
      index: chunks.length,
      first_paragraph: first,
      paragraphs: current,
      first_page: Math.min(...current.map((p) => p.page)),
      last_page: Math.max(...current.map((p) => p.page)),
    });
    current = [];
    size = 0;
  };

  paragraphs.forEach((p, i) => {
    const length = p.text.length;
    if (length > MAX_SENTENCE_CHARS && longestSentence(p.text) > MAX_SENTENCE_CHARS) throw sentenceTooLong(p.page);
    if (length > 2 * maxChars) {
      close();
      const pieces = splitAtSentences(p.text, maxChars);
      pieces.forEach((text, k) => {
        first = i;
        current = [{ text, page: p.page }];
        size = text.length;
        if (k < pieces.length - 1) close();
      });
      return;
    }
    if (length > maxChars) {
      close();
      first = i;
      current = [p];
      close();
      return;
    }
    if (current.length > 0 && size + length > maxChars) close();
    if (current.length === 0) first = i;
    current.push(p);
    size += length;
  });
  close();
  return chunks;
}

/**
 * The longest run of text without a sentence end a book may hold: ~3,500 words, four times
 * the longest sentences of French literature (Proust's reach ~900 words, ~5,000 characters).
 * Beyond it the text is no prose (a text layer of dot leaders, a list without a full stop) and
 * one chunk would carry it whole: the job ends `failed` with `sentence_too_long`.
 */
export const MAX_SENTENCE_CHARS = 20_000;

/** Packs whole sentences into pieces of at most `maxChars` (a longer sentence stays whole, up to MAX_SENTENCE_CHARS). */
function splitAtSentences(text: string, maxChars: number): string[] {
  const cuts = sentenceEnds(text);
  const pieces: string[] = [];
  let start = 0;
  let lastCut = 0;
  for (const end of [...cuts, text.length]) {
    if (end - start > maxChars && lastCut > start) {
      pieces.push(text.slice(start, lastCut).trim());
      start = lastCut;
    }
    lastCut = end;
  }
  const rest = text.slice(start).trim();
  if (rest !== "") pieces.push(rest);
  return pieces.filter((p) => p !== "");
}

/** The most characters between two sentence ends of `text` (or its start and end). */
function longestSentence(text: string): number {
  let longest = 0;
  let start = 0;
  for (const end of [...sentenceEnds(text), text.length]) {
    longest = Math.max(longest, end - start);
    start = end;
  }
  return longest;
}

function sentenceTooLong(page: number): PipelineError {
  return new PipelineError(
    "sentence_too_long",
    `The text from page ${page} runs over ${MAX_SENTENCE_CHARS.toLocaleString("en")} characters without a sentence end: ` +
      "that is not prose the tool can cut (a text layer of dots or a list without full stops?). Check the PDF's text, or send the pages around it alone.",
  );
}
