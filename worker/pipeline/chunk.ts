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

/** Packs whole sentences into pieces of at most `maxChars` (a longer sentence stays whole). */
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
