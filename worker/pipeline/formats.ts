import { RESULT_EXPORT_COLUMNS } from "../../schema/api";
/** Text export formats shared by the API and the CLI, so both write the same files. */

export const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");
/**
 * A cell a spreadsheet would run as a formula (CSV injection) gets a leading apostrophe, as
 * OWASP advises: one that starts with = + @, a tab or a carriage return, or a hyphen-minus
 * followed by neither a space nor another hyphen ("-2+3", "-cmd|…"). French dialogue dashes stay
 * as they are: "– Oui", "— Non", "- Oui" and Verne's "-- Oui" are no formula.
 */
export function defuse(s: string): string {
  return /^(?:[=+@\t\r]|-(?![-\s]))/u.test(s) ? `'${s}` : s;
}
export const csvCell = (raw: string) => {
  const s = defuse(raw);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
// TSV has no quoting: tabs and line breaks inside a sentence become spaces.
export const tsvCell = (s: string) => defuse(s.replace(/[\t\r\n]+/g, " "));

interface Row {
  text: string;
  paragraph: number;
}

/** One sentence per line; with `paragraphBreaks`, a blank line between paragraphs. */
export function toTxt(rows: readonly Row[], paragraphBreaks = false): string {
  let out = "";
  rows.forEach((s, i) => {
    if (paragraphBreaks && i > 0 && s.paragraph !== rows[i - 1]!.paragraph) out += "\n";
    out += `${oneLine(s.text)}\n`;
  });
  return out;
}

/** A header line then one line per row; cells quoted for CSV, flattened for TSV. */
export function toTable(header: string[], rows: readonly (string | number)[][], format: "csv" | "tsv", eol: string) {
  const cell = format === "csv" ? csvCell : tsvCell;
  const sep = format === "csv" ? "," : "\t";
  return [header, ...rows].map((r) => r.map((c) => cell(String(c))).join(sep)).join(eol) + eol;
}

/** has_verb as the CSV/TSV exports write it (the learning sets' export too). */
export const yesNo = (b: boolean) => (b ? "yes" : "no");

/** A CSV/TSV download as the API serves it: a BOM (spreadsheet apps then read the accents as UTF-8), CRLF lines. */
export function tableFile(header: string[], rows: readonly (string | number)[][], format: "csv" | "tsv") {
  return {
    body: `\uFEFF${toTable(header, rows, format, "\r\n")}`,
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "text/tab-separated-values; charset=utf-8",
    extension: format,
  };
}

/**
 * Columns of the API's CSV/TSV export. Scripts read the first four by position, so new
 * columns only ever go at the end. `original` is the book's text of a sentence the engine
 * rewrote, empty when the sentence is the book's text as is; `word_count` and `has_verb`
 * (yes/no) are the tagger's, as in the JSON result.
 */
export const RESULT_COLUMNS = RESULT_EXPORT_COLUMNS;

interface ResultRow {
  index: number;
  text: string;
  page: number;
  chunk: number;
  original?: string;
  word_count: number;
  has_verb: boolean;
}

export const resultRows = (sentences: readonly ResultRow[]) =>
  sentences.map((s) => [s.index + 1, s.text, s.page, s.chunk, s.original ?? "", s.word_count, yesNo(s.has_verb)]);

/** A table to export: its header, rows and (for .xlsx) column widths. */
export interface Table {
  header: string[];
  rows: (string | number)[][];
  widths?: number[];
}

/**
 * Which of a table's columns an export writes, in order: those `asked` (the request's
 * `columns`; each must be one of the table's, else `unknown` names it), else the reader's
 * saved export columns that the table has (My defaults, `export_columns`), else all of them.
 */
export function chooseColumns(
  all: readonly string[],
  asked: readonly string[] | undefined,
  saved: readonly string[] | undefined,
): string[] | { unknown: string } {
  if (asked?.length) {
    const unknown = asked.find((c) => !all.includes(c));
    return unknown === undefined ? [...asked] : { unknown };
  }
  const mine = (saved ?? []).filter((c) => all.includes(c));
  return mine.length ? mine : [...all];
}

/** The table with only `columns`, in their order. */
export function pickColumns(t: Table, columns: readonly string[]): Table {
  const at = columns.map((c) => t.header.indexOf(c));
  if (at.every((i, k) => i === k) && at.length === t.header.length) return t;
  return { header: [...columns], rows: t.rows.map((r) => at.map((i) => r[i]!)), widths: t.widths && at.map((i) => t.widths![i]!) };
}
