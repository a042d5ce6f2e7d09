import { createHash } from "node:crypto";
import initSqlJs from "sql.js";
import { ankiText, bookName, jobDeck } from "../worker/pipeline/anki";
import { buildApkg } from "../worker/pipeline/apkg";
import { toTable, toTxt } from "../worker/pipeline/formats";
import type { Sentence } from "../worker/pipeline/types";
import { toXlsx } from "../worker/pipeline/xlsx";

export const FORMATS = ["txt", "json", "csv", "tsv", "anki", "apkg", "xlsx"] as const;
export type Format = (typeof FORMATS)[number];
/** Formats whose bytes are not text: written to stdout only when it is not a terminal. */
export const BINARY: readonly Format[] = ["apkg", "xlsx"];

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

const CLI_COLUMNS = ["index", "sentence", "page"];

/**
 * Renders sentences like the API's export, minus the BOM: CLI output goes to pipes
 * and scripts more often than to spreadsheets. The table formats (csv, tsv, xlsx) have
 * the columns index, sentence, page; anki and apkg are the API's (worker/pipeline/anki.ts).
 */
export async function render(sentences: readonly Sentence[], format: Format, book: Book = { id: "book", filename: "sentences" }): Promise<string | Uint8Array> {
  if (format === "txt") return toTxt(sentences);
  if (format === "json") {
    // One sentence per line keeps big outputs greppable and diffable.
    const rows = sentences.map((s) => JSON.stringify({ text: s.text, page: s.page, paragraph: s.paragraph }));
    return rows.length === 0 ? "[]\n" : `[\n${rows.join(",\n")}\n]\n`;
  }
  const indexed = sentences.map((s, index) => ({ ...s, index }));
  if (format === "anki") return ankiText(jobDeck(book.id, book.filename, indexed));
  if (format === "apkg") return buildApkg(await loadSqlJs(), jobDeck(book.id, book.filename, indexed));
  const rows = sentences.map((s, i) => [i + 1, s.text, s.page]);
  if (format === "xlsx") return toXlsx(CLI_COLUMNS, rows, { sheet: bookName(book.filename), widths: [8, 80, 8] });
  return toTable(CLI_COLUMNS, rows, format, "\n");
}
