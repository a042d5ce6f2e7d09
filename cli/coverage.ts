import { readFileSync } from "node:fs";
import { normalizeChunk, planDocument } from "../worker/pipeline";
import { analyseBook } from "../worker/learning/analyse";
import { learningExport } from "../worker/learning/export";
import { defaultList, listLemmas } from "../worker/learning/lists";
import { isEligible, select } from "../worker/learning/select";
import { decodeText, listWords, toEntries, WordlistError } from "../worker/learning/wordlist-file";
import type { CoverageArgs } from "./args";
import { CliError, EXIT_INPUT } from "./errors";
import { makeProgress } from "./progress";
import { readPdf } from "./read-pdf";
import { write } from "./write";

const MAX_CHUNK_CHARS = 6000;

/** The list of --wordlist FILE, read as the API reads an upload; the built-in list without it. */
function wordlistOf(file: string | undefined) {
  if (!file) return defaultList().entries;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new CliError(`cannot read the word list ${file}.`, EXIT_INPUT);
  }
  try {
    return toEntries(listWords(decodeText(bytes)));
  } catch (err) {
    if (err instanceof WordlistError) throw new CliError(`${file}: ${err.message}`, EXIT_INPUT);
    throw err;
  }
}

/** `cli coverage BOOK.pdf`: the learning set of one book, offline, with the service's code. */
export async function runCoverage(args: CoverageArgs): Promise<void> {
  const started = performance.now();
  const entries = wordlistOf(args.wordlist);
  const unknown = entries.filter((e) => !e.known);
  const progress = makeProgress(process.stderr, args.quiet);
  const plan = await planDocument(await readPdf(args.file), {
    fixHyphenation: args.settings.fix_hyphenation,
    maxChunkChars: MAX_CHUNK_CHARS,
    onPage: (done, total) => progress.page(done, total),
    limits: null,
  });
  const sentences = plan.chunks.flatMap((chunk) => normalizeChunk(chunk, args.settings)).map((s, index) => ({ index, text: s.text, page: s.page }));
  const eligible = analyseBook("book", sentences, args.options.max_words).filter((s) => isEligible(s, args.options));
  const lemmas = listLemmas(entries);
  const selection = select(eligible, lemmas, args.mode, args.options);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const proof = args.mode === "coverage" ? (selection.optimal ? ", optimal" : `, at least ${selection.lower_bound} needed`) : "";
  progress.end(
    `${plan.pageCount} pages, ${sentences.length} sentences, ${eligible.length} eligible; ${lemmas.size} list words` +
      `${unknown.length ? ` (${unknown.length} unknown to the lexicon)` : ""}, ${selection.found_words} found, ${selection.covered_words} covered ` +
      `by ${selection.sentences.length} sentences${proof} in ${secs}s`,
  );
  await write(process.stdout, learningExport(selection.sentences, args.format).body.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n"));
}
