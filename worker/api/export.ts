import type { JobResult } from "../../schema/api";
import { toTable, toTxt } from "../pipeline/formats";

export function renderResult(r: JobResult, format: "txt" | "csv" | "tsv", paragraphBreaks = false) {
  if (format === "txt") {
    return { body: toTxt(r.sentences, paragraphBreaks), contentType: "text/plain; charset=utf-8", extension: "txt" };
  }
  const rows = r.sentences.map((s) => [s.index + 1, s.text, s.page, s.chunk]);
  return {
    // A BOM lets spreadsheet apps read the accents as UTF-8.
    body: "\uFEFF" + toTable(["index", "sentence", "page", "chunk"], rows, format, "\r\n"),
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "text/tab-separated-values; charset=utf-8",
    extension: format,
  };
}
