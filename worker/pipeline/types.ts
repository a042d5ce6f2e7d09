import type { JobSettings } from "../../schema/settings";

/** The text of one PDF page as laid out: lines top to bottom. `page` is 1-based. */
export interface PageLines {
  page: number;
  lines: Line[];
}

export interface Line {
  text: string;
  /** Left edge of the line's first glyph, in PDF units. */
  x: number;
  /** Baseline, PDF units from the page bottom. */
  y: number;
  /** Right edge of the line's last glyph. */
  right: number;
  /** Font size (height) of the line's text. */
  size: number;
}

export interface ExtractedPdf {
  /** Pages read: every page of the file, or those of the `pages` setting. */
  pageCount: number;
  /** Pages in the file (a part's, for one part of a book); `pageCount` when absent. */
  bookPages?: number;
  pages: PageLines[];
  /** Page width/height of page 1, PDF units. */
  width: number;
  height: number;
}

/** A paragraph of book text with the page it starts on (1-based). */
export interface Paragraph {
  text: string;
  page: number;
}

/** A unit of work for one queue message: whole paragraphs, in order. */
export interface Chunk {
  index: number;
  /** Index of this chunk's first paragraph in the whole book. */
  first_paragraph: number;
  paragraphs: Paragraph[];
  first_page: number;
  last_page: number;
  /** Scanned pages to be read by Gemini: `paragraphs` is empty, the pages' PDF is stored beside the chunk. */
  scan?: boolean;
}

export interface Sentence {
  text: string;
  /** Page the sentence starts on (1-based). */
  page: number;
  /** Index of its paragraph in the whole book. */
  paragraph: number;
  /**
   * The book's text this sentence came from, when the engine changed it (Gemini rewriting a
   * long sentence, joining short ones); absent when the sentence is the book's text as is.
   */
  original?: string;
  /** Words and verb (worker/pipeline/facts.ts), set by the chunk consumer once the engine has answered. */
  word_count?: number;
  has_verb?: boolean;
  /**
   * Set with them, from the same tagging: each surface word's lemma (a contraction's lemmas, "du":
   * ["de", "le"]). Kept by the tracker for learning runs (worker/learning/stored.ts), never in the result.
   */
  lemmas?: (string | string[])[];
}

export interface NormalizeResult {
  sentences: Sentence[];
  /** Tokens the engine consumed (the local engine: its text's count, worker/pipeline/tokens.ts). */
  tokens: number;
  /** Doubts about the result that a reader should know of, e.g. "dropped_text". */
  flags?: string[];
}

/** One interface for every engine (local rules, Gemini). */
export interface Normalizer {
  readonly engine: "local" | "gemini";
  readonly model: string | null;
  normalize(chunk: Chunk, settings: JobSettings): Promise<NormalizeResult>;
}
