import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, type JobSettings } from "../../schema/settings";
import { LocalNormalizer, splitLongSentence, wordCount } from "../../worker/pipeline";
import type { Chunk } from "../../worker/pipeline/types";
import { analyze, hasVerb } from "../../worker/lang";
import { words } from "./metrics";

const LONG =
  "Jeanne, sortie la veille du couvent, libre enfin pour toujours, prête à saisir tous les bonheurs de la vie dont elle rêvait depuis si longtemps, craignait que son père hésitât à partir si le temps ne s’éclaircissait pas ; et pour la centième fois depuis le matin elle interrogeait l’horizon mais la pluie ne cessait pas.";

const settings = (over: Partial<JobSettings>): JobSettings => ({ ...DEFAULT_SETTINGS, ...over });

const chunk = (texts: string[], first = 10): Chunk => ({
  index: 2,
  first_paragraph: first,
  paragraphs: texts.map((text, i) => ({ text, page: 5 + i })),
  first_page: 5,
  last_page: 5 + texts.length - 1,
});

describe("LocalNormalizer", () => {
  const engine = new LocalNormalizer();

  it("is the local engine, free and model-less", () => {
    expect(engine.engine).toBe("local");
    expect(engine.model).toBeNull();
  });

  it("segments each paragraph and numbers paragraphs globally", async () => {
    const result = await engine.normalize(chunk(["Il pleut. M. Dupont sort.", "« Tu viens ? » demanda-t-il."]), DEFAULT_SETTINGS);
    // No model is called: its tokens are its text's count, ~4 characters a token (25 + 28 characters).
    expect(result.tokens).toBe(Math.ceil((25 + 28) / 4));
    expect(result.sentences).toEqual([
      { text: "Il pleut.", page: 5, paragraph: 10 },
      { text: "M. Dupont sort.", page: 5, paragraph: 10 },
      { text: "« Tu viens ? » demanda-t-il.", page: 6, paragraph: 11 },
    ]);
  });

  it("splits a long sentence at clause boundaries without losing, adding or moving a word", async () => {
    const { sentences } = await engine.normalize(chunk([LONG]), settings({ sentence_length_limit: 10 }));
    const pieces = sentences.map((s) => s.text);
    expect(pieces.length).toBeGreaterThan(4);
    expect(words(pieces.join(" "))).toEqual(words(LONG));
    expect(pieces.join(" ")).toBe(LONG);
    expect(pieces[0]).toBe("Jeanne, sortie la veille du couvent, libre enfin pour toujours,");
    // A piece stays over the limit only when it holds no clause boundary to cut at.
    for (const p of pieces) {
      if (wordCount(p) <= 10) continue;
      expect(p.slice(0, -1)).not.toMatch(/[,;:] /);
      expect(p.split(" ").slice(1)).not.toContain("et");
      expect(p.split(" ").slice(1)).not.toContain("mais");
    }
    // Cuts fall at clause boundaries: after , ; : or before a conjunction, a subordinator or a
    // relative pronoun.
    for (let i = 1; i < pieces.length; i++) {
      const opens =
        /^(et|mais|ou|car|donc|or|ni|qui|que|qu’|dont|où|lorsque|lorsqu’|quand|puisque|puisqu’|si|s’|comme|parce)(?=\s|$|’)/iu.test(
          pieces[i]!,
        );
      expect(/[,;:]$/.test(pieces[i - 1]!) || opens, `${pieces[i - 1]} | ${pieces[i]}`).toBe(true);
    }
  });

  it("leaves a long sentence without clause boundaries whole", () => {
    const text = "Le très long chemin qui monte vers le vieux château du seigneur des lieux serpente longuement.";
    expect(splitLongSentence(text, 5)).toEqual([text]);
  });

  it("leaves dialogue unsplit with ignore_dialogue", async () => {
    const dialogue = "-- Si, je te le promets, je m’en charge, et demain matin, avant le jour, nous partirons tous ensemble pour la mer.";
    const split = await engine.normalize(chunk([dialogue]), settings({ sentence_length_limit: 8 }));
    expect(split.sentences.length).toBeGreaterThan(1);
    const kept = await engine.normalize(chunk([dialogue]), settings({ sentence_length_limit: 8, ignore_dialogue: true }));
    expect(kept.sentences.map((s) => s.text)).toEqual([dialogue]);
  });

  it("merges fragments shorter than min_sentence_length within the paragraph", async () => {
    const { sentences } = await engine.normalize(
      chunk(["Oui. Il partit vers la mer ce matin-là. Non.", "Bien."]),
      settings({ min_sentence_length: 3 }),
    );
    expect(sentences).toEqual([
      { text: "Oui. Il partit vers la mer ce matin-là. Non.", page: 5, paragraph: 10 },
      { text: "Bien.", page: 6, paragraph: 11 },
    ]);
  });
});

describe("splitLongSentence keeps a verb in each piece", () => {
  it("moves a cut that would strand a piece without a verb, when other boundaries allow", () => {
    const text = "Quoi qu’il en fût, c’était une installation définitive, et non provisoire, qui s’imposait aux naufragés du Sloughi.";
    // The plain clause cut leaves "et non provisoire," alone, with no verb.
    expect(splitLongSentence(text, 8, { keepVerbs: false })).toEqual([
      "Quoi qu’il en fût, c’était une installation définitive,",
      "et non provisoire,",
      "qui s’imposait aux naufragés du Sloughi.",
    ]);
    const pieces = splitLongSentence(text, 8);
    expect(pieces).toEqual([
      "Quoi qu’il en fût,",
      "c’était une installation définitive, et non provisoire,",
      "qui s’imposait aux naufragés du Sloughi.",
    ]);
    // Still exact slices, still within the limit, each with a verb.
    expect(pieces.join(" ")).toBe(text);
    for (const p of pieces) {
      expect(wordCount(p)).toBeLessThanOrEqual(8);
      expect(hasVerb(analyze(p))).toBe(true);
    }
  });

  it("cuts before a clause's subordinator or relative (a weak boundary) only in the verb-keeping cut", () => {
    const text =
      "Briant et Gordon, après être descendus dans les chambres, s’étaient rendus compte que l’eau ne pénétrait pas à l’intérieur de la cale.";
    // No comma or conjunction within the last 12 words: the plain cut leaves them whole.
    const plain = [
      "Briant et Gordon,",
      "après être descendus dans les chambres,",
      "s’étaient rendus compte que l’eau ne pénétrait pas à l’intérieur de la cale.",
    ];
    expect(splitLongSentence(text, 8, { keepVerbs: false })).toEqual(plain);
    const pieces = splitLongSentence(text, 8);
    expect(pieces).toEqual([
      "Briant et Gordon,",
      "après être descendus dans les chambres,",
      "s’étaient rendus compte",
      "que l’eau ne pénétrait pas à l’intérieur de la cale.",
    ]);
    expect(pieces.join(" ")).toBe(text);
    // Fewer words over the limit (13 → 10 in the longest piece), no more pieces without a verb.
    expect(Math.max(...pieces.map(wordCount))).toBe(10);
    expect(Math.max(...plain.map(wordCount))).toBe(13);
    expect(pieces.map((p) => hasVerb(analyze(p)))).toEqual([false, true, true, true]);
  });

  it("never cuts inside a compound subordinator (bien que) nor before an adverb read as a conjunction (donc)", () => {
    const compound =
      "Le Sloughi venait de talonner par l’arrière ; mais, bien que toute sa coque en eût été ébranlée, l’eau ne pénétra pas à travers le bordage.";
    const pieces = splitLongSentence(compound, 8);
    expect(pieces.join(" ")).toBe(compound);
    expect(pieces.some((p) => p.startsWith("que "))).toBe(false);
    expect(pieces).toContain("bien que toute sa coque en eût été ébranlée,");
    // The plain cut takes "donc" for the conjunction; the tagger reads it as an adverb here.
    const adverb = "Il était donc à craindre que ces dispositions n’accrussent la gravité d’une situation déjà si inquiétante.";
    expect(splitLongSentence(adverb, 8, { keepVerbs: false })[1]).toMatch(/^donc /);
    expect(splitLongSentence(adverb, 8)).toEqual([
      "Il était donc à craindre",
      "que ces dispositions n’accrussent la gravité d’une situation déjà si inquiétante.",
    ]);
  });

  it("cuts before a preposition that opens an infinitive or a gerund, never between a relative and its pronoun", () => {
    // "qui essayait en vain de se dégager des bolas." is 9 words with no clause boundary inside
    // for the plain cut; "de se dégager…" opens an infinitive clause, a boundary for the tagged cut.
    const infinitive = "Gordon et Baxter se précipitèrent vers la chèvre, qui essayait en vain de se dégager des bolas.";
    expect(splitLongSentence(infinitive, 8, { keepVerbs: false })).toEqual([
      "Gordon et Baxter se précipitèrent vers la chèvre,",
      "qui essayait en vain de se dégager des bolas.",
    ]);
    expect(splitLongSentence(infinitive, 8)).toEqual([
      "Gordon et Baxter se précipitèrent vers la chèvre,",
      "qui essayait en vain",
      "de se dégager des bolas.",
    ]);
    const gerund = "Et encore, s’ils avaient pu se rendre compte du temps écoulé en consultant leur montre !";
    expect(splitLongSentence(gerund, 8)).toEqual([
      "Et encore,",
      "s’ils avaient pu se rendre compte du temps écoulé",
      "en consultant leur montre !",
    ]);
    // "ce qui" stays whole: a relative after its pronoun is no clause's start (a weak boundary otherwise).
    const relative =
      "Au-dessus de la porte du hall, à l’extérieur, Baxter et Wilcox avaient artistement disposé la série des flammes, guidons et pavillons du Sloughi, ce qui donnait un air de fête à French-den.";
    const pieces = splitLongSentence(relative, 8);
    expect(pieces).toContain("ce qui donnait un air de fête à French-den.");
    expect(pieces.join(" ")).toBe(relative);
  });

  it("keeps the plain clause cut when no cut gives every piece a verb", () => {
    // One verb, fifteen words, at most six a piece: some piece must go without.
    const text = "Le vieux marin, un homme grand et fort, regardait la mer, la plage, les rochers noirs.";
    const plain = ["Le vieux marin,", "un homme grand et fort,", "regardait la mer, la plage,", "les rochers noirs."];
    expect(splitLongSentence(text, 6, { keepVerbs: false })).toEqual(plain);
    expect(splitLongSentence(text, 6)).toEqual(plain);
  });

  it("never goes further over the limit to find a verb", () => {
    // Giving "Les enfants," a verb would make an 11-word piece where the plain cut's longest
    // (no boundary within the limit there) has 9: the plain cut stays.
    const text = "Les enfants, tous très fatigués par la longue route du retour, rentrèrent enfin chez eux.";
    const plain = ["Les enfants,", "tous très fatigués par la longue route du retour,", "rentrèrent enfin chez eux."];
    expect(splitLongSentence(text, 8, { keepVerbs: false })).toEqual(plain);
    expect(splitLongSentence(text, 8)).toEqual(plain);
  });
});
