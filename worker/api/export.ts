import type { SqlJsStatic } from "sql.js";
import type { JobResult } from "../../schema/api";
import { ankiText, bookName, jobDeck } from "../pipeline/anki";
import { APKG_TYPE, buildApkg } from "../pipeline/apkg";
import { pickColumns, RESULT_COLUMNS, resultRows, tableFile, toTxt } from "../pipeline/formats";
import { toXlsx, XLSX_TYPE } from "../pipeline/xlsx";

export { APKG_TYPE, XLSX_TYPE };
export const APKG_TOO_LARGE =
  "`export_too_large`: format=apkg of more than 30,000 sentences (MAX_APKG_NOTES): export anki, or make the package with the CLI.";

/** Column widths of the .xlsx exports, in characters: the sentence's wide. */
export const RESULT_WIDTHS = [8, 80, 8, 8, 60, 11, 9];

export type ResultFormat = "txt" | "csv" | "tsv" | "anki" | "apkg" | "xlsx";

interface Job {
  id: string;
  original_filename: string;
}

/**
 * A job's result as a file; the CLI's `result` writes the same bytes (the .apkg aside: it is
 * dated, see buildApkg). `sql` loads sql.js, for apkg only.
 */
export async function renderResult(
  r: JobResult,
  format: ResultFormat,
  job: Job,
  opts: {
    paragraphBreaks?: boolean;
    sql?: () => Promise<SqlJsStatic> /** csv, tsv, xlsx: these columns, in order (default all). */;
    columns?: readonly string[];
  } = {},
) {
  if (format === "txt") {
    return { body: toTxt(r.sentences, opts.paragraphBreaks), contentType: "text/plain; charset=utf-8", extension: "txt" };
  }
  if (format === "anki") {
    // A .txt: the extension Anki's file picker offers for text; no BOM (Anki would take it for the first header's).
    return {
      body: ankiText(jobDeck(job.id, job.original_filename, r.sentences)),
      contentType: "text/plain; charset=utf-8",
      extension: "anki.txt",
    };
  }
  if (format === "apkg") {
    if (!opts.sql) throw new Error("apkg needs sql.js");
    return {
      body: buildApkg(await opts.sql(), jobDeck(job.id, job.original_filename, r.sentences)),
      contentType: APKG_TYPE,
      extension: "apkg",
    };
  }
  const table = pickColumns(
    { header: RESULT_COLUMNS, rows: resultRows(r.sentences), widths: RESULT_WIDTHS },
    opts.columns ?? RESULT_COLUMNS,
  );
  if (format === "xlsx") {
    const body = toXlsx(table.header, table.rows, { sheet: bookName(job.original_filename), widths: table.widths });
    return { body, contentType: XLSX_TYPE, extension: "xlsx" };
  }
  return tableFile(table.header, table.rows, format);
}

/** `attachment` with the book's name: an ASCII fallback, and the real (accented) name in RFC 5987 form. */
export function attachment(base: string, extension: string): string {
  const ascii =
    base
      .normalize("NFD")
      .replace(/[^\x20-\x7e]/g, "")
      .replace(/["\\]/g, "") || "sentences";
  return `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encodeURIComponent(`${base}.${extension}`)}`;
}
