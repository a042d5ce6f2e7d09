import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LearningOptionsSchema } from "../../schema/learning";
import { JobSettingsSchema } from "../../schema/settings";
import { analyseSentence, eligibleSentences, withAnalysis, wordLemmas } from "../../worker/learning/analyse";
import { AnalysisReader, AnalysisWriter, storedAnalysis, textHash } from "../../worker/learning/stored";
import { normalizeChunk } from "../../worker/pipeline";
import { sentenceFacts } from "../../worker/pipeline/facts";
import { CORPUS } from "./corpus";
import { learningExport } from "../../worker/learning/export";
import { alternatives, isEligible, poolEntry, select, swap, type AnalysedSentence } from "../../worker/learning/select";
import { decodeText, firstCell, listWords, toEntries, toEntry, WordlistError } from "../../worker/learning/wordlist-file";
import { analyze } from "../../worker/lang";

const OPTIONS = LearningOptionsSchema.parse({});

/** A sentence given by its words' lemmas (each word one lemma unless an array). */
function sentence(index: number, words: (string | string[])[], hasVerb = true): AnalysedSentence {
  return {
    job_id: "j",
    index,
    text: words.map((w) => (Array.isArray(w) ? w.join("+") : w)).join(" "),
    page: 1,
    word_count: words.length,
    has_verb: hasVerb,
    words: words.map((w) => (Array.isArray(w) ? w : [w])),
  };
}

describe("selection", () => {
  const list = new Set(["chat", "chien", "maison", "manger", "dormir", "souris"]);
  const book = [
    sentence(0, ["le", "chat", "manger", "le", "souris"]),
    sentence(1, ["le", "chien", "dormir", "dans", "maison"]),
    sentence(2, ["le", "chat", "dormir", "ici"]),
    sentence(3, ["un", "chien", "manger", "un", "souris"]),
  ];

  it("coverage: the fewest sentences covering every found word, by new words, none redundant", () => {
    const s = select(book, list, "coverage", OPTIONS);
    expect(s.sentences).toHaveLength(2);
    expect(s.optimal).toBe(true);
    expect(s.found_words).toBe(6);
    expect(s.covered_words).toBe(6);
    expect(s.uncovered).toEqual([]);
    expect(new Set(s.sentences.flatMap((x) => x.new_words))).toEqual(list);
    expect(s.sentences.map((x) => x.rank)).toEqual([1, 2]);
    expect(s.pool).toHaveLength(4);
  });

  it("reports list words the books never offer, and ignores words outside the list", () => {
    const s = select(book.slice(0, 1), new Set(["chat", "absent"]), "coverage", OPTIONS);
    expect(s.uncovered).toEqual(["absent"]);
    expect(s.sentences[0]!.list_words).toEqual(["chat"]);
  });

  it("filter: the share of known words, fewest unknown first; a contraction is one word known when both parts are", () => {
    const known = new Set(["le", "chat", "manger", "souris", "de"]);
    const s = select([book[0]!, sentence(5, ["chat", ["de", "le"], "manger"]), book[1]!], known, "filter", {
      ...OPTIONS,
      min_known_ratio: 0.9,
    });
    expect(s.sentences.map((x) => x.index)).toEqual([0, 5]);
    expect(s.sentences.every((x) => x.known_ratio === 1)).toBe(true);
    expect(poolEntry(book[1]!, known).known_ratio).toBe(0.2);
  });

  it("eligibility: bounds and the verb", () => {
    expect(isEligible({ word_count: 3, has_verb: true }, OPTIONS)).toBe(false);
    expect(isEligible({ word_count: 4, has_verb: true }, OPTIONS)).toBe(true);
    expect(isEligible({ word_count: 8, has_verb: false }, OPTIONS)).toBe(false);
    expect(isEligible({ word_count: 8, has_verb: false }, { ...OPTIONS, require_verb: false })).toBe(true);
    expect(isEligible({ word_count: 9, has_verb: true }, OPTIONS)).toBe(false);
  });

  it("alternatives hold the rank's new words; a swap keeps a cover and drops what adds nothing", () => {
    const s = select(book, list, "coverage", OPTIONS);
    for (let rank = 1; rank <= s.sentences.length; rank++) {
      const alt = alternatives(s.sentences, s.pool, rank)!;
      for (const a of alt.alternatives) for (const w of alt.new_words) expect(a.list_words).toContain(w);
      for (const a of alt.alternatives) expect(s.sentences.some((x) => x.index === a.index)).toBe(false);
    }
    const first = s.sentences[0]!;
    const replacement = s.pool.find((p) => p.index !== first.index && first.new_words.every((w) => p.list_words.includes(w)));
    if (replacement) {
      const after = swap(s.sentences, 1, replacement);
      expect(after[0]!.index).toBe(replacement.index);
      expect(new Set(after.flatMap((x) => x.list_words))).toEqual(list);
      expect(after.every((x) => x.new_words.length > 0)).toBe(true);
    }
    expect(alternatives(s.sentences, s.pool, 99)).toBeNull();
  });

  it("exports csv with the documented columns, txt one sentence a line", async () => {
    const s = select(book, list, "coverage", OPTIONS);
    const csv = String((await learningExport(s.sentences, "csv")).body);
    expect(csv.split("\r\n")[0]).toBe("\uFEFFrank,sentence,new_words,list_words,page,job_id,index,word_count,has_verb,known_ratio");
    expect(csv.split("\r\n")[1]).toMatch(/^1,/);
    expect(String((await learningExport(s.sentences, "txt")).body).split("\n")).toHaveLength(3);
  });
});

describe("analysis", () => {
  it("counts words by surface word (du = de + le is one word) and finds the verb", () => {
    const tokens = analyze("Le fils du voisin est parti.");
    const words = wordLemmas(tokens);
    expect(words.map((w) => w.join("+"))).toEqual(["le", "fils", "de+le", "voisin", "être", "partir"]);
    const [a] = eligibleSentences("j", [{ index: 0, text: "Le fils du voisin est parti.", page: 3 }], OPTIONS);
    expect(a).toMatchObject({ word_count: 6, has_verb: true, page: 3 });
  });
});

/** A job's sentences as its result has them (with their facts) and the analysis the tracker stores. */
function stored(texts: readonly string[]) {
  const writer = new AnalysisWriter();
  const sentences = texts.map((text, index) => {
    const { lemmas, word_count, has_verb } = withAnalysis({ text });
    writer.add(text, lemmas);
    return { index, text, page: 1 + Math.floor(index / 30), word_count, has_verb };
  });
  const analysis = storedAnalysis(JSON.parse(JSON.stringify(writer.done())))!;
  return { sentences, analysis, reader: () => new AnalysisReader(analysis) };
}

describe("stored analysis", () => {
  // The opening of the Verne novel cut by the local engine at 12 words: ~1,000 sentences.
  const paragraphs = readFileSync(path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.source.txt"), "utf8")
    .split("\n")
    .filter(Boolean)
    .slice(0, 250);
  const chunk = { index: 0, first_paragraph: 0, first_page: 1, last_page: 1, paragraphs: paragraphs.map((text) => ({ text, page: 1 })) };
  const texts = normalizeChunk(chunk, JobSettingsSchema.parse({ sentence_length_limit: 12 })).map((s) => s.text);
  const book = stored(texts);

  it("the chunk consumer's one tagging gives the result's facts too", () => {
    for (const text of texts.slice(0, 300)) {
      const { word_count, has_verb } = withAnalysis({ text });
      expect({ word_count, has_verb }, text).toEqual(sentenceFacts(text));
    }
  });

  it("a run reads the same eligible sentences and makes the same selection as by tagging", () => {
    const list = new Set([
      "homme",
      "mer",
      "navire",
      "enfant",
      "nuit",
      "voir",
      "faire",
      "grand",
      "petit",
      "île",
      "être",
      "avoir",
      "de",
      "le",
    ]);
    for (const options of [
      OPTIONS,
      { ...OPTIONS, min_words: 1, max_words: 100, require_verb: false },
      { ...OPTIONS, min_words: 3, max_words: 12, min_known_ratio: 0.3 },
    ]) {
      const tagged = eligibleSentences("j", book.sentences, options);
      const read = eligibleSentences("j", book.sentences, options, book.reader());
      expect(tagged.length).toBeGreaterThan(50);
      expect(read).toEqual(tagged);
      for (const mode of ["coverage", "filter"] as const)
        expect(select(read, list, mode, options)).toEqual(select(tagged, list, mode, options));
    }
  });

  it("uses what it stored: a sentence whose text changed (a reader's edit) is tagged again", () => {
    const { sentences, reader } = stored(["Le chat mange la souris.", "Il mange du pain."]);
    // Stored lemmas stand, as long as the text is the analysed one (checked by its hash).
    const doctored = new AnalysisWriter();
    doctored.add(sentences[0]!.text, ["le", "chien", "manger", "le", "os"]);
    const fake = new AnalysisReader(doctored.done()!);
    expect(eligibleSentences("j", sentences.slice(0, 1), OPTIONS, fake)[0]!.words).toEqual([["le"], ["chien"], ["manger"], ["le"], ["os"]]);
    // An edit: the result has its new text and facts (jobResult tags it), the analysis the old text.
    const text = "Un chien dort dans la grande maison.";
    const edited = [{ ...sentences[0]!, text, ...sentenceFacts(text) }, sentences[1]!];
    const read = eligibleSentences("j", edited, OPTIONS, reader());
    expect(read).toEqual(edited.map((s) => analyseSentence("j", s)));
    expect(read[0]!.words.flat()).toContain("maison");
    expect(read[1]!.words).toEqual([["lui"], ["manger"], ["de", "le"], ["pain"]]);
  });

  it("eligibility is the result's word count: 'etc.' (tagged punctuation) does not count", () => {
    // Nine surface words, eight words for the tagger: eligible at 8, with or without the analysis.
    const { sentences, reader } = stored(["Il lui appartenait de la mettre à exécution, etc."]);
    expect(sentences[0]).toMatchObject({ word_count: 8, has_verb: true });
    expect(eligibleSentences("j", sentences, OPTIONS, reader())).toHaveLength(1);
    expect(eligibleSentences("j", sentences, OPTIONS)).toHaveLength(1);
    // Without facts (the CLI's sentences), judged by the same tagging: eligible too.
    expect(eligibleSentences("j", [{ index: 0, text: sentences[0]!.text, page: 1 }], OPTIONS)).toHaveLength(1);
  });

  it("tags sentences stored without lemmas; keeps none over 100 words; another version is not read", () => {
    const long = `${Array.from({ length: 101 }, (_, i) => `mot${i}`).join(" ")} est là.`;
    const writer = new AnalysisWriter();
    writer.add("Le chat mange la souris.", undefined);
    writer.add(long, withAnalysis({ text: long }).lemmas);
    writer.add("Il dort.", withAnalysis({ text: "Il dort." }).lemmas);
    const a = writer.done()!;
    expect(a.sentences.slice(0, 2)).toEqual([null, null]);
    expect(a.sentences[2]).toBe(`${textHash("Il dort.")} 0 1`);
    const sentences = ["Le chat mange la souris.", "Il dort."].map((text, index) => ({ index, text, page: 1, ...sentenceFacts(text) }));
    const wide = { ...OPTIONS, min_words: 1, max_words: 100 };
    expect(eligibleSentences("j", [sentences[0]!], wide, new AnalysisReader(a))).toEqual([analyseSentence("j", sentences[0]!)]);
    expect(new AnalysisWriter().done()).toBeNull();
    expect(storedAnalysis({ ...a, v: 2 })).toBeNull();
    expect(storedAnalysis(null)).toBeNull();
  });
});

describe("word list files", () => {
  it("reads one word a line or the first column, comments, header, quotes, variants", () => {
    expect(listWords("word\n# a comment\nchat\n\n  chien  \n")).toEqual(["chat", "chien"]);
    expect(listWords('mot;fréquence\nmaison;12\n"bon, bonne",3\nyeux\t4\n')).toEqual(["maison", "bon, bonne", "yeux"]);
    expect(firstCell('"il ""dit""",x')).toBe('il "dit"');
    expect(listWords("chat # the animal\n")).toEqual(["chat"]);
    expect(toEntry("bon|bonne")).toEqual({ word: "bon|bonne", lemma: "bon", known: true });
    expect(toEntry("zzgrompf|bonne")).toMatchObject({ lemma: "bon", known: true });
    expect(toEntry("Yeux")).toMatchObject({ word: "Yeux", lemma: "œil", known: true });
    expect(toEntry("zzgrompf")).toEqual({ word: "zzgrompf", lemma: "zzgrompf", known: false });
  });

  it("refuses binary files, empty lists and lists over 20,000 entries", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof WordlistError ? `${err.status} ${err.code}` : String(err);
      }
      return "accepted";
    };
    expect(code(() => decodeText(new TextEncoder().encode("%PDF-1.4\n")))).toBe("415 unsupported_file_type");
    expect(code(() => decodeText(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2])))).toBe("415 unsupported_file_type");
    expect(code(() => decodeText(new Uint8Array([104, 0, 105])))).toBe("415 unsupported_file_type");
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x63, 0xe2, 0x80, 0x99]))).toBe("c’");
    expect(decodeText(new Uint8Array([0xe9, 0x74, 0xe9]))).toBe("été");
    expect(code(() => toEntries([" ", "|"]))).toBe("400 empty_list");
    expect(code(() => toEntries(Array.from({ length: 20_001 }, (_, i) => `m${i}`)))).toBe("413 too_many_entries");
    expect(code(() => toEntries(["chat"]))).toBe("accepted");
  });
});
