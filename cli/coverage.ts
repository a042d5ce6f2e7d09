import { readFileSync } from "node:fs";
import path from "node:path";
import { normalizeChunk, planDocument } from "../worker/pipeline";
import { eligibleSentences } from "../worker/learning/analyse";
import { learningExport } from "../worker/learning/export";
import { defaultList, listLemmas } from "../worker/learning/lists";
import { select } from "../worker/learning/select";
import { bookName } from "../worker/pipeline/anki";
import { decodeText, listWords, toEntries, WordlistError } from "../worker/learning/wordlist-file";
import type { CoverageArgs } from "./args";
import { CliError, EXIT_INPUT } from "./errors";
import { makeProgress } from "./progress";
import { readPdf } from "./read-pdf";
import { localJobId, loadSqlJs } from "./format";
import { checkBinaryOut, write } from "./write";

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
  checkBinaryOut(args.format);
  const started = performance.now();
  const entries = wordlistOf(args.wordlist);
  const unknown = entries.filter((e) => !e.known);
  const progress = makeProgress(process.stderr, args.quiet);
  const pdf = await readPdf(args.file);
  const book = { id: localJobId(pdf), filename: path.basename(args.file) };
  const plan = await planDocument(pdf, {
    fixHyphenation: args.settings.fix_hyphenation,
    maxChunkChars: MAX_CHUNK_CHARS,
    onPage: (done, total) => progress.page(done, total),
    limits: null,
  });
  const sentences = plan.chunks
    .flatMap((chunk) => normalizeChunk(chunk, args.settings))
    .map((s, index) => ({ index, text: s.text, page: s.page }));
  const eligible = eligibleSentences("book", sentences, args.options);
  const lemmas = listLemmas(entries);
  const selection = select(eligible, lemmas, args.mode, args.options);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const proof = args.mode === "coverage" ? (selection.optimal ? ", optimal" : `, at least ${selection.lower_bound} needed`) : "";
  progress.end(
    `${plan.pageCount} pages, ${sentences.length} sentences, ${eligible.length} eligible; ${lemmas.size} list words` +
      `${unknown.length ? ` (${unknown.length} unknown to the lexicon)` : ""}, ${selection.found_words} found, ${selection.covered_words} covered ` +
      `by ${selection.sentences.length} sentences${proof} in ${secs}s`,
  );
  // anki/apkg: the GUIDs of `process --format anki` of the same PDF with the same settings (the
  // same sentences: --limit-words cuts them), so both imports update one note.
  const anki = args.format === "anki" || args.format === "apkg";
  const chosen = anki ? selection.sentences.map((s) => ({ ...s, job_id: book.id })) : selection.sentences;
  const file = await learningExport(chosen, args.format, { books: new Map([[book.id, bookName(book.filename)]]), sql: loadSqlJs });
  await write(process.stdout, typeof file.body === "string" ? file.body.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n") : file.body);
}
