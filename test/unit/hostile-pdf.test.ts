import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { extractPdf, measurePdf, planDocument, PipelineError } from "../../worker/pipeline";
import { DECODE_LIMITS } from "../../worker/pipeline/decode-guard";
import { MAX_PAGE_TEXT_ITEMS } from "../../worker/pipeline/extract";
import { pageRanges } from "../../worker/pipeline/scan";
import { bombPdf, checkZeroBomb, manyItemsPdf, objStmBombPdf } from "../fixtures/hostile-pdf";
import { CORPUS } from "./corpus";

// PDFs whose streams inflate to gigabytes, or whose page holds a million text items, through
// the plan step's own reading (planDocument → extractPdf → pdf.js as patched at install by
// scripts/patch-pdfjs.mjs). Their peak memory is measured by `npm run bench:memory -- --only hostile`.
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const plan = (bytes: Uint8Array) => planDocument(bytes, { fixHyphenation: true, maxChunkChars: 12_000, handOver: true });

async function refusal(p: Promise<unknown>): Promise<PipelineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the PDF was read, not refused").toBeInstanceOf(PipelineError);
  return err as PipelineError;
}

/** Bytes of ArrayBuffers the process holds now (pdf.js's decoded buffers are ArrayBuffers). */
const arrayBuffers = () => process.memoryUsage().arrayBuffers;

describe("hostile PDFs are refused before their bytes are inflated", () => {
  it("pdf.js is the patched build (npm install runs scripts/patch-pdfjs.mjs)", () => {
    const pdfjs = readFileSync(new URL(import.meta.resolve("unpdf/pdfjs")), "utf8");
    expect(pdfjs.startsWith("/* fnt:decode-guard"), "run `node scripts/patch-pdfjs.mjs` (npm install does)").toBe(true);
  });

  it("the bomb generator makes a valid zlib stream of zeros", async () => {
    expect(await checkZeroBomb()).toBe(true);
  });

  it("a FlateDecode content stream inflating to 1 GiB: pdf_stream_too_large, naming the page, having decoded no more than the limit", async () => {
    const before = arrayBuffers();
    let most = 0;
    const timer = setInterval(() => (most = Math.max(most, arrayBuffers() - before)), 1);
    const err = await refusal(plan(await bombPdf({ inflated: GIB })));
    clearInterval(timer);
    expect(err.code).toBe("pdf_stream_too_large");
    expect(err.message).toMatch(/on page 2 decompresses to more than 4 MB/);
    // The file (1 MiB) and what was decoded before the refusal: nowhere near the gigabyte.
    expect(most).toBeLessThan(64 * MIB);
  });

  it("the same inside a second FlateDecode ([/FlateDecode /FlateDecode], 4 KB on disk) and in a font's ToUnicode CMap", async () => {
    const chained = await bombPdf({ inflated: GIB, chained: true });
    expect(chained.length).toBeLessThan(8 * 1024);
    expect((await refusal(plan(chained))).code).toBe("pdf_stream_too_large");
    // pdf.js decodes a CMap through the platform's DecompressionStream: the guard counts its chunks too.
    const cmap = await refusal(plan(await bombPdf({ inflated: GIB, where: "tounicode" })));
    expect(cmap.code).toBe("pdf_stream_too_large");
  });

  it("the estimate's reading (measurePdf) refuses the same", async () => {
    expect((await refusal(measurePdf(await bombPdf({ inflated: 256 * MIB })))).code).toBe("pdf_stream_too_large");
  });

  it("a stream within the limits is read as before; past a smaller limit, refused", async () => {
    // 2 MiB of zeros: under the 4 MiB a stream may decode to.
    expect(DECODE_LIMITS.maxStreamBytes).toBeGreaterThan(2 * MIB);
    const small = await bombPdf({ inflated: 2 * MIB });
    const read = await extractPdf(small);
    expect(read.pageCount).toBe(2);
    expect(read.pages[0]!.lines[0]!.text).toMatch(/^Il marchait le long de la mer/);
    const err = await refusal(extractPdf(small, undefined, { decodeLimits: { maxStreamBytes: MIB, maxPageBytes: 8 * MIB } }));
    expect(err.message).toMatch(/on page 2 decompresses to more than 1 MB/);
    // All the streams of one page together: here the one stream passes a page limit of 1 MiB.
    const page = await refusal(extractPdf(small, undefined, { decodeLimits: { maxStreamBytes: 4 * MIB, maxPageBytes: MIB } }));
    expect(page.message).toMatch(/decompress to more than 1 MB together/);
  });

  it("a page drawing a million text items (a form XObject of 1,500 drawn 667 times): too_many_text_items, the reading stopped", async () => {
    const bytes = manyItemsPdf(1_000_000);
    expect(bytes.length).toBeLessThan(8 * 1024);
    const t0 = performance.now();
    const err = await refusal(plan(bytes));
    expect(err.code).toBe("too_many_text_items");
    expect(err.message).toMatch(/Page 2 of this PDF is drawn as more than 20,000 separate pieces of text/);
    // pdf.js reads the million items in ~10 s (and holds ~300 MB of them): stopped at the cap.
    expect(performance.now() - t0).toBeLessThan(5_000);
    // Under the cap, the page is read.
    expect((await extractPdf(manyItemsPdf(MAX_PAGE_TEXT_ITEMS - 1500))).pageCount).toBe(2);
  });

  it("pdf-lib, cutting a scan into page ranges, refuses a bomb in an object stream nothing refers to (which pdf.js never decodes)", async () => {
    const bytes = await objStmBombPdf(256 * MIB);
    // pdf.js reads the pages and never opens the object stream.
    expect((await extractPdf(bytes.slice())).pageCount).toBe(2);
    // pdf-lib decodes every object stream as it parses the file.
    const err = await refusal(
      (async () => {
        for await (const _ of pageRanges(bytes, 4, { handOver: true })) void _;
      })(),
    );
    expect(err.code).toBe("pdf_stream_too_large");
    expect(err.message).toMatch(/decompresses to more than 4 MB/);
    // A scan's ranges are cut as before.
    const scan = new Uint8Array(readFileSync(path.join(CORPUS, "novels", "maupassant-une-vie-extrait.scan.pdf")));
    const ranges: number[] = [];
    for await (const r of pageRanges(scan, 4)) ranges.push(r.last_page);
    expect(ranges).toEqual([4, 6]);
  });

  it("the corpus novels read whole under the limits", async () => {
    const m = await measurePdf(new Uint8Array(readFileSync(path.join(CORPUS, "novels", "verne-deux-ans-de-vacances.pdf"))));
    expect(m.pages).toHaveLength(325);
  });
});
