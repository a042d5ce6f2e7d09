import { PDFDocument } from "pdf-lib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageRanges, subsetPdf } from "../../worker/pipeline/scan";
import { novelPdf } from "./corpus";

// pageRanges lets pdf-lib parse the caller's bytes without copying them (bench/memory.ts
// measures what that saves); the ranges must be the very PDFs a copying parse gives.

describe("pageRanges", () => {
  // pdf-lib stamps each saved PDF with the time: one fixed time, so the bytes compare.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-02T03:04:05Z"));
  });
  afterEach(() => vi.useRealTimers());

  for (const name of ["maupassant-une-vie-extrait.scan", "maupassant-une-vie-extrait"]) {
    it(`gives the same ranges as pdf-lib's own parse, and leaves the bytes as they were: ${name}`, async () => {
      const bytes = novelPdf(name);
      const before = bytes.slice();
      const ranges = [];
      for await (const r of pageRanges(bytes, 4)) ranges.push(r);
      const copied = await PDFDocument.load(bytes.slice());
      const expected = [];
      for (let from = 0; from < copied.getPageCount(); from += 4) {
        const count = Math.min(4, copied.getPageCount() - from);
        expected.push({ first_page: from + 1, last_page: from + count, pdf: await subsetPdf(copied, from, count) });
      }
      expect(ranges.length).toBeGreaterThan(1);
      expect(ranges.map((r) => [r.first_page, r.last_page])).toEqual(expected.map((r) => [r.first_page, r.last_page]));
      for (const [i, r] of ranges.entries()) expect(Buffer.from(r.pdf).equals(Buffer.from(expected[i]!.pdf))).toBe(true);
      expect(Buffer.from(bytes).equals(Buffer.from(before))).toBe(true);
    });
  }
});
