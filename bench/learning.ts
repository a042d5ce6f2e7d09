/**
 * A learning set's run, as the queue consumer makes it (worker/learning: each book's sentences
 * within the bound tagged, the eligible ones, then the cover), over a 1,000-page book and over
 * ten books, beside a reference measured in the same run on the same text: the sentence
 * segmenter (`segmentSentences`), a linear pass over every paragraph.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { JobSettingsSchema } from "../schema/settings";
import { LearningOptionsSchema } from "../schema/learning";
import { normalizeChunk, segmentSentences } from "../worker/pipeline";
import type { Chunk } from "../worker/pipeline/types";
import { eligibleSentences } from "../worker/learning/analyse";
import { defaultList, listLemmas } from "../worker/learning/lists";
import { select, type AnalysedSentence } from "../worker/learning/select";
import { CORPUS } from "../test/unit/corpus";

const MB = 1024 * 1024;
const NOVELS = ["verne-deux-ans-de-vacances", "maupassant-une-vie"];
/** Characters of a typical novel page (the Verne novel: ~2,170). */
const PAGE_CHARS = 2_170;

/** A book of about `pages` pages made of the corpus novels' paragraphs, from the `offset`-th on. */
function book(pages: number, offset = 0): string[] {
  const all = NOVELS.flatMap((n) => readFileSync(path.join(CORPUS, "novels", `${n}.source.txt`), "utf8").split("\n").filter(Boolean));
  const out: string[] = [];
  let chars = 0;
  for (let i = 0; chars < pages * PAGE_CHARS; i++) {
    const p = all[(i + offset) % all.length]!;
    out.push(p);
    chars += p.length;
  }
  return out;
}

/** The book's sentences as the local engine cuts them at 8 words (what a learner would ask for). */
function sentencesOf(paragraphs: string[]) {
  const chunk: Chunk = { index: 0, first_page: 1, last_page: 1, first_paragraph: 0, paragraphs: paragraphs.map((text, i) => ({ text, page: 1 + Math.floor(i / 10) })) };
  return normalizeChunk(chunk, JobSettingsSchema.parse({ sentence_length_limit: 8 })).map((s, index) => ({ index, text: s.text, page: s.page }));
}

const ms = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

export function learningBench(): string {
  const options = LearningOptionsSchema.parse({});
  const lemmas = listLemmas(defaultList().entries);
  const rows: string[] = [];
  const run = (name: string, books: string[][]) => {
    const sentences = books.map(sentencesOf);
    const heapBefore = process.memoryUsage().heapUsed;
    let eligible: AnalysedSentence[] = [];
    const tagMs = ms(() => {
      eligible = sentences.flatMap((s, i) => eligibleSentences(`book${i}`, s, options));
    });
    let selection!: ReturnType<typeof select>;
    const coverMs = ms(() => (selection = select(eligible, lemmas, "coverage", options)));
    const heapAfter = process.memoryUsage().heapUsed;
    const refMs = ms(() => {
      for (const b of books) for (const p of b) segmentSentences(p);
    });
    const total = tagMs + coverMs;
    const count = sentences.reduce((n, s) => n + s.length, 0);
    rows.push(
      `| ${name} | ${count.toLocaleString("en")} | ${eligible.length.toLocaleString("en")} | ${selection.found_words} | ${selection.sentences.length} | ` +
        `${selection.optimal ? "yes" : `no (≥ ${selection.lower_bound})`} | ${(tagMs / 1000).toFixed(2)} s | ${(coverMs / 1000).toFixed(2)} s | ` +
        `${(total / refMs).toFixed(1)}× | ${((heapAfter - heapBefore) / MB).toFixed(0)} MB |`,
    );
  };
  // Warm-up (lexicon and model loaded, JIT) on a small book, not reported.
  run("warm-up", [book(20)]);
  rows.length = 0;
  run("one 1,000-page book", [book(1000)]);
  run("ten books of 300 pages", Array.from({ length: 10 }, (_, i) => book(300, i * 997)));
  return [
    "### A whole run: tagging and cover",
    "",
    "A coverage run with the default list (4–8 words, a verb) as the `fnt-learning` consumer makes it, on books made of the corpus novels' " +
      "paragraphs (both novels, repeated from different starting points to reach the length), cut at 8 words by the local engine. " +
      "Tagging covers only sentences of at most 8 surface words. The reference is `segmentSentences` over the same paragraphs, timed in the same run.",
    "",
    "| run | sentences | eligible | list words found | selected | optimal | tagging | cover | run ÷ segmenter | heap held |",
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}
