/**
 * What a result's sentence says of itself, by the French tagger (worker/lang): its words and
 * whether it has a verb. Written with the result when a job ends, filled in when read for a
 * sentence without them (an older result, a running job's partial one) and for a reader's edit.
 */
import type { JobResult, ResultSentence } from "../../schema/api";
import { analyze, hasVerb, wordCount } from "../lang";

export interface SentenceFacts {
  /** Tokens that are not punctuation, a contraction ("du" = de + le) counted once. */
  word_count: number;
  /** Some token is a VERB or an AUX. */
  has_verb: boolean;
}

/** A sentence type with its facts optional: as stored before they existed, or not yet computed. */
export type MaybeFacts<T extends SentenceFacts> = Omit<T, keyof SentenceFacts> & Partial<SentenceFacts>;

/** A job's result whose sentences may lack their facts (stored before them, or partial). */
export type StoredResult = Omit<JobResult, "sentences"> & { sentences: MaybeFacts<ResultSentence>[] };

export function sentenceFacts(text: string): SentenceFacts {
  const tokens = analyze(text);
  return { word_count: wordCount(tokens), has_verb: hasVerb(tokens) };
}

/** `s` with its facts: kept when it has both, computed from its text otherwise. */
export function withFacts<T extends { text: string } & Partial<SentenceFacts>>(s: T): T & SentenceFacts {
  if (typeof s.word_count === "number" && typeof s.has_verb === "boolean") return s as T & SentenceFacts;
  return { ...s, ...sentenceFacts(s.text) };
}
