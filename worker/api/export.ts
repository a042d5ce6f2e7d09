import type { JobResult } from "../../schema/api";
import { RESULT_COLUMNS, resultRows, toTable, toTxt } from "../pipeline/formats";

export function renderResult(r: JobResult, format: "txt" | "csv" | "tsv", paragraphBreaks = false) {
  if (format === "txt") {
    return { body: toTxt(r.sentences, paragraphBreaks), contentType: "text/plain; charset=utf-8", extension: "txt" };
  }
  return {
    // A BOM lets spreadsheet apps read the accents as UTF-8.
    body: "\uFEFF" + toTable(RESULT_COLUMNS, resultRows(r.sentences), format, "\r\n"),
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "text/tab-separated-values; charset=utf-8",
    extension: format,
  };
}
