import type { JobResult } from "../../schema/api";

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
// TSV has no quoting: tabs and line breaks inside a sentence become spaces.
const tsvCell = (s: string) => s.replace(/[\t\r\n]+/g, " ");

export function renderResult(r: JobResult, format: "txt" | "csv" | "tsv") {
  if (format === "txt") {
    return {
      body: r.sentences.map((s) => s.text.replace(/[\r\n]+/g, " ")).join("\n") + (r.sentences.length ? "\n" : ""),
      contentType: "text/plain; charset=utf-8",
      extension: "txt",
    };
  }
  const cell = format === "csv" ? csvCell : tsvCell;
  const sep = format === "csv" ? "," : "\t";
  const lines = [["index", "sentence", "page", "chunk"].join(sep)];
  for (const s of r.sentences) lines.push([String(s.index + 1), cell(s.text), String(s.page), String(s.chunk)].join(sep));
  return {
    // A BOM lets spreadsheet apps read the accents as UTF-8.
    body: "\uFEFF" + lines.join("\r\n") + "\r\n",
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "text/tab-separated-values; charset=utf-8",
    extension: format,
  };
}
