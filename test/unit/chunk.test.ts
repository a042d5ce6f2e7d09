import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { chunkParagraphs, normalizeChunk, segmentSentences } from "../../worker/pipeline";
import type { Paragraph } from "../../worker/pipeline/types";

const sentence = (i: number) => `Voici la phrase numéro ${i}, qui parle de M. Dupont et de Mme Leroux.`;
const paragraph = (page: number, from: number, count: number): Paragraph => ({
  page,
  text: Array.from({ length: count }, (_, k) => sentence(from + k)).join(" "),
});

describe("chunkParagraphs", () => {
  const paragraphs: Paragraph[] = [
    paragraph(1, 0, 3),
    paragraph(1, 3, 5),
    paragraph(2, 8, 2),
    paragraph(2, 10, 60), // ≈ 4,300 characters: more than twice a 1,500 budget
    paragraph(4, 70, 20), // ≈ 1,400: fits alone
    paragraph(5, 90, 1),
  ];

  it("cuts at paragraph boundaries within the budget", () => {
    // About 210, 350 and 140 characters.
    const chunks = chunkParagraphs(paragraphs.slice(0, 3), { maxChars: 500 });
    expect(chunks.map((c) => c.paragraphs.length)).toEqual([1, 2]);
    expect(chunks.map((c) => c.first_paragraph)).toEqual([0, 1]);
    expect(chunks[1]).toMatchObject({ index: 1, first_page: 1, last_page: 2 });
    const all = chunkParagraphs(paragraphs.slice(0, 3), { maxChars: 100_000 });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ index: 0, first_paragraph: 0, first_page: 1, last_page: 2 });
  });

  it("gives an over-long paragraph its own chunk", () => {
    const chunks = chunkParagraphs(paragraphs.slice(0, 2), { maxChars: 300 });
    expect(chunks.map((c) => c.first_paragraph)).toEqual([0, 1]);
    expect(chunks[1]!.paragraphs[0]!.text.length).toBeGreaterThan(300);
  });

  it("splits a paragraph over twice the budget at sentence ends, keeping its index", () => {
    const chunks = chunkParagraphs(paragraphs, { maxChars: 1500 });
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    const pieces = chunks.filter((c) => c.first_paragraph === 3);
    expect(pieces.length).toBeGreaterThan(2);
    for (const c of pieces) expect(c.paragraphs[0]!.text.length).toBeLessThanOrEqual(1500);
    expect(pieces.map((c) => c.paragraphs[0]!.text).join(" ")).toBe(paragraphs[3]!.text);
    // Every piece ends on a sentence end.
    for (const c of pieces) expect(c.paragraphs[0]!.text.endsWith(".")).toBe(true);
  });

  it("keeps sentences and paragraph indexes identical whatever the budget", () => {
    const run = (maxChars: number) => chunkParagraphs(paragraphs, { maxChars }).flatMap((c) => normalizeChunk(c, DEFAULT_SETTINGS));
    const reference = paragraphs.flatMap((p, i) => segmentSentences(p.text).map((text) => ({ text, paragraph: i })));
    for (const maxChars of [200, 1500, 2000, 20_000]) {
      expect(run(maxChars).map(({ text, paragraph }) => ({ text, paragraph }))).toEqual(reference);
    }
  });

  it("returns no chunk for no paragraph", () => {
    expect(chunkParagraphs([], { maxChars: 1000 })).toEqual([]);
  });
});
