/**
 * A job's sentences' lemmas, kept in R2 beside its result so a learning run does not tag the book
 * again: the chunk consumer tags each sentence once, for the result's `word_count`/`has_verb`
 * and for these. Pure: the tracker writes the object, the run and the benchmarks read it.
 *
 * The object: `{v, lemmas, sentences}`. `lemmas` holds the job's distinct lemmas, numbered in
 * order of first use (base 36 below). `sentences[i]` is sentence i of the result: a string
 * `<hash> <words>`, where `hash` is its text's (a sentence whose text no longer matches, a
 * reader's edit, is tagged again) and `words` holds one lemma number a surface word, a
 * contraction's numbers joined by `+` ("du": de+le), space separated; or null, for a sentence
 * whose chunk was stored without its lemmas (before they were kept) or of more than
 * MAX_SENTENCE_WORDS words (never eligible). Whether a sentence is eligible comes from the
 * result's word count and verb, which the same tagging gave.
 */
import { MAX_SENTENCE_WORDS } from "../../schema/learning";

export const STORED_ANALYSIS_VERSION = 1;

/** One entry a surface word: its lemma, or its lemmas when it is a contraction ("du": de, le). */
export type SentenceLemmas = (string | string[])[];

export interface StoredAnalysis {
  v: typeof STORED_ANALYSIS_VERSION;
  lemmas: string[];
  sentences: (string | null)[];
}

/** 32-bit FNV-1a of the text's UTF-16 units, base 36: tells an edited sentence from the analysed one. */
export function textHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** Builds a job's stored analysis, a sentence at a time in result order. */
export class AnalysisWriter {
  private ids = new Map<string, string>();
  private lemmas: string[] = [];
  private sentences: (string | null)[] = [];
  private kept = 0;

  private id(lemma: string): string {
    let id = this.ids.get(lemma);
    if (id === undefined) {
      id = this.lemmas.length.toString(36);
      this.ids.set(lemma, id);
      this.lemmas.push(lemma);
    }
    return id;
  }

  /** The next sentence of the result: its text and, when its chunk kept them, its words' lemmas. */
  add(text: string, lemmas: SentenceLemmas | undefined): void {
    if (!lemmas || lemmas.length > MAX_SENTENCE_WORDS) {
      this.sentences.push(null);
      return;
    }
    const words = lemmas.map((w) => (typeof w === "string" ? this.id(w) : w.map((l) => this.id(l)).join("+")));
    this.sentences.push(`${textHash(text)} ${words.join(" ")}`);
    this.kept++;
  }

  /** The object to store; null when no sentence had its lemmas (nothing worth storing). */
  done(): StoredAnalysis | null {
    return this.kept ? { v: STORED_ANALYSIS_VERSION, lemmas: this.lemmas, sentences: this.sentences } : null;
  }
}

/** The stored object if it is one this code reads, else null (the run then tags the job). */
export function storedAnalysis(json: unknown): StoredAnalysis | null {
  const a = json as Partial<StoredAnalysis> | null;
  return a?.v === STORED_ANALYSIS_VERSION && Array.isArray(a.lemmas) && Array.isArray(a.sentences) ? (a as StoredAnalysis) : null;
}

/** Reads a stored analysis: a sentence's words' lemmas, when its text is the one analysed. */
export class AnalysisReader {
  /** A one-lemma word's list, made once a lemma and shared (read-only) by every sentence. */
  private single: (string[] | undefined)[] = [];

  constructor(private readonly a: StoredAnalysis) {}

  /** Sentence `index`'s words' lemmas if it was analysed from this very `text`; null otherwise. */
  words(index: number, text: string): (readonly string[])[] | null {
    const entry = this.a.sentences[index];
    if (!entry) return null;
    const at = entry.indexOf(" ");
    if (at < 0 || entry.slice(0, at) !== textHash(text)) return null;
    const out: (readonly string[])[] = [];
    if (at + 1 === entry.length) return out;
    for (const word of entry.slice(at + 1).split(" ")) {
      if (word.includes("+")) {
        const parts = word.split("+").map((id) => this.a.lemmas[parseInt(id, 36)]);
        if (parts.some((l) => l === undefined)) return null;
        out.push(parts as string[]);
        continue;
      }
      const n = parseInt(word, 36);
      const lemma = this.a.lemmas[n];
      if (lemma === undefined) return null;
      out.push((this.single[n] ??= [lemma]));
    }
    return out;
  }
}
