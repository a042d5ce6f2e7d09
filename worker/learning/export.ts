import type { SqlJsStatic } from "sql.js";
import { LEARNING_EXPORT_COLUMNS, type LearningSentence } from "../../schema/learning";
import { ankiText, learningDeck } from "../pipeline/anki";
import { APKG_TYPE, buildApkg } from "../pipeline/apkg";
import { pickColumns, tableFile, toTxt, yesNo } from "../pipeline/formats";
import { toXlsx, XLSX_TYPE } from "../pipeline/xlsx";

/** Columns of a learning set's CSV/TSV; new columns only ever go at the end. */
export const LEARNING_COLUMNS = LEARNING_EXPORT_COLUMNS;
const LEARNING_WIDTHS = [6, 70, 24, 30, 6, 38, 7, 10, 8, 10];

export const learningRows = (sentences: readonly LearningSentence[]) =>
  sentences.map((s) => [
    s.rank,
    s.text,
    s.new_words.join(" "),
    s.list_words.join(" "),
    s.page,
    s.job_id,
    s.index,
    s.word_count,
    yesNo(s.has_verb),
    s.known_ratio,
  ]);

export type LearningFormat = "csv" | "tsv" | "txt" | "json" | "anki" | "apkg" | "xlsx";

interface ExportOptions {
  /** The books' names by job id (the Anki deck and tags): the uploaded files' names, extension off. */
  books?: ReadonlyMap<string, string>;
  /** Loads sql.js: for apkg only. */
  sql?: () => Promise<SqlJsStatic>;
  /** csv, tsv, xlsx: these columns, in order (default all). */
  columns?: readonly string[];
}

/** A learning set as a file: the API's export and the CLI write the same bytes (the .apkg is dated). */
export async function learningExport(sentences: readonly LearningSentence[], format: LearningFormat, opts: ExportOptions = {}) {
  const books = opts.books ?? new Map<string, string>();
  if (format === "json")
    return { body: `${JSON.stringify({ sentences }, null, 2)}\n`, contentType: "application/json; charset=utf-8", extension: "json" };
  if (format === "txt")
    return {
      body: toTxt(sentences.map((s) => ({ text: s.text, paragraph: s.rank }))),
      contentType: "text/plain; charset=utf-8",
      extension: "txt",
    };
  if (format === "anki")
    return { body: ankiText(learningDeck(sentences, books)), contentType: "text/plain; charset=utf-8", extension: "anki.txt" };
  if (format === "apkg") {
    if (!opts.sql) throw new Error("apkg needs sql.js");
    return { body: buildApkg(await opts.sql(), learningDeck(sentences, books)), contentType: APKG_TYPE, extension: "apkg" };
  }
  const table = pickColumns(
    { header: LEARNING_COLUMNS, rows: learningRows(sentences), widths: LEARNING_WIDTHS },
    opts.columns ?? LEARNING_COLUMNS,
  );
  if (format === "xlsx") {
    const body = toXlsx(table.header, table.rows, { sheet: "Learning set", widths: table.widths });
    return { body, contentType: XLSX_TYPE, extension: "xlsx" };
  }
  return tableFile(table.header, table.rows, format);
}
