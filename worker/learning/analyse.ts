import type { LearningOptionsInput } from "./types";
import { analyze, hasVerb, isWord, type Token } from "../lang";
import { isEligible, type AnalysedSentence } from "./select";
import type { SentenceFacts } from "../pipeline/facts";
import type { AnalysisReader, SentenceLemmas } from "./stored";

/** A sentence of a job's result, as analysis needs it. */
export interface SourceSentence {
  index: number;
  text: string;
  page: number;
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

/** What the chunk consumer keeps of a sentence: the result's facts, and its lemmas for learning runs. */
export type SentenceAnalysis = SentenceFacts & { lemmas: SentenceLemmas };

/**
 * A sentence's analysis from one tagging: the result's facts (word count, verb) and the lemmas a
 * learning run needs (kept beside the result: worker/learning/stored.ts).
 */
export function analyseText(text: string): SentenceAnalysis {
  const tokens = analyze(text);
  const words = wordLemmas(tokens);
  return { word_count: words.length, has_verb: hasVerb(tokens), lemmas: words.map((w) => (w.length === 1 ? w[0]! : w)) };
}

/** `s` with its analysis, as the chunk consumer hands its sentences to the tracker. */
export const withAnalysis = <T extends { text: string }>(s: T): T & SentenceAnalysis => ({ ...s, ...analyseText(s.text) });

/** The sentence analysed: word count, verb, lemmas per word. */
export function analyseSentence(jobId: string, s: SourceSentence): AnalysedSentence {
  const tokens = analyze(s.text);
  const words = wordLemmas(tokens);
  return { job_id: jobId, index: s.index, text: s.text, page: s.page, word_count: words.length, has_verb: hasVerb(tokens), words };
}

/**
 * The eligible sentences of a book, for a run with these options. A job's sentences carry their
 * facts (word count, verb: the result's), which say which are eligible; an eligible one's lemmas
 * come from the job's stored analysis when it has the sentence as analysed (same text), else it
 * is tagged here (a reader's edit, a job stored before the analysis was kept): the same either
 * way. Sentences without facts (the CLI's) are all tagged and judged by that, as the chunk
 * consumer judges a job's: so `cli coverage` selects what the service would.
 */
export function eligibleSentences(
  jobId: string,
  sentences: readonly (SourceSentence & Partial<SentenceFacts>)[],
  options: LearningOptionsInput,
  stored: AnalysisReader | null = null,
): AnalysedSentence[] {
  const out: AnalysedSentence[] = [];
  for (const s of sentences) {
    const { word_count, has_verb } = s;
    if (word_count !== undefined && has_verb !== undefined) {
      if (!isEligible({ word_count, has_verb }, options)) continue;
      const words = stored?.words(s.index, s.text);
      if (words && words.length === word_count) {
        out.push({ job_id: jobId, index: s.index, text: s.text, page: s.page, word_count, has_verb, words });
        continue;
      }
    }
    const a = analyseSentence(jobId, s);
    if (isEligible(a, options)) out.push(a);
  }
  return out;
}
