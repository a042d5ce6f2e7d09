import type { LearningSentence } from "../../schema/learning";
import { toTable, toTxt, yesNo } from "../pipeline/formats";

/** Columns of a learning set's CSV/TSV; new columns only ever go at the end. */
export const LEARNING_COLUMNS = ["rank", "sentence", "new_words", "list_words", "page", "job_id", "index", "word_count", "has_verb", "known_ratio"];

export const learningRows = (sentences: readonly LearningSentence[]) =>
  sentences.map((s) => [s.rank, s.text, s.new_words.join(" "), s.list_words.join(" "), s.page, s.job_id, s.index, s.word_count, yesNo(s.has_verb), s.known_ratio]);

/** A learning set as a file: the API's export and the CLI write the same bytes. */
export function learningExport(sentences: readonly LearningSentence[], format: "csv" | "tsv" | "txt" | "json") {
  if (format === "json") return { body: `${JSON.stringify({ sentences }, null, 2)}\n`, contentType: "application/json; charset=utf-8", extension: "json" };
  if (format === "txt") return { body: toTxt(sentences.map((s) => ({ text: s.text, paragraph: s.rank }))), contentType: "text/plain; charset=utf-8", extension: "txt" };
  return {
    body: "\uFEFF" + toTable(LEARNING_COLUMNS, learningRows(sentences), format, "\r\n"),
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "text/tab-separated-values; charset=utf-8",
    extension: format,
  };
}
