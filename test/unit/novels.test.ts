import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { chunkParagraphs, cleanPages, extractPdf, normalizeChunk } from "../../worker/pipeline";
import type { ExtractedPdf, Paragraph } from "../../worker/pipeline/types";
import { novelPdf, novelSource } from "./corpus";
import { multisetScore, sequenceScore, splitHyphenWords, words } from "./metrics";

const NOVELS = [
  { name: "maupassant-une-vie-extrait", pages: 6 },
  { name: "maupassant-une-vie", pages: 203 },
  { name: "verne-deux-ans-de-vacances", pages: 325 },
];

/** The most frequent first line across pages: the running head as the PDF shows it. */
function runningHead(pdf: ExtractedPdf): string {
  const counts = new Map<string, number>();
  for (const p of pdf.pages) {
    const first = p.lines[0]?.text;
    if (first) counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe.each(NOVELS)("$name", ({ name, pages }) => {
  let pdf: ExtractedPdf;
  let paragraphs: Paragraph[];
  let sentences: string[];
  let source: string;
  let extractMs: number;

  beforeAll(async () => {
    source = novelSource(name);
    const started = performance.now();
    pdf = await extractPdf(novelPdf(name));
    extractMs = performance.now() - started;
    paragraphs = cleanPages(pdf, { fixHyphenation: true });
    sentences = chunkParagraphs(paragraphs, { maxChars: 6000 })
      .flatMap((chunk) => normalizeChunk(chunk, DEFAULT_SETTINGS))
      .map((s) => s.text);
  });

  it("reads every page", () => {
    expect(pdf.pageCount).toBe(pages);
    expect(pdf.pages).toHaveLength(pages);
    console.log(`${name}: ${pages} pages extracted in ${Math.round(extractMs)} ms`);
  });

  it("recovers the typeset words in order (recall and precision ≥ 0.995)", () => {
    const out = words(sentences.join(" "));
    const ref = words(source);
    const seq = sequenceScore(out, ref);
    const bag = multisetScore(out, ref);
    console.log(
      `${name}: in-order recall ${seq.recall.toFixed(5)} precision ${seq.precision.toFixed(5)}; ` +
        `bag-of-words recall ${bag.recall.toFixed(5)} precision ${bag.precision.toFixed(5)}`,
    );
    expect(seq.recall).toBeGreaterThanOrEqual(0.995);
    expect(seq.precision).toBeGreaterThanOrEqual(0.995);
  });

  it("finds the book's paragraphs", () => {
    const expected = source.split("\n").filter((l) => l.trim() !== "").length;
    expect(Math.abs(paragraphs.length - expected)).toBeLessThanOrEqual(Math.ceil(expected * 0.01));
  });

  it("leaves no running head and no page number", () => {
    const head = runningHead(pdf);
    const out = paragraphs.map((p) => p.text).join("\n");
    expect(occurrences(out, head)).toBeLessThanOrEqual(occurrences(source, head));
    expect(paragraphs.filter((p) => p.text === head)).toEqual([]);
    const loneNumbers = (texts: string[]) => texts.filter((t) => /^\s*([0-9]+|[ivxlcdm]+)\s*$/i.test(t)).length;
    expect(loneNumbers(paragraphs.map((p) => p.text))).toBe(loneNumbers(source.split("\n")));
    expect(paragraphs.filter((p) => /^chapitre\s+\d+$/i.test(p.text))).toEqual([]);
  });

  it("leaves no word split by line-end hyphenation", () => {
    const split = splitHyphenWords(words(sentences.join(" ")), words(source));
    console.log(`${name}: ${split.length} words left split by hyphenation ${split.slice(0, 10).join(" ")}`);
    expect(split).toEqual([]);
  });

  it("numbers pages from 1, in reading order", () => {
    expect(paragraphs[0]!.page).toBe(1);
    for (let i = 1; i < paragraphs.length; i++) expect(paragraphs[i]!.page).toBeGreaterThanOrEqual(paragraphs[i - 1]!.page);
    expect(paragraphs[paragraphs.length - 1]!.page).toBeLessThanOrEqual(pages);
  });

  it("cuts chunks without changing a sentence (2,000 vs 20,000 characters)", () => {
    const run = (maxChars: number) => chunkParagraphs(paragraphs, { maxChars }).flatMap((c) => normalizeChunk(c, DEFAULT_SETTINGS));
    const small = run(2000);
    const large = run(20000);
    expect(small.map((s) => s.text)).toEqual(large.map((s) => s.text));
    expect(small.map((s) => s.paragraph)).toEqual(large.map((s) => s.paragraph));
  });

  it("keeps raw line-end hyphens when asked, without inserting spaces", () => {
    const raw = cleanPages(pdf, { fixHyphenation: false });
    expect(raw).toHaveLength(paragraphs.length);
    const text = raw.map((p) => p.text).join("\n");
    const fixed = paragraphs.map((p) => p.text).join("\n");
    // Words seen split at a line end in the extract, checked by hand.
    for (const w of name === "maupassant-une-vie-extrait" ? ["ces-sait", "partons-nous"] : []) expect(text).toContain(w);
    expect(text.length).toBeGreaterThan(fixed.length); // every novel has line-end hyphens
    expect(text).not.toMatch(/\p{L}- \p{L}/u);
    // Only the hyphens differ from the fixed text.
    expect(text.replace(/-/g, "")).toBe(fixed.replace(/-/g, ""));
  });
});
