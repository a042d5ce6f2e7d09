import { toTable, toTxt } from "../worker/pipeline/formats";
import type { Sentence } from "../worker/pipeline/types";

export const FORMATS = ["txt", "json", "csv", "tsv"] as const;
export type Format = (typeof FORMATS)[number];

/**
 * Renders sentences like the API's export, minus the BOM: CLI output goes to pipes
 * and scripts more often than to spreadsheets.
 */
export function render(sentences: readonly Sentence[], format: Format): string {
  if (format === "txt") return toTxt(sentences);
  if (format === "json") {
    // One sentence per line keeps big outputs greppable and diffable.
    const rows = sentences.map((s) => JSON.stringify({ text: s.text, page: s.page, paragraph: s.paragraph }));
    return rows.length === 0 ? "[]\n" : `[\n${rows.join(",\n")}\n]\n`;
  }
  return toTable(["index", "sentence", "page"], sentences.map((s, i) => [i + 1, s.text, s.page]), format, "\n");
}
