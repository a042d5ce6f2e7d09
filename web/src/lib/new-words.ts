// The new words of a learning sentence are lemmas and the API sends no tokens: this finds their
// likely forms in the text, for highlighting (a best effort; the words are listed beside it too).

export interface Piece {
  text: string;
  /** The new word (a lemma) this piece of the text stands for; null for the rest. */
  word: string | null;
}

const fold = (s: string) => s.toLocaleLowerCase("fr").normalize("NFC").replace(/’/g, "'");

/** Endings a form may add to its lemma: a feminine or a plural (bon → bonne, grand → grands). */
const ENDINGS = new Set(["e", "s", "es", "x", "ne", "nes", "le", "les", "te", "tes"]);

const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/**
 * Whether a word of the text looks like a form of `lemma` (both folded): the lemma itself, the
 * lemma with a feminine or plural ending, a verb's stem with an ending (parlait → parler,
 * voulant → vouloir), or, for a longer lemma, all of it but its last two letters
 * (heureuse → heureux, nouvelle → nouveau).
 */
export function looksLikeForm(word: string, lemma: string): boolean {
  if (word === lemma) return true;
  if (word.startsWith(lemma) && ENDINGS.has(word.slice(lemma.length))) return true;
  if (lemma.length >= 4) {
    const verb = lemma.match(/^(.{3,}?)(?:oir|er|ir|re)$/);
    if (verb && word.startsWith(verb[1]!) && word.length - verb[1]!.length <= 6) return true;
  }
  return lemma.length >= 5 && commonPrefix(word, lemma) >= lemma.length - 2 && Math.abs(word.length - lemma.length) <= 3;
}

/**
 * Splits a sentence into pieces, marking the words that look like forms of the new words
 * (looksLikeForm). The API gives the lemmas but not the tokens, so this is a reader's aid, not
 * the analysis: a word it misses is still listed under the sentence.
 */
export function highlightNewWords(text: string, newWords: readonly string[]): Piece[] {
  const words = newWords.map((w) => ({ word: w, folded: fold(w) }));
  const pieces: Piece[] = [];
  const push = (t: string, word: string | null) => {
    const last = pieces[pieces.length - 1];
    if (last && last.word === null && word === null) last.text += t;
    else pieces.push({ text: t, word });
  };
  // Letters with inner hyphens; an elided article (l’, d’, qu’) stays outside the word.
  const re = /[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu;
  let at = 0;
  for (const m of text.matchAll(re)) {
    const surface = fold(m[0]);
    const hit = words.find((w) => w.folded === surface) ?? words.find((w) => looksLikeForm(surface, w.folded));
    if (!hit) continue;
    push(text.slice(at, m.index), null);
    push(m[0], hit.word);
    at = m.index + m[0].length;
  }
  push(text.slice(at), null);
  return pieces.filter((p) => p.text !== "");
}
