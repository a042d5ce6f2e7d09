/**
 * Scores an analyzer against UD gold the way the project is checked: each sentence's text goes
 * through the analyzer; gold words (a multiword token's parts each carrying its surface text)
 * are matched with our tokens by character span and part index. Words = gold tokens not PUNCT.
 */
import type { GoldSentence } from "./conllu";
import type { Token, Upos } from "./index";

export interface Score {
  sentences: number;
  words: number;
  /** gold words that found a token of ours at the same place. */
  aligned: number;
  lemma: number;
  upos: number;
  /** sentences where "has a verb" (some VERB or AUX) agrees with the gold. */
  hasVerb: number;
}

export type Analyzer = (text: string) => Array<Pick<Token, "lemma" | "pos" | "start" | "end">>;

export function score(gold: readonly GoldSentence[], analyzer: Analyzer): Score {
  const s: Score = { sentences: 0, words: 0, aligned: 0, lemma: 0, upos: 0, hasVerb: 0 };
  for (const sent of gold) {
    s.sentences++;
    const ours = analyzer(sent.text);
    const byPlace = new Map<string, { lemma: string; pos: Upos }>();
    const seen = new Map<string, number>();
    for (const t of ours) {
      const span = `${t.start}:${t.end}`;
      const k = seen.get(span) ?? 0;
      seen.set(span, k + 1);
      byPlace.set(`${span}:${k}`, t);
    }
    let cursor = 0;
    let goldVerb = false;
    for (const tok of sent.tokens) {
      const at = sent.text.indexOf(tok.text, cursor);
      const start = at === -1 ? -1 : at;
      if (at !== -1) cursor = at + tok.text.length;
      tok.words.forEach((w, k) => {
        if (w.pos === "VERB" || w.pos === "AUX") goldVerb = true;
        if (w.pos === "PUNCT") return;
        s.words++;
        const mine = start === -1 ? undefined : byPlace.get(`${start}:${start + tok.text.length}:${k}`);
        if (!mine) return;
        s.aligned++;
        if (mine.lemma === w.lemma) s.lemma++;
        if (mine.pos === w.pos) s.upos++;
      });
    }
    const ourVerb = ours.some((t) => t.pos === "VERB" || t.pos === "AUX");
    if (ourVerb === goldVerb) s.hasVerb++;
  }
  return s;
}

/**
 * The plain lookup baseline: each token (our tokenization) gets the analysis its form had
 * most often in the training data (a contraction its parts); an unknown form is its own lemma.
 */
export function lookupBaseline(
  train: readonly GoldSentence[],
  tokenize: (line: string) => Array<{ text: string; start: number; end: number }>,
): Analyzer {
  const counts = new Map<string, Map<string, number>>();
  for (const sent of train)
    for (const tok of sent.tokens) {
      const key = tok.text.toLowerCase();
      const analysis = tok.words.map((w) => `${w.pos}\u0001${w.lemma}`).join("\u0002");
      let m = counts.get(key);
      if (!m) counts.set(key, (m = new Map()));
      m.set(analysis, (m.get(analysis) ?? 0) + 1);
    }
  const best = new Map<string, Array<{ pos: Upos; lemma: string }>>();
  for (const [form, m] of counts) {
    const [analysis] = [...m].sort((a, b) => b[1] - a[1])[0]!;
    best.set(
      form,
      analysis.split("\u0002").map((p) => {
        const [pos, lemma] = p.split("\u0001");
        return { pos: pos as Upos, lemma: lemma! };
      }),
    );
  }
  return (text) =>
    tokenize(text).flatMap((t) => {
      const known = best.get(t.text.toLowerCase());
      if (!known) return [{ lemma: t.text, pos: (/^\p{P}+$/u.test(t.text) ? "PUNCT" : "NOUN") as Upos, start: t.start, end: t.end }];
      return known.map((a) => ({ ...a, start: t.start, end: t.end }));
    });
}
