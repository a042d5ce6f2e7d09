import { describe, expect, it } from "vitest";
import { LearningOptionsSchema } from "../../schema/learning";
import { analyseBook, surfaceWordsAtLeast, wordLemmas } from "../../worker/learning/analyse";
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
    const s = select([book[0]!, sentence(5, ["chat", ["de", "le"], "manger"]), book[1]!], known, "filter", { ...OPTIONS, min_known_ratio: 0.9 });
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
    const [a] = analyseBook("j", [{ index: 0, text: "Le fils du voisin est parti.", page: 3 }], 8);
    expect(a).toMatchObject({ word_count: 6, has_verb: true, page: 3 });
  });

  it("skips untagged what has more surface words than the bound", () => {
    expect(surfaceWordsAtLeast("un deux trois — quatre", 3)).toBe(true);
    expect(surfaceWordsAtLeast("un deux — trois", 3)).toBe(false);
    expect(analyseBook("j", [{ index: 0, text: "Un deux trois quatre cinq six sept huit neuf.", page: 1 }], 8)).toEqual([]);
  });
});

describe("word list files", () => {
  it("reads one word a line or the first column, comments, header, quotes, variants", () => {
    expect(listWords("word\n# a comment\nchat\n\n  chien  \n")).toEqual(["chat", "chien"]);
    expect(listWords("mot;fréquence\nmaison;12\n\"bon, bonne\",3\nyeux\t4\n")).toEqual(["maison", "bon, bonne", "yeux"]);
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
