/**
 * Training of the tagger and the lemma tables from UD gold (used by scripts/train-tagger.ts,
 * scripts/eval.ts and the tests; not part of the Worker: index.ts does not import it).
 * Model text layout, four blocks separated by blank lines:
 *   weights:  feature "\t" (tagLetter weight)+ separated by spaces (tagLetter = "A" + tag index)
 *   lemmas:   form "\t" POS "\t" lemma   (where the gold disagrees with lexicon + suffix rules)
 *   prior:    form "\t" POS              (most frequent tag of a form, where the lexicon's first differs)
 *   suffixes: POS "\t" suffix "\t" strip "\t" add
 *   classes:  lexicon class "\t" tag letters allowed for it
 */
import { foldForm, ligatures } from "./codec";
import type { GoldSentence } from "./conllu";
import type { Upos } from "./upos";
import { lexicalForm, lookup } from "./lexicon";
import { ambiguityClass, dynamicFeatures, N_FEATURES, parseModel, staticFeatures, TAGS, useModel, type Model } from "./tagger";

const NT = TAGS.length;
const TAG_INDEX = new Map(TAGS.map((t, i) => [t, i]));

export interface TrainOptions {
  epochs?: number;
  /** Weights of smaller magnitude (after averaging) are dropped. */
  prune?: number;
  /** Weights are written as integers: round(w * scale). */
  scale?: number;
  seed?: number;
}

/** The tag of a surface token: a contraction is tagged by its first part (ADP for "du" = de + le). */
export function surfaceTag(words: ReadonlyArray<{ pos: Upos }>): Upos {
  return words[0]!.pos;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

export function trainModel(sentences: readonly GoldSentence[], opts: TrainOptions = {}): string {
  const epochs = opts.epochs ?? 8;
  const prune = opts.prune ?? 0.5;
  const scale = opts.scale ?? 1;
  const random = rng(opts.seed ?? 1);
  const data = sentences.map((s) => ({
    texts: s.tokens.map((t) => t.text),
    gold: s.tokens.map((t) => TAG_INDEX.get(surfaceTag(t.words)) ?? TAG_INDEX.get("X")!),
  }));
  const statics = data.map((d) => staticFeatures(d.texts));

  // Averaged perceptron with lazy averaging (totals updated when a weight changes).
  const w = new Map<number, Float64Array>();
  const total = new Map<number, Float64Array>();
  const stamp = new Map<number, Float64Array>();
  let step = 0;
  const weightsOf = (f: number) => {
    let a = w.get(f);
    if (!a) {
      w.set(f, (a = new Float64Array(NT)));
      total.set(f, new Float64Array(NT));
      stamp.set(f, new Float64Array(NT));
    }
    return a;
  };
  const update = (f: number, t: number, delta: number) => {
    const a = weightsOf(f);
    const tot = total.get(f)!;
    const st = stamp.get(f)!;
    tot[t]! += (step - st[t]!) * a[t]!;
    st[t] = step;
    a[t]! += delta;
  };
  const scores = new Float64Array(NT);
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const si of order) {
      const { gold } = data[si]!;
      const feats = statics[si]!;
      let p1 = -1;
      let p2 = -1;
      for (let i = 0; i < gold.length; i++) {
        step++;
        dynamicFeatures(feats, i, p1, p2);
        scores.fill(0);
        const base = i * N_FEATURES;
        for (let j = 0; j < N_FEATURES; j++) {
          if (j === 1 || j === 2) continue;
          const a = w.get(feats[base + j]!);
          if (a) for (let t = 0; t < NT; t++) scores[t]! += a[t]!;
        }
        let guess = 0;
        for (let t = 1; t < NT; t++) if (scores[t]! > scores[guess]!) guess = t;
        const truth = gold[i]!;
        if (guess !== truth) {
          for (let j = 0; j < N_FEATURES; j++) {
            if (j === 1 || j === 2) continue;
            update(feats[base + j]!, truth, 1);
            update(feats[base + j]!, guess, -1);
          }
        }
        p2 = p1;
        p1 = guess;
      }
    }
  }
  const lines: string[] = [];
  for (const [f, a] of w) {
    const tot = total.get(f)!;
    const st = stamp.get(f)!;
    const parts: string[] = [];
    for (let t = 0; t < NT; t++) {
      const avg = (tot[t]! + (step - st[t]!) * a[t]!) / step;
      const q = Math.round(avg * scale);
      if (Math.abs(avg) >= prune && q !== 0) parts.push(`${String.fromCharCode(65 + t)}${q}`);
    }
    if (parts.length > 0) lines.push(`${f.toString(36)}\t${parts.join(" ")}`);
  }
  lines.sort();
  const weightsBlock = lines.join("\n");

  // Lemma tables: suffix rules first (types of the training data), then the exceptions.
  const types = new Map<string, Map<string, number>>(); // form\tpos → lemma → count
  const tagCounts = new Map<string, Map<Upos, number>>();
  for (const s of sentences)
    for (const tok of s.tokens) {
      const sf = foldForm(tok.text);
      let tc = tagCounts.get(sf);
      if (!tc) tagCounts.set(sf, (tc = new Map()));
      const st = surfaceTag(tok.words);
      tc.set(st, (tc.get(st) ?? 0) + 1);
      if (tok.words.length !== 1) continue;
      const word = tok.words[0]!;
      if (word.pos === "PROPN" || word.pos === "PUNCT" || word.pos === "SYM" || word.pos === "X") continue;
      // A capital in the lemma of a capitalized common word ("État", "Château") is a treebank's
      // habit for some names, not a rule for the word: not learnt.
      if (word.lemma !== word.lemma.toLowerCase() && /^\p{Lu}/u.test(tok.text)) continue;
      const key = `${foldForm(word.form)}\t${word.pos}`;
      let m = types.get(key);
      if (!m) types.set(key, (m = new Map()));
      m.set(word.lemma, (m.get(word.lemma) ?? 0) + 1);
    }
  const bestOf = <K>(m: Map<K, number>): K => [...m].sort((a, b) => b[1] - a[1])[0]![0];

  const suffixCounts = new Map<string, Map<string, number>>(); // pos\tsuffix → edit → count
  for (const [key, m] of types) {
    const [form, pos] = key.split("\t") as [string, Upos];
    if (lookup(form).length > 0 && !["NOUN", "ADJ", "VERB", "ADV"].includes(pos)) continue;
    const lemma = foldForm(bestOf(m));
    let common = 0;
    while (common < form.length && common < lemma.length && form[common] === lemma[common]) common++;
    const edit = `${form.length - common}\t${lemma.slice(common)}`;
    for (let L = 1; L <= 5 && L < form.length; L++) {
      const k = `${pos}\t${form.slice(-L)}`;
      let c = suffixCounts.get(k);
      if (!c) suffixCounts.set(k, (c = new Map()));
      c.set(edit, (c.get(edit) ?? 0) + 1);
    }
  }
  const rules = new Map<string, string>(); // pos\tsuffix → edit
  for (const [k, c] of suffixCounts) {
    let n = 0;
    for (const v of c.values()) n += v;
    const best = bestOf(c);
    if (n >= 3 && c.get(best)! / n >= 0.6) rules.set(k, best);
  }
  const suffixLines: string[] = [];
  for (const [k, edit] of rules) {
    const [pos, suf] = k.split("\t") as [string, string];
    // Only where it says something its shorter suffix does not.
    let parent: string | undefined;
    for (let L = suf.length - 1; L >= 1 && parent === undefined; L--) parent = rules.get(`${pos}\t${suf.slice(-L)}`);
    if ((parent ?? "0\t") === edit) continue;
    suffixLines.push(`${k}\t${edit}`);
  }
  suffixLines.sort();
  const suffixBlock = suffixLines.join("\n");

  // With the suffix rules in place, what would the lemmatizer say without an exception table?
  const partial: Model = parseModel(`\n\n\n\n\n\n${suffixBlock}`);
  useModel(partial);
  const lemmaLines: string[] = [];
  try {
    for (const [key, m] of types) {
      const [form, pos] = key.split("\t") as [string, Upos];
      const lemma = bestOf(m);
      if (predictLemma(form, pos, partial) !== lemma) lemmaLines.push(`${form}\t${pos}\t${lemma}`);
    }
  } finally {
    useModel(null);
  }
  lemmaLines.sort();
  const priorLines: string[] = [];
  for (const [form, tc] of tagCounts) {
    const tag = bestOf(tc);
    const lex = lookup(form);
    if (lex.length === 0 || lex[0]!.pos !== tag) priorLines.push(`${form}\t${tag}`);
  }
  priorLines.sort();

  // Tags allowed for each lexicon class: the gold tags a class had at least 1% of the time
  // (classes seen 20 times or more; the others are not restricted).
  const byClass = new Map<string, Map<number, number>>();
  for (const d of data) {
    d.texts.forEach((text, i) => {
      const cls = ambiguityClass(lexicalForm(text));
      let m = byClass.get(cls);
      if (!m) byClass.set(cls, (m = new Map()));
      m.set(d.gold[i]!, (m.get(d.gold[i]!) ?? 0) + 1);
    });
  }
  const classLines: string[] = [];
  for (const [cls, m] of byClass) {
    let n = 0;
    for (const v of m.values()) n += v;
    if (n < 20 || cls === "?") continue;
    const allowed = [...m]
      .filter(([, v]) => v / n >= 0.005)
      .map(([t]) => String.fromCharCode(65 + t))
      .sort()
      .join("");
    classLines.push(`${cls}\t${allowed}`);
  }
  classLines.sort();
  return [weightsBlock, lemmaLines.join("\n"), priorLines.join("\n"), suffixBlock, classLines.join("\n")].join("\n\n");
}

/** The lemmatizer's answer from the lexicon and suffix rules alone (no exception table). */
function predictLemma(form: string, pos: Upos, m: Model): string {
  if (pos === "NUM" && /\d/.test(form)) return form;
  for (const a of lookup(form)) if (a.pos === pos) return ligatures(a.lemma);
  const rules = m.suffixes.get(pos) ?? [];
  for (const [suf, strip, add] of rules)
    if (form.endsWith(suf) && form.length > suf.length) return ligatures(form.slice(0, form.length - strip) + add);
  return form.replace(/oe/g, "oe");
}
