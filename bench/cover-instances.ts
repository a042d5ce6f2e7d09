/**
 * Set-cover instances for the learning-set selection (worker/learning/cover.ts), built from the
 * shared corpus: the sentences of a novel (4–8 words, with a verb) and the lemmas of a frequency
 * list that each one contains. Used by test/unit/cover.test.ts and the bench's learning-set section.
 *
 * The tagger is a parameter: the default is a plain lookup (the most frequent lemma and UPOS of
 * each lowercased form in the UD treebanks of the shared corpus); the real lemmatizer of
 * worker/lang can be passed in instead (its `analyze` returns the same `{ text, lemma, pos }`).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_SETTINGS } from "../schema/settings";
import { normalizeChunk, wordCount } from "../worker/pipeline";
import type { Chunk } from "../worker/pipeline/types";
import { CORPUS } from "../test/unit/corpus";

export interface TaggedWord {
  text: string;
  lemma: string;
  pos: string;
}
/** One sentence in, its words with lemma and UPOS out (the shape of worker/lang's `analyze`). */
export type Tagger = (sentence: string) => readonly TaggedWord[];

export interface CoverInstance {
  name: string;
  /** The candidate sentences, in book order. */
  sentences: string[];
  /** Per sentence: the sorted unique ids of the list lemmas it contains (ids index `lemmas`). */
  sets: number[][];
  /** Per sentence: its word count (the solver's tie-break). */
  words: number[];
  /** The word list, most frequent first. */
  lemmas: string[];
}

const apostrophes = (s: string) => s.replace(/[’ʼ`]/g, "'");

/** Words of a sentence: letters (with inner hyphens and apostrophes), an elision keeps its apostrophe. */
function tokens(sentence: string): string[] {
  return apostrophes(sentence).match(/[\p{L}\p{M}]+(?:[-'][\p{L}\p{M}]+)*'?|\p{N}+/gu) ?? [];
}

export interface Lexicon {
  /** lowercased form → [lemma, UPOS] most often seen for it */
  get(form: string): readonly [string, string] | undefined;
}

let lexiconCache: Lexicon | undefined;

/** The most frequent (lemma, UPOS) of each lowercased form in `../shared/corpus/lemmas/*.conllu`. */
export function conlluLexicon(dir = path.join(CORPUS, "lemmas")): Lexicon {
  if (lexiconCache && dir === path.join(CORPUS, "lemmas")) return lexiconCache;
  const counts = new Map<string, Map<string, number>>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".conllu"))
    .sort()) {
    for (const line of readFileSync(path.join(dir, file), "utf8").split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const cols = line.split("\t");
      if (cols.length < 4 || !/^\d+$/.test(cols[0]!)) continue; // range lines 4-5, empty nodes 4.1
      const form = apostrophes(cols[1]!.toLowerCase());
      const key = `${cols[2]!.toLowerCase()}\t${cols[3]}`;
      let m = counts.get(form);
      if (!m) counts.set(form, (m = new Map()));
      m.set(key, (m.get(key) ?? 0) + 1);
    }
  }
  const best = new Map<string, readonly [string, string]>();
  for (const [form, m] of counts) {
    let top = "";
    let n = -1;
    for (const [k, c] of m) if (c > n || (c === n && k < top)) [top, n] = [k, c];
    const [lemma, upos] = top.split("\t") as [string, string];
    best.set(form, [lemma, upos]);
  }
  const lexicon: Lexicon = { get: (form) => best.get(form) };
  if (dir === path.join(CORPUS, "lemmas")) lexiconCache = lexicon;
  return lexicon;
}

/** Looks a word up whole, else its hyphen/apostrophe parts; an unknown word is its own lemma (X). */
function lookup(lexicon: Lexicon, word: string): TaggedWord[] {
  const lower = word.toLowerCase();
  const hit = lexicon.get(lower);
  if (hit) return [{ text: word, lemma: hit[0], pos: hit[1] }];
  const parts = word.match(/[^-']+'?/g) ?? [word];
  if (parts.length > 1) return parts.flatMap((p) => lookup(lexicon, p));
  return [{ text: word, lemma: lower, pos: "X" }];
}

/** The plain lookup tagger: no context, the most frequent reading of each form. */
export function lookupTagger(lexicon = conlluLexicon()): Tagger {
  return (sentence) => tokens(sentence).flatMap((w) => lookup(lexicon, w));
}

/**
 * The `size` most frequent lemmas of `../shared/corpus/frequency/opensubtitles-2018-fr-50k.txt`
 * (`form count` lines), each form lemmatized by `tagger` alone and the counts summed per lemma;
 * punctuation, numbers and unknown words (X) are left out.
 */
export function frequencyList(tagger: Tagger = lookupTagger(), size = 2000): string[] {
  const counts = new Map<string, number>();
  const file = path.join(CORPUS, "frequency", "opensubtitles-2018-fr-50k.txt");
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [form, count] = line.trim().split(/\s+/);
    if (!form || !count) continue;
    const tagged = tagger(form);
    if (tagged.length !== 1) continue;
    const { lemma, pos } = tagged[0]!;
    if (pos === "PUNCT" || pos === "NUM" || pos === "X" || pos === "SYM") continue;
    counts.set(lemma, (counts.get(lemma) ?? 0) + Number(count));
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size)
    .map(([l]) => l);
}

/** Sentences of paragraphs (one a line) as the local pipeline cuts them at `limit` words. */
export function cutSentences(paragraphs: readonly string[], limit = 8): string[] {
  const chunk: Chunk = {
    index: 0,
    first_paragraph: 0,
    paragraphs: paragraphs.map((text) => ({ text, page: 1 })),
    first_page: 1,
    last_page: 1,
  };
  return normalizeChunk(chunk, { ...DEFAULT_SETTINGS, sentence_length_limit: limit }).map((s) => s.text);
}

export interface BuildOptions {
  tagger?: Tagger;
  /** The word list, most frequent first (default: `frequencyList(tagger)`). */
  lemmas?: readonly string[];
  minWords?: number;
  maxWords?: number;
}

/** Candidates: sentences of minWords–maxWords words with a VERB or AUX, tagged with the list's lemmas. */
export function buildInstance(name: string, sentences: readonly string[], opts: BuildOptions = {}): CoverInstance {
  const tagger = opts.tagger ?? lookupTagger();
  const lemmas = [...(opts.lemmas ?? frequencyList(tagger))];
  const id = new Map(lemmas.map((l, i) => [l, i]));
  const min = opts.minWords ?? 4;
  const max = opts.maxWords ?? 8;
  const out: CoverInstance = { name, sentences: [], sets: [], words: [], lemmas };
  for (const s of sentences) {
    const n = wordCount(s);
    if (n < min || n > max) continue;
    const tagged = tagger(s);
    if (!tagged.some((t) => t.pos === "VERB" || t.pos === "AUX")) continue;
    const set = new Set<number>();
    for (const t of tagged) {
      const i = id.get(t.lemma);
      if (i !== undefined) set.add(i);
    }
    out.sentences.push(s);
    out.sets.push([...set].sort((a, b) => a - b));
    out.words.push(n);
  }
  return out;
}

export function novelParagraphs(name: string): string[] {
  return readFileSync(path.join(CORPUS, "novels", `${name}.source.txt`), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

export const VERNE = "verne-deux-ans-de-vacances";
export const MAUPASSANT = "maupassant-une-vie";

/** The Verne novel, cut at 8 words: the novel-size instance (~4,000 candidates). */
export function novelInstance(opts: BuildOptions = {}): CoverInstance {
  return buildInstance(VERNE, cutSentences(novelParagraphs(VERNE)), opts);
}

/** A small seeded PRNG (mulberry32): the generated books are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A pseudo-book made from a real one: a seeded half of its paragraphs, in shuffled order, each
 * paragraph's words re-cut at random word boundaries into pieces of 4–8 words (real French word
 * sequences, but not sentences as an author ended them).
 */
export function recutBook(paragraphs: readonly string[], seed: number, share = 0.5): string[] {
  const rand = prng(seed);
  const picked = paragraphs.filter(() => rand() < share);
  for (let i = picked.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  const pieces: string[] = [];
  for (const p of picked) {
    const ws = p.split(/\s+/).filter((w) => w !== "");
    let at = Math.floor(rand() * 4);
    while (at < ws.length) {
      const len = 4 + Math.floor(rand() * 5);
      pieces.push(ws.slice(at, at + len).join(" "));
      at += len;
    }
  }
  return pieces;
}

/**
 * "Ten books": the two real novels cut by the pipeline at 8 words, plus eight pseudo-books re-cut
 * from them (four from each, `recutBook` with seeds 1–8 and a 60% share of the paragraphs, ≈41,000
 * candidates in all). Only two are real books: the eight others
 * repeat their vocabulary, as books by the same authors would, in different sentences.
 */
export function tenBooksInstance(opts: BuildOptions = {}): CoverInstance {
  const tagger = opts.tagger ?? lookupTagger();
  const lemmas = opts.lemmas ?? frequencyList(tagger);
  const books = [VERNE, MAUPASSANT].map((n) => novelParagraphs(n));
  const sentences: string[] = [];
  for (const b of books) sentences.push(...cutSentences(b));
  for (let seed = 1; seed <= 8; seed++) sentences.push(...recutBook(books[seed % 2]!, seed, 0.6));
  return buildInstance("ten books (2 novels + 8 re-cut)", sentences, { ...opts, tagger, lemmas });
}
