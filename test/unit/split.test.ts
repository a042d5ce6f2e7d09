import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PDFDocument, PDFName, PDFRawStream, PDFDict } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { splitPdf, SplitError, type PdfPart } from "../../client/split";
import { scan } from "../../bench/memory-inputs";
import { extractPdf } from "../../worker/pipeline";
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
    await expect(splitPdf(data, { maxBytes: 256 * KIB })).rejects.toMatchObject({ code: "page_too_large", message: expect.stringMatching(/^Page 1 alone/) });
    const encrypted = new Uint8Array(readFileSync(path.join(__dirname, "../fixtures/encrypted.pdf")));
    await expect(splitPdf(encrypted, { maxBytes: 10 })).rejects.toBeInstanceOf(SplitError);
    await expect(splitPdf(encrypted, { maxBytes: 10 })).rejects.toMatchObject({ code: "encrypted" });
    await expect(splitPdf(new TextEncoder().encode("%PDF-1.7 nothing else"), { maxBytes: 10 })).rejects.toMatchObject({ code: "invalid_pdf" });
  });
});
