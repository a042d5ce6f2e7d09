import type { JobSettings } from "../../schema/settings";
import { segmentSentences } from "./segment";
import { isDialogue, mergeShort, splitLongSentence } from "./split";
import { textTokens } from "./tokens";
import type { Chunk, NormalizeResult, Normalizer, Sentence } from "./types";

/**
 * The built-in rule engine: needs no key, gives the same answer every time. It calls no model,
 * so the tokens it reports are its text's count (worker/pipeline/tokens.ts), the measure its
 * price and the estimates use: a job's `actual_tokens` is then the text it read.
 */
export class LocalNormalizer implements Normalizer {
  readonly engine = "local" as const;
  readonly model = null;

  async normalize(chunk: Chunk, settings: JobSettings): Promise<NormalizeResult> {
    return { sentences: normalizeChunk(chunk, settings), tokens: textTokens(chunk.paragraphs.reduce((n, p) => n + p.text.length, 0)) };
  }
}

export function normalizeChunk(chunk: Chunk, settings: JobSettings): Sentence[] {
  const sentences: Sentence[] = [];
  chunk.paragraphs.forEach((p, i) => {
    const pieces: string[] = [];
    for (const sentence of segmentSentences(p.text)) {
      if (settings.ignore_dialogue && isDialogue(sentence)) pieces.push(sentence);
      else pieces.push(...splitLongSentence(sentence, settings.sentence_length_limit));
    }
    // Merging stays inside the paragraph: a fragment never jumps a paragraph break.
    for (const text of mergeShort(pieces, settings.min_sentence_length)) {
      sentences.push({ text, page: p.page, paragraph: chunk.first_paragraph + i });
    }
  });
  return sentences;
}
