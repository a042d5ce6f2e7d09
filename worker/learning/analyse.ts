import { analyze, hasVerb, isWord, type Token } from "../lang";
import type { AnalysedSentence } from "./select";

/** A sentence of a job's result, as analysis needs it. */
export interface SourceSentence {
  index: number;
  text: string;
  page: number;
}

/**
 * Surface words with a letter or digit: every one of them is at least one word token, so a
 * sentence with more than `max` of them cannot have at most `max` words and is not tagged
 * (most of a novel's sentences, at 8 words).
 */
export function surfaceWordsAtLeast(text: string, max: number): boolean {
  let n = 0;
  for (const chunk of text.split(/\s+/)) if (/[\p{L}\p{N}]/u.test(chunk) && ++n > max) return true;
  return false;
}

/** One list of lemmas per surface word (a contraction's parts share their start), lower-cased. */
export function wordLemmas(tokens: readonly Token[]): string[][] {
  const words: string[][] = [];
  let lastStart = -1;
  for (const t of tokens) {
    if (!isWord(t)) continue;
    const lemma = t.lemma.toLowerCase();
    if (t.start === lastStart) words[words.length - 1]!.push(lemma);
    else words.push([lemma]);
    lastStart = t.start;
  }
  return words;
}

/** The sentence analysed: word count, verb, lemmas per word. */
export function analyseSentence(jobId: string, s: SourceSentence): AnalysedSentence {
  const tokens = analyze(s.text);
  const words = wordLemmas(tokens);
  return { job_id: jobId, index: s.index, text: s.text, page: s.page, word_count: words.length, has_verb: hasVerb(tokens), words };
}

/**
 * The sentences of a book that could be eligible for a run with at most `maxWords` words,
 * analysed; those with more surface words than that are skipped untagged.
 */
export function analyseBook(jobId: string, sentences: readonly SourceSentence[], maxWords: number): AnalysedSentence[] {
  const out: AnalysedSentence[] = [];
  for (const s of sentences) if (!surfaceWordsAtLeast(s.text, maxWords)) out.push(analyseSentence(jobId, s));
  return out;
}
