/**
 * A learning set's run, as the queue consumer makes it (worker/learning), over a 1,000-page book
 * and over ten books, two ways measured in the same run on the same sentences: from each job's
 * stored analysis (the lemmas the chunk consumer kept beside the result: what a run does), and
 * tagging every sentence within the bound (what a run did before, and still does for a job stored
 * without one), then the cover; beside a reference, the sentence segmenter (`segmentSentences`), a
 * linear pass over every paragraph. Heap held is read after a full GC on both sides. Also the size
 * of the stored analysis of the Verne novel, beside its result, as a job stores them.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { DEFAULT_SETTINGS, JobSettingsSchema } from "../schema/settings";
import { LearningOptionsSchema } from "../schema/learning";
import { normalizeChunk, planDocument, segmentSentences } from "../worker/pipeline";
import type { Chunk } from "../worker/pipeline/types";
import { analyseText, eligibleSentences, type SourceSentence } from "../worker/learning/analyse";
import { defaultList, listLemmas } from "../worker/learning/lists";
import { select, type AnalysedSentence } from "../worker/learning/select";
import { AnalysisReader, AnalysisWriter, storedAnalysis } from "../worker/learning/stored";
import { CORPUS } from "../test/unit/corpus";
import { fullGc } from "./gc";

const MB = 1024 * 1024;
const NOVELS = ["verne-deux-ans-de-vacances", "maupassant-une-vie"];
/** Characters of a typical novel page (the Verne novel: ~2,170). */
const PAGE_CHARS = 2_170;
/** The chunk size the plan consumer uses (wrangler.toml's CHUNK_CHARS default). */
const CHUNK_CHARS = 12_000;

/** A book of about `pages` pages made of the corpus novels' paragraphs, from the `offset`-th on. */
function book(pages: number, offset = 0): string[] {
  const all = NOVELS.flatMap((n) =>
    readFileSync(path.join(CORPUS, "novels", `${n}.source.txt`), "utf8")
      .split("\n")
      .filter(Boolean),
  );
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
function sentencesOf(paragraphs: string[]): SourceSentence[] {
  const chunk: Chunk = {
    index: 0,
    first_page: 1,
    last_page: 1,
    first_paragraph: 0,
    paragraphs: paragraphs.map((text, i) => ({ text, page: 1 + Math.floor(i / 10) })),
  };
  return normalizeChunk(chunk, JobSettingsSchema.parse({ sentence_length_limit: 8 })).map((s, index) => ({
    index,
    text: s.text,
    page: s.page,
  }));
}

/**
 * A job as it is stored: its result's sentences with their facts and its analysis (the JSON the
 * tracker writes), each sentence tagged once, as the chunk consumer does.
 */
function storedJob(sentences: readonly SourceSentence[]) {
  const writer = new AnalysisWriter();
  const result = sentences.map((s) => {
    const { lemmas, ...facts } = analyseText(s.text);
    writer.add(s.text, lemmas);
    return { ...s, ...facts };
  });
  return { result, analysis: JSON.stringify(writer.done()) };
}

const ms = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

/** The Verne novel through the plan and the local engine at default settings: its stored result and analysis, in bytes. */
async function verneSizes() {
  const plan = await planDocument(new Uint8Array(readFileSync(path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.pdf"))), {
    fixHyphenation: true,
    maxChunkChars: CHUNK_CHARS,
  });
  const sentences = plan.chunks.flatMap((c) => normalizeChunk(c, DEFAULT_SETTINGS).map((s) => ({ ...s, chunk: c.index })));
  const job = storedJob(sentences.map((s, index) => ({ index, text: s.text, page: s.page })));
  // The result's sentences as the tracker stores them (the job's other fields are a few hundred bytes).
  const result = JSON.stringify({
    sentences: job.result.map((r, index) => ({
      index,
      text: r.text,
      chunk: sentences[index]!.chunk,
      page: r.page,
      paragraph: sentences[index]!.paragraph,
      word_count: r.word_count,
      has_verb: r.has_verb,
    })),
  });
  const lemmaCount = (JSON.parse(job.analysis) as { lemmas: string[] }).lemmas.length;
  return {
    pages: plan.pageCount,
    sentences: sentences.length,
    result: Buffer.byteLength(result),
    analysis: Buffer.byteLength(job.analysis),
    lemmas: lemmaCount,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function learningBench(runs = 3): Promise<string> {
  const gc = fullGc();
  const options = LearningOptionsSchema.parse({});
  const lemmas = listLemmas(defaultList().entries);
  const rows: string[] = [];
  const run = (name: string, books: string[][]) => {
    const sentences = books.map(sentencesOf);
    const jobs = sentences.map(storedJob);
    type Path = (i: number) => AnalysedSentence[];
    // Before: every sentence of at most 8 surface words (letters or digits) tagged at run time.
    const surfaceWithin = (text: string) => text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length <= options.max_words;
    const before: Path = (i) =>
      eligibleSentences(
        `book${i}`,
        sentences[i]!.filter((s) => surfaceWithin(s.text)),
        options,
      );
    // Now: the result's facts say which are eligible, their lemmas read from the stored analysis
    // (the R2 object's JSON parsed, timed with the rest); for a job stored without one, tagged.
    const stored: Path = (i) =>
      eligibleSentences(`book${i}`, jobs[i]!.result, options, new AnalysisReader(storedAnalysis(JSON.parse(jobs[i]!.analysis))!));
    const without: Path = (i) => eligibleSentences(`book${i}`, jobs[i]!.result, options);
    /** One run made one way: its times, and the heap it holds at its end (eligible sentences, selection) after a full GC. */
    const once = (eligibleOf: Path) => {
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      let eligible: AnalysedSentence[] = [];
      let selection!: ReturnType<typeof select>;
      const read = ms(() => (eligible = sentences.flatMap((_, i) => eligibleOf(i))));
      const cover = ms(() => (selection = select(eligible, lemmas, "coverage", options)));
      gc();
      return { eligible, selection, read, cover, held: (process.memoryUsage().heapUsed - heapBefore) / MB };
    };
    // The three ways in turn, `runs` times, so a busy spell of the machine falls on all of them;
    // only the first run's sentences and selection are kept.
    type Way = "before" | "stored" | "without";
    const ways: [Way, Path][] = [
      ["before", before],
      ["stored", stored],
      ["without", without],
    ];
    const tries: Record<Way, { read: number; cover: number; held: number }[]> = { before: [], stored: [], without: [] };
    const first = {} as Record<Way, ReturnType<typeof once>>;
    for (let r = 0; r < runs; r++) {
      for (const [way, path] of ways) {
        const o = once(path);
        tries[way].push({ read: o.read, cover: o.cover, held: o.held });
        if (r === 0) first[way] = o;
      }
    }
    /** One way's first run, with the medians of its times and heap held. */
    const measure = (way: Way) => {
      const t = tries[way];
      return {
        ...first[way],
        readMs: median(t.map((x) => x.read)),
        coverMs: median(t.map((x) => x.cover)),
        totalMs: median(t.map((x) => x.read + x.cover)),
        held: median(t.map((x) => x.held)),
      };
    };
    const [b, st, wo] = [measure("before"), measure("stored"), measure("without")];
    const same = JSON.stringify(st.selection) === JSON.stringify(wo.selection);
    const refMs = median(
      Array.from({ length: runs }, () =>
        ms(() => {
          for (const paragraphs of books) for (const p of paragraphs) segmentSentences(p);
        }),
      ),
    );
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const parsed = jobs.map((j) => JSON.parse(j.analysis) as unknown);
    gc();
    const parsedMB = (process.memoryUsage().heapUsed - heapBefore) / MB;
    parsed.length = 0;
    const count = sentences.reduce((n, s) => n + s.length, 0);
    const storedMB = jobs.reduce((n, j) => n + Buffer.byteLength(j.analysis), 0) / MB;
    const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
    const row = (path: string, m: typeof b) =>
      `| ${path} | ${m.eligible.length.toLocaleString("en")} | ${m.selection.found_words} | ${m.selection.sentences.length}` +
      `${m.selection.optimal ? ", optimal" : ` (≥ ${m.selection.lower_bound})`} | ${s(m.readMs)} | ${s(m.coverMs)} | ${s(m.totalMs)} | ` +
      `${(m.totalMs / b.totalMs).toFixed(2)}× | ${(m.totalMs / refMs).toFixed(1)}× | ${m.held.toFixed(0)} MB |`;
    rows.push(
      `| **${name}**: ${count.toLocaleString("en")} sentences; analysis ${storedMB.toFixed(1)} MB stored, ${parsedMB.toFixed(0)} MB of heap parsed | | | | | | | | | |`,
      row("tagging within the bound (before)", b),
      row(`stored analysis (now)${same ? "" : " — **not the same selection as the next row**"}`, st),
      row("no stored analysis (now): the eligible tagged", wo),
    );
  };
  // Warm-up (lexicon and model loaded, JIT) on a shorter book, not reported.
  run("warm-up", [book(100)]);
  rows.length = 0;
  run("one 1,000-page book", [book(1000)]);
  run(
    "ten books of 300 pages",
    Array.from({ length: 10 }, (_, i) => book(300, i * 997)),
  );
  const verne = await verneSizes();
  const kb = (n: number) => `${Math.round(n / 1024).toLocaleString("en")} KiB`;
  return [
    "### A whole run: reading or tagging, then the cover",
    "",
    "A coverage run with the default list (4–8 words, a verb) as the `fnt-learning` consumer makes it, on books made of the corpus novels' " +
      "paragraphs (both novels, repeated from different starting points to reach the length), cut at 8 words by the local engine; three ways, " +
      `in the same run on the same sentences, each the median of ${runs}. **Before** this analysis was stored, a run tagged every sentence of at most 8 ` +
      "surface words. **Stored analysis**, what a run does: the result's `word_count` and `has_verb` say which sentences are eligible, and their lemmas " +
      "are read from the job's `jobs/<id>/analysis.json`, which the tracker writes beside the result from the chunk consumer's tagging (the object's JSON " +
      "parse is timed; each sentence's text is checked against the analysed one, so a reader's edit is tagged again). **No stored analysis**, a job stored " +
      "before it: the eligible sentences are tagged. The last two give the same selection (checked); the first may differ by a sentence or two whose " +
      "surface words exceed 8 while the tagger counts 8 (“etc.” is punctuation to it). Then the same cover, with the service's effort cap (1 s of CPU). " +
      "The reference is `segmentSentences` over the same paragraphs, timed in the same run. Heap held: what the run holds at its end (its eligible " +
      "sentences and the selection), read after a full GC before and after (`--expose-gc`).",
    "",
    "| run / path | eligible | list words found | selected | read or tag | cover | whole run | ÷ before | ÷ segmenter | heap held |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `The Verne novel as a job stores it (its PDF through the plan consumer and the local engine at default settings: ${verne.pages} pages, ` +
      `${verne.sentences.toLocaleString("en")} sentences, ${verne.lemmas.toLocaleString("en")} distinct lemmas): analysis ${kb(verne.analysis)} ` +
      `beside the result's sentences ${kb(verne.result)} (${((verne.analysis / verne.result) * 100).toFixed(0)}%).`,
    "",
    `Load average when this table was measured: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")} (1, 5, 15 min) on ${availableParallelism()} cores: wall times stretch with it, ratios much less.`,
  ].join("\n");
}
