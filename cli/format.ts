import { createHash } from "node:crypto";
import initSqlJs from "sql.js";
import { ankiText, bookName, jobDeck } from "../worker/pipeline/anki";
import { buildApkg } from "../worker/pipeline/apkg";
import { withFacts, type SentenceFacts } from "../worker/pipeline/facts";
import { toTable, toTxt, yesNo } from "../worker/pipeline/formats";
import type { Sentence } from "../worker/pipeline/types";
import { toXlsx } from "../worker/pipeline/xlsx";
import type { Format } from "./formats";

/** sql.js for the .apkg, its Node build (the wasm read from node_modules), loaded once. */
let sql: ReturnType<typeof initSqlJs> | undefined;
export const loadSqlJs = () => (sql ??= initSqlJs());

/** Where the Anki GUIDs of a local run come from: the PDF's bytes, so running the same book again gives the same GUIDs. */
export const localJobId = (pdf: Uint8Array) => `file:${createHash("sha256").update(pdf).digest("hex").slice(0, 32)}`;

/** What anki and apkg name the deck and tag after, and derive the GUIDs from. */
export interface Book {
  id: string;
  filename: string;
}

/** Columns of the CLI's CSV/TSV (and xlsx): new ones only ever go at the end, as in the API's export. */
export const CLI_COLUMNS = ["index", "sentence", "page", "word_count", "has_verb"];

/**
 * Renders sentences like the API's export, minus the BOM: CLI output goes to pipes
 * and scripts more often than to spreadsheets. Each sentence's word count and verb are the
 * server's (a job's result) or computed here (process), by the same tagger. The table
 * formats (csv, tsv, xlsx) have CLI_COLUMNS; anki and apkg are the API's (worker/pipeline/anki.ts).
 */
export async function render(
  sentences: readonly (Sentence & Partial<SentenceFacts>)[],
  format: Format,
  book: Book = { id: "book", filename: "sentences" },
): Promise<string | Uint8Array> {
  if (format === "txt") return toTxt(sentences);
  if (format === "anki" || format === "apkg") {
    const deck = jobDeck(
      book.id,
      book.filename,
      sentences.map((s, index) => ({ ...s, index })),
    );
    return format === "anki" ? ankiText(deck) : buildApkg(await loadSqlJs(), deck);
  }
  const rows = sentences.map(withFacts);
  if (format === "json") {
    // One sentence per line keeps big outputs greppable and diffable.
    const lines = rows.map((s) =>
      JSON.stringify({ text: s.text, page: s.page, paragraph: s.paragraph, word_count: s.word_count, has_verb: s.has_verb }),
    );
    return lines.length === 0 ? "[]\n" : `[\n${lines.join(",\n")}\n]\n`;
  }
  const table = rows.map((s, i) => [i + 1, s.text, s.page, s.word_count, yesNo(s.has_verb)]);
  if (format === "xlsx") return toXlsx(CLI_COLUMNS, table, { sheet: bookName(book.filename), widths: [8, 80, 8, 11, 9] });
  return toTable(CLI_COLUMNS, table, format, "\n");
}
