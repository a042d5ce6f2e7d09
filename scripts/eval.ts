/**
 * Quality report: sentence boundaries on the Sequoia gold set and on the project's own
 * unseen gold set (news + web, literary dialogue), and words recovered from each corpus novel, for our pipeline against the obvious alternatives (Intl.Segmenter,
 * pdftotext). `npm run eval` prints markdown and writes docs/quality.md; `-- --json` prints JSON.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_SETTINGS } from "../schema/settings";
import { normalizeChunk, planDocument, segmentSentences, splitLongSentence, wordCount } from "../worker/pipeline";
import { CORPUS, readGold, SEQUOIA_GOLD, unseenGroups, type GoldParagraph } from "../test/unit/corpus";
import { boundaryScore, combine, sequenceScore, splitHyphenWords, words, type PrecisionRecall } from "../test/unit/metrics";
import { parseConllu } from "../worker/lang/conllu";
import { analyze } from "../worker/lang";
import { GOLD_FILES } from "../worker/lang/gold";
import { lookupBaseline, score, type Score } from "../worker/lang/score";
import { parseModel, useModel } from "../worker/lang/tagger";
import { tokenize } from "../worker/lang/tokenize";
import { sentenceFacts } from "../worker/pipeline/facts";
import { trainModel } from "../worker/lang/train";

interface Boundaries {
  segmenter: string;
  score: PrecisionRecall;
}

interface GroupBoundaries {
  group: string;
  paragraphs: number;
  results: Boundaries[];
}

interface Recovery {
  novel: string;
  pages: number;
  extractor: string;
  /** null when the extractor is not installed. */
  score: PrecisionRecall | null;
  splitHyphens: number | null;
  joinedCompounds: number | null;
}

/**
 * The converse of splitHyphenWords: compounds whose hyphen was wrongly removed, output
 * words absent from the reference whose hyphenated form is in it ("Queen’sstreet").
 */
function joinedCompounds(output: readonly string[], reference: readonly string[]): string[] {
  const plain = new Set<string>();
  const hyphenated = new Set<string>();
  for (const w of reference) {
    const lower = w.toLowerCase();
    if (lower.includes("-")) hyphenated.add(lower.replace(/-/g, ""));
    else plain.add(lower);
  }
  return output.filter((w) => {
    const lower = w.toLowerCase();
    return !lower.includes("-") && !plain.has(lower) && hyphenated.has(lower);
  });
}

function intlSentences(text: string): string[] {
  const seg = new Intl.Segmenter("fr", { granularity: "sentence" });
  return [...seg.segment(text)].map((s) => s.segment.trim()).filter((s) => s !== "");
}

function boundaries(rows: readonly GoldParagraph[]): Boundaries[] {
  const run = (segment: (t: string) => string[]) => combine(rows.map((r) => boundaryScore(segment(r.text), r.sentences)));
  return [
    { segmenter: "ours (segmentSentences)", score: run(segmentSentences) },
    { segmenter: `Intl.Segmenter('fr') (ICU ${process.versions.icu ?? "?"})`, score: run(intlSentences) },
  ];
}

function sequoia(): Boundaries[] {
  return boundaries(readGold(SEQUOIA_GOLD));
}

function unseen(): GroupBoundaries[] {
  return unseenGroups().map((g) => ({ group: g.name, paragraphs: g.rows.length, results: boundaries(g.rows) }));
}

/** pdftotext's text as a reader pasting it would get it: lines joined, line-end hyphens kept. */
function pdftotext(pdf: string): string | null {
  const run = spawnSync("pdftotext", ["-enc", "UTF-8", pdf, "-"], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.error || run.status !== 0) return null;
  return run.stdout.replace(/(\p{L})-\n(?=\p{L})/gu, "$1-");
}

async function novels(): Promise<Recovery[]> {
  const dir = path.join(CORPUS, "novels");
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".source.txt"))
    .map((f) => f.slice(0, -".source.txt".length))
    .filter((n) => existsSync(path.join(dir, `${n}.pdf`)))
    .sort();
  const out: Recovery[] = [];
  for (const novel of names) {
    const pdf = path.join(dir, `${novel}.pdf`);
    const ref = words(readFileSync(path.join(dir, `${novel}.source.txt`), "utf8"));
    const plan = await planDocument(new Uint8Array(readFileSync(pdf)), { fixHyphenation: true, maxChunkChars: 6000 });
    const ours = words(
      plan.chunks
        .flatMap((c) => normalizeChunk(c, DEFAULT_SETTINGS))
        .map((s) => s.text)
        .join("\n"),
    );
    const pages = plan.pageCount;
    out.push({
      novel,
      pages,
      extractor: "ours",
      score: sequenceScore(ours, ref),
      splitHyphens: splitHyphenWords(ours, ref).length,
      joinedCompounds: joinedCompounds(ours, ref).length,
    });
    const text = pdftotext(pdf);
    const theirs = text === null ? null : words(text);
    out.push({
      novel,
      pages,
      extractor: "pdftotext",
      score: theirs && sequenceScore(theirs, ref),
      splitHyphens: theirs && splitHyphenWords(theirs, ref).length,
      joinedCompounds: theirs && joinedCompounds(theirs, ref).length,
    });
  }
  return out;
}

interface VerbPieces {
  novel: string;
  cut: "plain clause cut" | "keeping a verb";
  /** Pieces of 4 to 8 words (a reader's words, the limit's unit), with and without a verb. */
  withVerb: number;
  withoutVerb: number;
  /** The same by the results' `word_count` (the tagger's words: tokens not PUNCT, a contraction one). */
  tokenWithVerb: number;
  tokenWithoutVerb: number;
}

const VERB_LIMIT = 8;

/**
 * The local engine's pieces at sentence_length_limit 8 (the other settings at their defaults,
 * where normalizeChunk is segmentSentences then splitLongSentence), on each novel's source
 * text: how many of those of 4–8 words have a verb, with the plain clause cut and with the
 * verb-keeping one. The novels' excerpt is left out (a part of its novel).
 */
function verbPieces(): VerbPieces[] {
  const dir = path.join(CORPUS, "novels");
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".source.txt") && !f.includes("-extrait"))
    .map((f) => f.slice(0, -".source.txt".length))
    .sort();
  const out: VerbPieces[] = [];
  for (const novel of names) {
    const sentences = readFileSync(path.join(dir, `${novel}.source.txt`), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .flatMap((p) => segmentSentences(p));
    for (const keepVerbs of [false, true]) {
      const started = performance.now();
      const pieces = sentences.flatMap((s) => splitLongSentence(s, VERB_LIMIT, { keepVerbs }));
      const cutMs = performance.now() - started;
      const row: VerbPieces = {
        novel,
        cut: keepVerbs ? "keeping a verb" : "plain clause cut",
        withVerb: 0,
        withoutVerb: 0,
        tokenWithVerb: 0,
        tokenWithoutVerb: 0,
      };
      const tagged = performance.now();
      for (const p of pieces) {
        const n = wordCount(p);
        const facts = sentenceFacts(p);
        if (n >= 4 && n <= VERB_LIMIT) {
          if (facts.has_verb) row.withVerb++;
          else row.withoutVerb++;
        }
        if (facts.word_count >= 4 && facts.word_count <= VERB_LIMIT) {
          if (facts.has_verb) row.tokenWithVerb++;
          else row.tokenWithoutVerb++;
        }
      }
      const tagMs = performance.now() - tagged;
      process.stderr.write(
        `${novel}, ${row.cut}: ${sentences.length} sentences cut in ${Math.round(cutMs)} ms; ${pieces.length} pieces tagged in ${Math.round(tagMs)} ms\n`,
      );
      out.push(row);
    }
  }
  return out;
}

interface LemmaRow {
  file: string;
  ours: Score;
  baseline: Score;
}

/**
 * Lemmas and UPOS on UD French gold, each file scored by a model trained on Sequoia train
 * alone (the files it did not see), beside the plain lookup baseline from the same training file.
 */
function lemmas(): LemmaRow[] {
  const read = (f: string) => parseConllu(readFileSync(path.join(CORPUS, "lemmas", f), "utf8"));
  const train = read(GOLD_FILES.train);
  const baseline = lookupBaseline(train, tokenize);
  useModel(parseModel(trainModel(train)));
  try {
    return GOLD_FILES.heldOut.map((file) => {
      const gold = read(file);
      return { file, ours: score(gold, analyze), baseline: score(gold, baseline) };
    });
  } finally {
    useModel(null);
  }
}

const f4 = (x: number) => x.toFixed(4);
// Whole-novel recoveries differ in the fifth decimal (a handful of words in 70,000).
const f5 = (x: number) => x.toFixed(5);

function markdown(
  bounds: Boundaries[],
  groups: GroupBoundaries[],
  recovery: Recovery[],
  verbs: VerbPieces[],
  lemmaRows: LemmaRow[],
): string {
  const gold = bounds[0]!.score.reference;
  const row = (b: Boundaries) => `${b.segmenter} | ${f4(b.score.precision)} | ${f4(b.score.recall)} | **${f4(b.score.f1)}** |`;
  const lines = [
    `### Sentence boundaries: UD French-Sequoia gold set (${gold} sentences)`,
    "",
    "| segmenter | precision | recall | F1 |",
    "|---|---:|---:|---:|",
    ...bounds.map((b) => `| ${row(b)}`),
    "",
    "### Sentence boundaries: unseen gold set (`test/fixtures/segmentation/unseen-fr.jsonl`)",
    "",
    "| text | segmenter | precision | recall | F1 |",
    "|---|---|---:|---:|---:|",
    ...groups.flatMap((g) => g.results.map((b) => `| ${g.group} (${g.paragraphs} paragraphs, ${b.score.reference} sentences) | ${row(b)}`)),
    "",
    "### Text recovery: words of the PDF vs the typeset source, in order",
    "",
    "| novel | pages | extractor | word recall | word precision | words left split by a hyphen | compounds wrongly joined |",
    "|---|---:|---|---:|---:|---:|---:|",
    ...recovery.map((r) =>
      r.score === null
        ? `| ${r.novel} | ${r.pages} | ${r.extractor} | n/a | n/a | n/a | n/a |`
        : `| ${r.novel} | ${r.pages} | ${r.extractor} | ${f5(r.score.recall)} | ${f5(r.score.precision)} | ${r.splitHyphens} | ${r.joinedCompounds} |`,
    ),
    "",
    `### Pieces with a verb (local engine, sentence_length_limit ${VERB_LIMIT})`,
    "",
    "| novel (source text) | cut | pieces of 4–8 words | with a verb | without | share with a verb | pieces of 4–8 by `word_count` | share with a verb |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...verbs.map((v) => {
      const all = v.withVerb + v.withoutVerb;
      const tokens = v.tokenWithVerb + v.tokenWithoutVerb;
      return (
        `| ${v.novel} | ${v.cut} | ${all} | ${v.withVerb} | ${v.withoutVerb} | **${f4(all ? v.withVerb / all : 0)}** ` +
        `| ${tokens} | ${f4(tokens ? v.tokenWithVerb / tokens : 0)} |`
      );
    }),
    "",
    "### Lemmas and parts of speech (UD French)",
    "",
    "Held out: the model scored here was trained on `fr_sequoia-ud-train` alone; no row is a file it saw.",
    "",
    "| gold file | sentences | words | analyzer | lemma | UPOS | has a verb (per sentence) |",
    "|---|---:|---:|---|---:|---:|---:|",
    ...lemmaRows.flatMap((r) =>
      (
        [
          ["ours (worker/lang)", r.ours],
          ["lookup baseline", r.baseline],
        ] as const
      ).map(
        ([name, s]) =>
          `| ${r.file.replace(/\.conllu$/, "")} | ${s.sentences} | ${s.words} | ${name} | ${name.startsWith("ours") ? `**${f4(s.lemma / s.words)}**` : f4(s.lemma / s.words)} | ${f4(s.upos / s.words)} | ${f4(s.hasVerb / s.sentences)} |`,
      ),
    ),
  ];
  return `${lines.join("\n")}\n`;
}

const NOTES = `Boundary F1: a boundary is the count of non-whitespace characters before a sentence end
(\`test/unit/metrics.ts\` boundaryScore), micro-averaged over the gold paragraphs.
The unseen gold set is the project's own original text (news, web/forum, literary dialogue),
annotated by hand and never tuned to the segmenter (\`test/fixtures/README.md\`). Three rules
of the segmenter (doubled marks, smileys, domain names) came from the first batch's web misses;
the second batch (ids \`*-101\`…) was written after them and scored blind. The
remaining misses are web sentences after a single "?" that the writer did not capitalise
("… réseau ? si ça ne marche pas…"): after a single ! or ? a lowercase word continues the
sentence, as literary incises need (« Tu viens ? » demanda-t-il).
Word recall/precision: longest common subsequence of words (\`sequenceScore\`), so a word
out of place counts as lost; running heads and page numbers lower precision.
Split by a hyphen: "mar-chait" where the source has "marchait"; wrongly joined: "Queen’sstreet"
where the source has "Queen’s-street".
Pieces with a verb: a verb is a token the tagger (\`worker/lang\`) reads as VERB or AUX, each
piece tagged alone; words are a reader's (\`wordCount\`, the limit's unit); the last two columns
count by the results' \`word_count\` instead (the tagger's words: a token not PUNCT, a contraction
one, an elided *l'* one of its own), which puts more short pieces in 4–8. The plain clause cut
takes the strongest clause boundary within the limit (\`splitLongSentence(…, { keepVerbs: false })\`);
keeping a verb, the engine's default, reads the sentence with the tagger: it also may cut before
a subordinating conjunction or a relative pronoun (*que*, *lorsque*, *qui*, *dont*, *où*…, not
inside *bien que*, *alors que*, *pour que*, *et dont*, nor between *ce* and *qui*), and before a
preposition that opens an infinitive or a gerund (*pour atteindre…*, *de se dégager…*, *en
consultant…*; after a word the infinitive completes, *commençaient à…*, only as a last resort);
it drops a conjunction the tagger does not read as one (*donc* as an adverb) or one that joins
words rather than clauses (no verb before the next comma: *les pièges et collets,*); it takes
those cuts when they leave fewer words over the limit, or as many and fewer pieces without a
verb, the fewest weak cuts first. So it also makes more pieces within 4–8 words (cutting long
remainders the plain cut left whole). A piece left without a verb is most often a leading
phrase the limit forces apart from its clause ("Tout à coup, vers une heure du matin, | un
effroyable déchirement domina…").
pdftotext (poppler, default reading-order mode; it removes line-end hyphens itself) is
joined as a reader pasting it would, any line-end hyphen left kept ("mar-" + "chait" → "mar-chait").
Lemmas and parts of speech: each gold sentence's \`# text\` goes through \`analyze\` (our own
tokenization); gold words (a contraction's parts each with its surface text, "du" = de + le)
are matched with our tokens by character span and part index; words = gold tokens not PUNCT,
a word our tokenization misses counts as wrong. Has a verb: whether some VERB or AUX is found,
agreeing with the gold, per sentence. The lookup baseline gives each token (same tokenization)
the analysis its form had most often in Sequoia train, an unknown form its own lemma.
GSD dev (news, blogs, reviews, Wikipedia) is another treebank than the training one: the most
honest "unseen" figure. The model shipped in \`worker/lang/model.data.ts\` is trained the same
way on all four gold files (Sequoia train/dev/test and GSD dev), once these held-out figures
said the method works; its own figures on those files would not be held out, so none are given.
`;

async function main() {
  const json = process.argv.includes("--json");
  const bounds = sequoia();
  const groups = unseen();
  const recovery = await novels();
  const verbs = verbPieces();
  const lemmaRows = lemmas();
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ sequoia: bounds, unseen: groups, novels: recovery, verb_pieces: verbs, lemmas: lemmaRows }, null, 2)}\n`,
    );
    return;
  }
  const table = markdown(bounds, groups, recovery, verbs, lemmaRows);
  process.stdout.write(table);
  const doc = `# Quality\n\nGenerated by \`npm run eval\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}).\n\n${table}\n${NOTES}`;
  writeFileSync(path.join(process.cwd(), "docs/quality.md"), doc);
  process.stderr.write("written to docs/quality.md\n");
}

await main();
