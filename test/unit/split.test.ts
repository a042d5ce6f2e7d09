import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PDFDocument, PDFName, type PDFRawStream, PDFDict } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { bytesAllowing, partsToSend, sendsWhole, splitPdf, SplitError, type PdfPart, type TextRule } from "../../client/split";
import { scan } from "../../bench/memory-inputs";
import { allowedText, extractPdf, readParts, TEXT_LIMITS, type TextLimits } from "../../worker/pipeline";
import { CORPUS } from "./corpus";

// The splitter the web app and the CLI use to send a big book in parts: every part within
// the limits, the parts consecutive and covering the book, and nothing of a page lost.

const KIB = 1024;
const MIB = 1024 * KIB;
const VERNE = new Uint8Array(readFileSync(path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf")));

function expectConsecutive(parts: PdfPart[], pages: number) {
  expect(parts[0]!.firstPage).toBe(1);
  expect(parts.at(-1)!.lastPage).toBe(pages);
  for (let i = 1; i < parts.length; i++) expect(parts[i]!.firstPage).toBe(parts[i - 1]!.lastPage + 1);
}

/** The SHA-256 of every image drawn on each page, in page order. */
async function pageImageHashes(bytes: Uint8Array): Promise<string[][]> {
  const doc = await PDFDocument.load(bytes);
  return doc.getPages().map((page) => {
    const xobjects = page.node.Resources()?.lookup(PDFName.of("XObject"), PDFDict);
    return (xobjects?.values() ?? []).map((ref) => {
      const stream = doc.context.lookup(ref) as PDFRawStream;
      return createHash("sha256").update(stream.contents).digest("hex");
    });
  });
}

describe("splitPdf", () => {
  it("a scan: parts under the byte limit, consecutive, every page's image byte for byte", async () => {
    const data = new Uint8Array(readFileSync(await scan(10)));
    const whole = await pageImageHashes(data);
    const progress: Array<[number, number]> = [];
    const parts = await splitPdf(data, { maxBytes: 3 * MIB }, (done, total) => progress.push([done, total]));
    expect(parts.length).toBeGreaterThanOrEqual(4);
    for (const p of parts) expect(p.bytes.length).toBeLessThanOrEqual(3 * MIB);
    expectConsecutive(parts, whole.length);
    // Packed well: no part is less than half full but the last.
    for (const p of parts.slice(0, -1)) expect(p.bytes.length).toBeGreaterThan(1.5 * MIB);
    const split = (await Promise.all(parts.map((p) => pageImageHashes(p.bytes)))).flat();
    expect(split).toEqual(whole);
    expect(progress.at(-1)).toEqual([parts.length, parts.length]);
  });

  it("a text book: every page's text is the same in the parts as in the whole", async () => {
    const whole = await extractPdf(VERNE);
    const parts = await splitPdf(VERNE, { maxBytes: 300 * KIB });
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(p.bytes.length).toBeLessThanOrEqual(300 * KIB);
    expectConsecutive(parts, whole.pageCount);
    const lines = [];
    for (const p of parts) {
      const e = await extractPdf(p.bytes);
      expect(e.pageCount).toBe(p.lastPage - p.firstPage + 1);
      lines.push(...e.pages.map((pg) => pg.lines.map((l) => l.text)));
    }
    expect(lines).toEqual(whole.pages.map((pg) => pg.lines.map((l) => l.text)));
  });

  it("a page limit cuts parts of at most that many pages", async () => {
    const parts = await splitPdf(VERNE, { maxBytes: 100 * MIB, maxPages: 100 });
    const pages = (await PDFDocument.load(VERNE)).getPageCount();
    expect(parts.map((p) => p.lastPage - p.firstPage + 1)).toEqual([100, 100, 100, pages - 300]);
    expectConsecutive(parts, pages);
  });

  it("a file within the limits goes whole, its bytes untouched", async () => {
    const parts = await splitPdf(VERNE, { maxBytes: VERNE.length, maxPages: 1000 });
    expect(parts).toHaveLength(1);
    expect(parts[0]!.bytes).toBe(VERNE);
  });

  it("a single page over the limit, an encrypted file and a broken one are refused in words", async () => {
    const data = new Uint8Array(readFileSync(await scan(10)));
    await expect(splitPdf(data, { maxBytes: 256 * KIB })).rejects.toMatchObject({
      code: "page_too_large",
      message: expect.stringMatching(/^Page 1 alone/),
    });
    const encrypted = new Uint8Array(readFileSync(path.join(__dirname, "../fixtures/encrypted.pdf")));
    await expect(splitPdf(encrypted, { maxBytes: 10 })).rejects.toBeInstanceOf(SplitError);
    await expect(splitPdf(encrypted, { maxBytes: 10 })).rejects.toMatchObject({ code: "encrypted" });
    await expect(splitPdf(new TextEncoder().encode("%PDF-1.7 nothing else"), { maxBytes: 10 })).rejects.toMatchObject({
      code: "invalid_pdf",
    });
  });
});

// The server's rule on one job's text (GET /api/v1/limits: uploads.text), applied before sending.
const ruleOf = (l: TextLimits): TextRule => ({ max_pages: l.maxPages, page_budget: l.pageBudget, pages_per_file_mib: l.pagesPerFileMiB });

describe("the text rule, before sending", () => {
  it("bytesAllowing is the server's own limit: the biggest PDF it reads while holding that many pages", () => {
    const rule = ruleOf(TEXT_LIMITS);
    for (const pages of [1, 325, 690, 1000, 1234, 1500]) {
      const bytes = bytesAllowing(pages, rule);
      expect(allowedText(TEXT_LIMITS, bytes).pages, `${pages} pages`).toBeGreaterThanOrEqual(pages);
      expect(allowedText(TEXT_LIMITS, bytes + 1).pages, `${pages} pages`).toBeLessThan(pages);
    }
    // Up to this size any book of at most max_pages pages is read whole: no need to read it first.
    const unread = bytesAllowing(rule.max_pages, rule);
    expect(sendsWhole(unread, { maxBytes: 24 * MIB, text: rule })).toBe(true);
    expect(sendsWhole(unread + 1, { maxBytes: 24 * MIB, text: rule })).toBe(false);
    expect(sendsWhole(20 * MIB, { maxBytes: 24 * MIB })).toBe(true);
    expect(sendsWhole(25 * MIB, { maxBytes: 24 * MIB })).toBe(false);
  });

  it("a book of many pages is cut into parts the server reads with every page held: the Verne novel under a tighter rule", async () => {
    // A rule under which the novel's 325 pages leave room for PDFs of half a MiB only.
    const tight: TextLimits = { maxPages: 400, maxTextChars: 10_000_000, pageBudget: 425, pagesPerFileMiB: 200 };
    const rule = ruleOf(tight);
    expect(bytesAllowing(325, rule)).toBe(MIB / 2);
    expect(VERNE.length).toBeGreaterThan(MIB / 2);
    expect(VERNE.length).toBeLessThan(24 * MIB);
    const parts = await splitPdf(VERNE, { maxBytes: 24 * MIB, text: rule });
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) expect(p.bytes.length).toBeLessThanOrEqual(MIB / 2);
    expectConsecutive(parts, 325);
    // The server's reading under that rule takes them (it refuses the book sent whole).
    await expect(extractPdf(VERNE, undefined, { limits: tight })).rejects.toMatchObject({ code: "too_many_pages" });
    const joined = await readParts(parts.length, async (n) => parts[n - 1]!.bytes.slice(), { limits: tight });
    expect(joined.pageCount).toBe(325);
  });

  it("a book of more pages than one job holds is refused before anything is sent", async () => {
    const rule = ruleOf({ ...TEXT_LIMITS, maxPages: 300 });
    const err = await splitPdf(VERNE, { maxBytes: 24 * MIB, text: rule }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SplitError);
    expect(err).toMatchObject({
      code: "too_many_pages",
      message: expect.stringMatching(/^This book has 325 pages; the server reads at most 300 pages in one job/),
    });
  });
});

describe("partsToSend (the web app's and cli submit's choice)", () => {
  // Under this rule any PDF up to 128 KiB is sent unread (25 pages' room at 200 pages a MiB).
  const rule: TextRule = { max_pages: 400, page_budget: 425, pages_per_file_mib: 200 };

  it("sends a small file as it is, unread, and a long book in parts", async () => {
    const small = new TextEncoder().encode("%PDF-1.7 not even read");
    expect(await partsToSend(small, { maxBytes: MIB, text: rule })).toEqual([small]);
    const parts = await partsToSend(VERNE, { maxBytes: 24 * MIB, text: rule });
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(bytesAllowing(325, rule));
    // Read (over 0.5 MiB unread), and fits once its 325 pages are counted (0.875 MiB): its own bytes, whole.
    const roomier: TextRule = { ...rule, page_budget: 500 };
    expect(sendsWhole(VERNE.length, { maxBytes: 24 * MIB, text: roomier })).toBe(false);
    expect(bytesAllowing(325, roomier)).toBeGreaterThan(VERNE.length);
    const whole = await partsToSend(VERNE, { maxBytes: 24 * MIB, text: roomier });
    expect(whole).toHaveLength(1);
    expect(whole[0]).toBe(VERNE);
  });

  it("a file pdf-lib cannot read goes whole when within the part size (the server judges it), else is refused", async () => {
    const odd = new Uint8Array(200 * KIB).fill(0x41);
    expect(await partsToSend(odd, { maxBytes: MIB, text: rule })).toEqual([odd]);
    await expect(partsToSend(odd, { maxBytes: 150 * KIB, text: rule })).rejects.toMatchObject({ code: "invalid_pdf" });
    // A book of too many pages is still refused before sending.
    await expect(partsToSend(VERNE, { maxBytes: 24 * MIB, text: { ...rule, max_pages: 300, page_budget: 310 } })).rejects.toMatchObject({
      code: "too_many_pages",
    });
  });
});
