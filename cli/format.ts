import type { Sentence } from "../worker/pipeline/types";

export const FORMATS = ["txt", "json", "csv", "tsv"] as const;
export type Format = (typeof FORMATS)[number];

const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");
const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
// TSV has no quoting (same rule as the API's export): tabs and breaks become spaces.
const tsvCell = (s: string) => s.replace(/[\t\r\n]+/g, " ");

/**
 * Renders sentences like the API's export, minus the BOM: CLI output goes to pipes
 * and scripts more often than to spreadsheets.
 */
export function render(sentences: readonly Sentence[], format: Format): string {
  if (format === "txt") return sentences.map((s) => `${oneLine(s.text)}\n`).join("");
  if (format === "json") {
    // One sentence per line keeps big outputs greppable and diffable.
    const rows = sentences.map((s) => JSON.stringify({ text: s.text, page: s.page, paragraph: s.paragraph }));
    return rows.length === 0 ? "[]\n" : `[\n${rows.join(",\n")}\n]\n`;
  }
  const cell = format === "csv" ? csvCell : tsvCell;
  const sep = format === "csv" ? "," : "\t";
  const lines = [`index${sep}sentence${sep}page`];
  sentences.forEach((s, i) => lines.push(`${i + 1}${sep}${cell(s.text)}${sep}${s.page}`));
  return `${lines.join("\n")}\n`;
}
