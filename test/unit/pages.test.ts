import { describe, expect, it } from "vitest";
import {
  countSelected,
  formatPages,
  normalizePages,
  outsideBook,
  PageRangeError,
  parsePages,
  selectedPages,
  selects,
} from "../../schema/pages";
import { jobSettingsSchema } from "../../schema/settings";
import { extractPdf, measurePdf, PipelineError, planDocument, readParts } from "../../worker/pipeline";
import { pageRanges, subsetPdf } from "../../worker/pipeline/scan";
import { bookLine, bookPdf } from "../fixtures/book";

// The `pages` setting: its parser, and the pipeline reading only those pages (their numbers kept).

describe("parsePages", () => {
  it("reads pages and ranges, sorted and merged, an open range to the end", () => {
    expect(parsePages("12-240")).toEqual([{ from: 12, to: 240 }]);
    expect(parsePages("1-10,15,30-")).toEqual([
      { from: 1, to: 10 },
      { from: 15, to: 15 },
      { from: 30, to: null },
    ]);
    // Spaces, an en dash, overlaps and neighbours: one canonical form.
    expect(normalizePages(" 30- , 5 – 12, 1-6,13 ,40-50")).toBe("1-13,30-");
    expect(normalizePages("7")).toBe("7");
    expect(formatPages(parsePages("3-3,9-")!)).toBe("3,9-");
  });

  it("reads every page from nothing or 'all'", () => {
    for (const all of ["", "  ", "all", "ALL"]) expect(parsePages(all)).toBeNull();
  });

  it("refuses what is not a page range, saying what is wrong", () => {
    const refused: [string, RegExp][] = [
      ["abc", /"abc" is not a page or a range/],
      ["0-5", /numbered from 1/],
      ["20-10", /ends before it starts/],
      ["1-5,,9", /"" is not a page or a range/],
      ["-5", /not a page or a range/],
      ["1.5", /not a page or a range/],
      ["5-x", /not a page or a range/],
      ["999999", /no book has that many pages/],
      ["1,".repeat(300), /at most 500 characters/],
    ];
    for (const [spec, message] of refused) expect(() => parsePages(spec), spec).toThrow(message);
    expect(() => parsePages("x")).toThrow(PageRangeError);
  });

  it("counts and lists the pages a selection reads in a book, and says when it passes the end", () => {
    const sel = parsePages("1-3,8,10-")!;
    expect(selectedPages(sel, 12)).toEqual([1, 2, 3, 8, 10, 11, 12]);
    expect(countSelected(sel, 12)).toBe(7);
    expect(countSelected(null, 12)).toBe(12);
    expect([selects(sel, 8), selects(sel, 9), selects(null, 9)]).toEqual([true, false, true]);
    expect(outsideBook(sel, 12)).toBeNull();
    expect(outsideBook(sel, 9)).toBe("page 10 is past the end of this book, which has 9 pages");
    expect(outsideBook(parsePages("5-20"), 12)).toMatch(/page 20 is past the end/);
    expect(outsideBook(null, 1)).toBeNull();
  });

  it("is the upload's `pages` setting: canonical when valid, the parser's words when not", () => {
    const schema = jobSettingsSchema(["m"]);
    expect(schema.parse({ pages: "10-20, 15-25" }).pages).toBe("10-25");
    expect(schema.parse({}).pages).toBeNull();
    expect(schema.parse({ pages: "" }).pages).toBeNull();
    const bad = schema.safeParse({ pages: "20-10" });
    expect(bad.error?.issues[0]).toMatchObject({ path: ["pages"], message: '"20-10" ends before it starts' });
    expect(schema.safeParse({ pages: 12 }).error?.issues[0]?.path).toEqual(["pages"]);
  });
});

describe("reading only some pages", () => {
  it("extracts, measures and plans only the pages selected, with the book's page numbers", async () => {
    const pdf = await bookPdf(12);
    const sel = parsePages("3-4,9")!;
    const read = await extractPdf(pdf, undefined, { pages: sel });
    expect(read.pages.map((p) => p.page)).toEqual([3, 4, 9]);
    expect([read.pageCount, read.bookPages]).toEqual([3, 12]);
    const m = await measurePdf(pdf, { pages: sel });
    expect(m.bookPages).toBe(12);
    expect(m.pages.map((p) => p.page)).toEqual([3, 4, 9]);
    expect(m.pages.map((p) => p.chars)).toEqual(read.pages.map((p) => p.lines.reduce((n, l) => n + l.text.length, 0)));
    const plan = await planDocument(pdf, { fixHyphenation: true, maxChunkChars: 12000, pages: sel });
    expect([plan.pageCount, plan.bookPages]).toEqual([3, 12]);
    const paragraphs = plan.paragraphs.map((p) => [p.page, p.text]);
    // Each page's lines are sentences that name their page; none of pages 1-2, 5-8, 10-12.
    expect(new Set(paragraphs.map(([page]) => page))).toEqual(new Set([3, 4, 9]));
    const text = plan.paragraphs.map((p) => p.text).join(" ");
    expect(text).toContain(bookLine(3, 0));
    expect(text).toContain(bookLine(9, 29));
    expect(text).not.toContain("page 5,");
    // Page 9 follows a gap: its text starts a paragraph of its own, never page 4's.
    expect(plan.paragraphs.find((p) => p.text.includes(bookLine(9, 0)))?.page).toBe(9);
  });

  it("refuses a selection past the book's end (pages_outside_book), also across parts", async () => {
    const pdf = await bookPdf(6);
    await expect(extractPdf(pdf, undefined, { pages: parsePages("5-7") })).rejects.toMatchObject({ code: "pages_outside_book" });
    const parts = [await subsetPdf(pdf, 0, 3), await subsetPdf(pdf, 3, 3)];
    const read = (n: number) => Promise.resolve(parts[n - 1]!.slice());
    // Pages 2 and 5 of the book are page 2 of part 1 and page 2 of part 2.
    const joined = await readParts(2, read, { pages: parsePages("2,5") });
    expect(joined.pages.map((p) => p.page)).toEqual([2, 5]);
    expect([joined.pageCount, joined.bookPages, joined.partPages]).toEqual([2, 6, [3, 3]]);
    const refused = await readParts(2, read, { pages: parsePages("6-9") }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PipelineError);
    expect((refused as PipelineError).message).toMatch(/page 9 is past the end of this book, which has 6 pages/);
  });

  it("cuts a scan's page ranges within the selection, never over a page left out", async () => {
    const pdf = await bookPdf(10);
    const ranges = [];
    for await (const r of pageRanges(pdf, 4, { pages: parsePages("2-7,9") })) ranges.push([r.first_page, r.last_page]);
    expect(ranges).toEqual([
      [2, 5],
      [6, 7],
      [9, 9],
    ]);
  });
});
