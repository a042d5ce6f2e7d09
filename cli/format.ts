import { withFacts, type SentenceFacts } from "../worker/pipeline/facts";
import { toTable, toTxt, yesNo } from "../worker/pipeline/formats";
import type { Sentence } from "../worker/pipeline/types";

export const FORMATS = ["txt", "json", "csv", "tsv"] as const;
export type Format = (typeof FORMATS)[number];

/** Columns of the CLI's CSV/TSV: new ones only ever go at the end, as in the API's export. */
export const CLI_COLUMNS = ["index", "sentence", "page", "word_count", "has_verb"];

/**
 * Renders sentences like the API's export, minus the BOM: CLI output goes to pipes
 * and scripts more often than to spreadsheets. Each sentence's word count and verb are the
 * server's (a job's result) or computed here (process), by the same tagger.
 */
export function render(sentences: readonly (Sentence & Partial<SentenceFacts>)[], format: Format): string {
  if (format === "txt") return toTxt(sentences);
  const rows = sentences.map(withFacts);
  if (format === "json") {
    // One sentence per line keeps big outputs greppable and diffable.
    const lines = rows.map((s) => JSON.stringify({ text: s.text, page: s.page, paragraph: s.paragraph, word_count: s.word_count, has_verb: s.has_verb }));
    return lines.length === 0 ? "[]\n" : `[\n${lines.join(",\n")}\n]\n`;
  }
  return toTable(CLI_COLUMNS, rows.map((s, i) => [i + 1, s.text, s.page, s.word_count, yesNo(s.has_verb)]), format, "\n");
}
