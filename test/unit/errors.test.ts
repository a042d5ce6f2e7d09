import { describe, expect, it } from "vitest";
import { allowedText, extractPdf, PipelineError, planDocument, TEXT_LIMITS, textChars } from "../../worker/pipeline";
import { encryptedPdf, novelPdf } from "./corpus";

const plan = (data: Uint8Array) => planDocument(data, { fixHyphenation: true, maxChunkChars: 6000 });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return (err as PipelineError).code;
  }
  throw new Error("expected a PipelineError");
}

describe("documents the pipeline refuses", () => {
  it("a scan without a text layer → no_text_layer", async () => {
    expect(await codeOf(plan(novelPdf("maupassant-une-vie-extrait.scan")))).toBe("no_text_layer");
  });

  it("garbage bytes → invalid_pdf", async () => {
    const junk = new TextEncoder().encode("this is not a PDF, only some bytes. ".repeat(50));
    expect(await codeOf(plan(junk))).toBe("invalid_pdf");
    expect(await codeOf(extractPdf(new Uint8Array(0)))).toBe("invalid_pdf");
  });

  it("a truncated PDF → invalid_pdf", async () => {
    const pdf = novelPdf("maupassant-une-vie-extrait");
    expect(await codeOf(plan(pdf.slice(0, 200)))).toBe("invalid_pdf");
  });

  it("a password-protected PDF → encrypted_pdf", async () => {
    const err = await plan(encryptedPdf()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe("encrypted_pdf");
    expect((err as PipelineError).message).toBe("This PDF is password-protected. Remove the password and upload it again.");
  });
});

describe("the text limits (the plan step's memory budget)", () => {
  const extract = () => novelPdf("maupassant-une-vie-extrait"); // 6 pages, ~13,000 characters, 31 KB
  /** Limits that do not depend on the file's size. */
  const only = (maxPages: number, maxTextChars = 1e9) => ({ maxPages, maxTextChars, pageBudget: Infinity, pagesPerFileMiB: 0 });

  it("more pages than a job may hold → too_many_pages, before any page is read", async () => {
    const done: number[] = [];
    const err = await planDocument(extract(), {
      fixHyphenation: true,
      maxChunkChars: 6000,
      onPage: (n) => done.push(n),
      limits: only(5),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe("too_many_pages");
    expect((err as PipelineError).message).toBe(
      "This book has 6 pages; the server reads at most 5 pages of text in one job (all of a book's pages are read together, even when it is sent in parts). Send it as separate jobs of at most 5 pages.",
    );
    expect(done).toEqual([]);
  });

  it("more text than a job may hold → too_much_text, as soon as the pages read pass it", async () => {
    const done: number[] = [];
    const err = await extractPdf(extract(), (n) => done.push(n), { limits: only(100, 3000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe("too_much_text");
    expect(done.length).toBeLessThan(6);
  });

  it("counts what the earlier parts of a book hold: a book sent in parts is held whole", async () => {
    const limits = only(10);
    const err = await extractPdf(extract(), undefined, { limits, before: { pages: 5, chars: 0 } }).catch((e: unknown) => e);
    expect((err as PipelineError).code).toBe("too_many_pages");
    expect((err as PipelineError).message).toMatch(/^This book has at least 11 pages; the server reads at most 10 pages/);
    expect((await extractPdf(extract(), undefined, { limits, before: { pages: 4, chars: 0 } })).pageCount).toBe(6);
    const whole = await extractPdf(extract(), undefined, { limits: null });
    const chars = textChars(whole);
    expect(chars).toBeGreaterThan(10_000);
    const text = await extractPdf(extract(), undefined, { limits: only(100, chars + 999), before: { pages: 3, chars: 1000 } }).catch(
      (e: unknown) => e,
    );
    expect((text as PipelineError).code).toBe("too_much_text");
    expect((text as PipelineError).message).toMatch(/by its page 9;/);
  });

  it("leaves fewer pages to a big file: its bytes are held while the pages are read", async () => {
    const MiB = 1024 * 1024;
    expect(allowedText(TEXT_LIMITS, 0)).toEqual({ pages: 1500, chars: 3_500_000, reduced: false });
    expect(allowedText(TEXT_LIMITS, 3.5 * MiB)).toEqual({ pages: 1500, chars: 3_500_000, reduced: false });
    expect(allowedText(TEXT_LIMITS, 12 * MiB)).toEqual({ pages: 1170, chars: 2_730_000, reduced: true });
    expect(allowedText(TEXT_LIMITS, 24 * MiB)).toEqual({ pages: 690, chars: 1_610_000, reduced: true });
    // The extract is 31 KB: 5 pages for it at 100 pages a MiB from a budget of 8.
    const err = await extractPdf(extract(), undefined, {
      limits: { maxPages: 100, maxTextChars: 1e9, pageBudget: 8, pagesPerFileMiB: 100 },
    }).catch((e: unknown) => e);
    expect((err as PipelineError).code).toBe("too_many_pages");
    expect((err as PipelineError).message).toMatch(
      /^This book has 6 pages; the server reads at most 5 pages of text in one job while it reads a PDF of 0 MB \(the file and the text share the memory\).*, or in smaller parts\.$/,
    );
  });

  it("applies by default, and not when the caller (the CLI) says null", async () => {
    expect(TEXT_LIMITS).toEqual({ maxPages: 1500, maxTextChars: 3_500_000, pageBudget: 1650, pagesPerFileMiB: 40 });
    expect(await codeOf(extractPdf(extract(), undefined, { limits: only(1) }))).toBe("too_many_pages");
    expect((await extractPdf(extract(), undefined, { limits: null })).pageCount).toBe(6);
    expect((await planDocument(extract(), { fixHyphenation: true, maxChunkChars: 6000 })).pageCount).toBe(6);
  });
});

describe("planDocument", () => {
  it("plans the extract into chunks of whole paragraphs", async () => {
    const done: number[] = [];
    const data = novelPdf("maupassant-une-vie-extrait");
    const planned = await planDocument(data, { fixHyphenation: true, maxChunkChars: 4000, onPage: (n) => done.push(n) });
    expect(planned.pageCount).toBe(6);
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
    expect(planned.chunks.flatMap((c) => c.paragraphs)).toEqual(planned.paragraphs);
    expect(planned.chunks.map((c) => c.index)).toEqual(planned.chunks.map((_, i) => i));
    // The caller's bytes are still usable (pdf.js may detach what it is given).
    expect(data.byteLength).toBeGreaterThan(0);
  });

  it("reads bytes handed over without a copy: the same plan, and the caller's bytes are gone", async () => {
    const kept = await planDocument(novelPdf("maupassant-une-vie-extrait"), { fixHyphenation: true, maxChunkChars: 4000 });
    const given = novelPdf("maupassant-une-vie-extrait");
    const planned = await planDocument(given, { fixHyphenation: true, maxChunkChars: 4000, handOver: true });
    expect(planned).toEqual(kept);
    expect(given.byteLength).toBe(0);
  });
});
