/**
 * French lemmatizer and part-of-speech tagger (Universal Dependencies conventions), pure:
 * runs in a Worker, in Node and in vitest. Lexicon: Lefff 3.4 (LGPL-LR, see README.md).
 */
import { foldForm, ligatures } from "./codec";
import { clearLookups, lexicalForm, lookup, lookupsCached } from "./lexicon";
import { clearWordCaches, wordsCached, contextFreePos, modelGeneration, suffixLemma, tagTokens, trainedLemma } from "./tagger";
import { tokenize } from "./tokenize";

import type { Upos } from "./upos";

export type { Upos };

/** start/end: UTF-16 offsets of `text` in the input line (both parts of a contraction share them). */
export interface Token {
  text: string;
  lemma: string;
  pos: Upos;
  start: number;
  end: number;
}

export { DEFAULT_WORDLIST } from "./default-wordlist.data";

/** Contractions as UD French splits them: [first part, its pos, its lemma][]. */
const CONTRACTIONS: Record<string, Array<[Upos, string]>> = {
  au: [
    ["ADP", "à"],
    ["DET", "le"],
  ],
  aux: [
    ["ADP", "à"],
    ["DET", "le"],
  ],
  du: [
    ["ADP", "de"],
    ["DET", "le"],
  ],
  des: [
    ["ADP", "de"],
    ["DET", "le"],
  ],
  auquel: [
    ["ADP", "à"],
    ["PRON", "lequel"],
  ],
  auxquels: [
    ["ADP", "à"],
    ["PRON", "lequel"],
  ],
  auxquelles: [
    ["ADP", "à"],
    ["PRON", "lequel"],
  ],
  duquel: [
    ["ADP", "de"],
    ["PRON", "lequel"],
  ],
  desquels: [
    ["ADP", "de"],
    ["PRON", "lequel"],
  ],
  desquelles: [
    ["ADP", "de"],
    ["PRON", "lequel"],
  ],
};

const lemmaCache = new Map<string, string>();
let cacheGeneration = -1;
function cachedLemma(text: string, pos: Upos): string {
  if (cacheGeneration !== modelGeneration()) {
    lemmaCache.clear();
    cacheGeneration = modelGeneration();
  }
  const key = `${pos}\t${text}`;
  let lemma = lemmaCache.get(key);
  if (lemma === undefined) {
    lemma = lemmatize(text, pos);
    if (lemmaCache.size >= 50_000) lemmaCache.clear();
    lemmaCache.set(key, lemma);
  }
  return lemma;
}

/** The lemma of a token given its part of speech. */
/**
 * Empties the caches of words already seen (lemmas, lexicon lookups, the tagger's per-word
 * features): after a day of chunks they hold ~20 MiB, which the plan step needs for a book's text
 * when it runs in the same isolate (docs/bench.md, "Memory"). The lexicon and model stay loaded;
 * the caches fill again with the next sentences.
 */
export function emptyCaches(): void {
  lemmaCache.clear();
  clearLookups();
  clearWordCaches();
}

/** Entries in those caches, all together. */
export const cachedEntries = () => lemmaCache.size + lookupsCached() + wordsCached();

export function lemmatize(text: string, pos: Upos): string {
  // Names and foreign words are their own lemma, as written.
  if (pos === "PROPN" || pos === "X") return text;
  if (pos === "PUNCT" || pos === "SYM" || (pos === "NUM" && /\d/.test(text))) return text;
  // Roman numerals as written ("XII", "XVIIe").
  if ((pos === "NUM" || pos === "ADJ") && /^[IVXLC]+(?:e|er|ème)?$/.test(text)) return text;
  // "AUTRE(S)", "ami(e)s": the word without its optional ending.
  const optional = /^(.*\p{L})\((?:s|e|es|x|nt)\)$/iu.exec(text);
  if (optional) return lemmatize(optional[1]!, pos);
  let form = lexicalForm(text);
  // "A" for "à" (capitals often lose their accent).
  if (pos === "ADP" && form === "a") return "à";
  // A capital letter alone ("vitamine D") stays as written, unless the lexicon knows it ("À").
  if (/^\p{Lu}$/u.test(text) && !lookup(form).some((a) => a.pos === pos)) return text;
  // Inverted clitics ("-t-il", "-moi") have the lemma of the pronoun.
  if (form.startsWith("-") && pos === "PRON") form = form.replace(/^-(?:t-)?/, "");
  // UD writes the ligature ("yeux" → "œil", "cœur") unless the text itself spells "oe" ("voeux" → "voeu").
  const lig = /oe/i.test(text) ? (l: string) => l : ligatures;
  // The object clitic "le" as UD French lemmatizes "l'" and "la" (GSD does "le" too; Sequoia
  // is divided): "lui".
  if (pos === "PRON" && form === "le") return "lui";
  const trained = trainedLemma(form, pos);
  if (trained !== undefined) return lig(trained);
  // An acronym the lexicon does not know as such stays as written ("CD", "ESB").
  if (/^\p{Lu}{2,6}$/u.test(text) && !lookup(form).some((a) => a.pos === pos)) return text;
  for (const a of lookup(form)) if (a.pos === pos) return lig(a.lemma);
  const guess = suffixLemma(form, pos);
  if (guess !== undefined) return lig(guess);
  return text.toLowerCase();
}

/**
 * "suis" is suivre, not être, after an object pronoun other than "le" ("je vous suis", "je la
 * suis"; "je le suis" is mostly être: "Fatigué ? Je le suis.") and before "-moi", "-nous"…
 * (imperative "suis-moi"); the training data has too few of either for the tagger to learn.
 */
function followsRule(surface: ReadonlyArray<{ text: string }>, i: number): boolean {
  const prev = surface[i - 1]?.text.toLowerCase().replace("’", "'");
  const next = surface[i + 1]?.text.toLowerCase();
  return (
    (prev !== undefined && ["la", "les", "l'", "vous", "te", "t'", "nous"].includes(prev) && i >= 2) ||
    (next !== undefined && ["-moi", "-nous", "-le", "-la", "-les"].includes(next))
  );
}

/**
 * avoir is an auxiliary before a participle ("a mangé", "a-t-il vraiment mangé"), else a verb
 * ("a un chien", "il y a"): the next word that is not an adverb or an inverted clitic decides.
 */
function avoirRule(surface: ReadonlyArray<{ text: string }>, tags: Upos[]): void {
  for (let i = 0; i < tags.length; i++) {
    if (tags[i] !== "AUX" && tags[i] !== "VERB") continue;
    const form = foldForm(surface[i]!.text);
    if (!AVOIR.has(form)) continue;
    let j = i + 1;
    while (j < tags.length && (tags[j] === "ADV" || (tags[j] === "PRON" && surface[j]!.text.startsWith("-")))) j++;
    tags[i] = j < tags.length && (tags[j] === "VERB" || (tags[j] === "AUX" && /^(?:été|eu)$/i.test(surface[j]!.text))) ? "AUX" : "VERB";
  }
}
const AVOIR = new Set(
  "ai as a avons avez ont avais avait avions aviez avaient eus eut eûmes eûtes eurent aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent ayant avoir".split(
    " ",
  ),
);

export function analyze(sentence: string): Token[] {
  const surface = tokenize(sentence);
  const tags = tagTokens(surface.map((s) => s.text));
  avoirRule(surface, tags);
  const out: Token[] = [];
  for (let i = 0; i < surface.length; i++) {
    const { text, start, end } = surface[i]!;
    const pos = tags[i]!;
    // du and des are contractions only when tagged ADP (else the article); the others always are.
    const lower = text.toLowerCase();
    const parts = pos === "ADP" || (lower !== "du" && lower !== "des") ? CONTRACTIONS[lower] : undefined;
    if (parts) {
      for (const [p, lemma] of parts) out.push({ text, lemma, pos: p, start, end });
      continue;
    }
    const follows = text.toLowerCase() === "suis" && followsRule(surface, i);
    if (follows) out.push({ text, lemma: "suivre", pos: "VERB", start, end });
    else out.push({ text, lemma: cachedLemma(text, pos), pos, start, end });
  }
  return out;
}

export function isWord(t: Token): boolean {
  return t.pos !== "PUNCT";
}

export function hasVerb(tokens: readonly Token[]): boolean {
  return tokens.some((t) => t.pos === "VERB" || t.pos === "AUX");
}

/** Words, a contraction's two parts counted once. */
export function wordCount(tokens: readonly Token[]): number {
  const starts = new Set<number>();
  for (const t of tokens) if (isWord(t)) starts.add(t.start);
  return starts.size;
}

/** A lone word (of a word list), no context: its most likely lemma, case-folded. */
export function lemmaOf(word: string): { lemma: string; known: boolean } {
  const w = word.trim();
  const form = foldForm(w);
  const pos = contextFreePos(form);
  if (pos === null) return { lemma: w.toLowerCase(), known: false };
  const parts = pos === "ADP" ? CONTRACTIONS[form] : undefined;
  if (parts) return { lemma: parts[0]![1], known: true };
  return { lemma: pos === "PROPN" ? w.toLowerCase() : lemmatize(w.toLowerCase(), pos), known: true };
}
