import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../schema/settings";
import { joinParts, partRanges, PipelineError, planDocument, readParts } from "../../worker/pipeline";
import { pageRanges, subsetPdf } from "../../worker/pipeline/scan";
import { planPages } from "../../worker/pipeline/index";
import { normalizeChunk } from "../../worker/pipeline/local";
import type { ExtractedPdf, Line, PageLines } from "../../worker/pipeline/types";
import { novelPdf } from "./corpus";

// A book sent in parts (consecutive page ranges, each read on its own) is planned over the
// joined pages: the result must be the book's, sent whole.

const OPTS = { fixHyphenation: true, maxChunkChars: 12000 };

// A synthetic A5 book (as in clean.test.ts): text block from x=50 to x=370, 10 pt on 12 pt.
const LEFT = 50;
const RIGHT = 370;
type Kind = "indent" | "flush" | "last";
const WORDS = ["pomme", "poire", "prune", "cerise", "fraise", "melon", "figue", "datte", "olive", "raisin"];

/**
 * One page: a running head set close above the text (so only its repetition on most pages
 * of the book marks it as furniture, not a gap), the body, and a folio apart at the foot.
 */
function layPage(page: number, body: [Kind, string][]): PageLines {
  const lines: Line[] = [{ text: "DEUX ANS DE VACANCES", x: 150, y: 532, right: 270, size: 10 }];
  let y = 520;
  for (const [kind, text] of body) {
    const x = kind === "indent" ? LEFT + 20 : LEFT;
    lines.push({ text, x, y, right: kind === "last" ? x + text.length * 4.5 : RIGHT, size: 10 });
    y -= 12;
  }
  lines.push({ text: String(page + 6), x: 205, y: 30, right: 215, size: 10 });
  return { page, lines };
}

const filler = (page: number, n: number): [Kind, string][] =>
  Array.from({ length: n }, (_, i): [Kind, string] => {
    const w = `${WORDS[page % 10]} ${WORDS[i % 10]}`;
    if (i % 4 === 0) return ["indent", `Début ${w} du paragraphe qui continue`];
    return i % 4 === 3 ? ["last", `fin ${w}.`] : ["flush", `suite ${w} du texte courant`];
  });

/** Six pages; a paragraph starts at the foot of page 3 and ends at the top of page 4. */
function bookPages(): PageLines[] {
  const pages: PageLines[] = [];
  for (let p = 1; p <= 6; p++) {
    const body = filler(p, 8);
    if (p === 3)
      body.push(["indent", "Ce paragraphe commencé à la page trois, au bas, se"], ["flush", "poursuit sur la ligne suivante et passe la"]);
    if (p === 4) body.unshift(["flush", "page pour finir à la page quatre, dans la"], ["last", "seconde partie du livre."]);
    pages.push(layPage(p, body));
  }
  return pages;
}

const whole = (pages: PageLines[]): ExtractedPdf => ({ pageCount: pages.length, pages, width: 420, height: 595 });

/** Pages `from`..`to` (1-based) as a part would read: numbered from 1. */
const part = (pages: PageLines[], from: number, to: number): ExtractedPdf =>
  whole(pages.slice(from - 1, to).map((p) => ({ page: p.page - from + 1, lines: p.lines })));

describe("joinParts", () => {
  it("numbers pages across the parts, in order", () => {
    const pages = bookPages();
    const joined = joinParts([part(pages, 1, 2), part(pages, 3, 3), part(pages, 4, 6)]);
    expect(joined.pageCount).toBe(6);
    expect(joined.partPages).toEqual([2, 1, 3]);
    expect(joined.pages.map((p) => p.page)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(joined.pages).toEqual(pages);
    expect([joined.width, joined.height]).toEqual([420, 595]);
  });

  it("plans the joined parts exactly as the book sent whole: heads found across parts, a paragraph over the boundary kept whole", () => {
    const pages = bookPages();
    const sent = planPages(whole(pages), OPTS);
    const joined = planPages(joinParts([part(pages, 1, 3), part(pages, 4, 6)]), OPTS);
    expect(joined).toEqual(sent);

    const texts = joined.paragraphs.map((p) => p.text);
    // The head sits close above the text: only its repetition on most of the book's pages
    // marks it. One part of three pages alone does not show it often enough.
    expect(texts.join("\n")).not.toMatch(/DEUX ANS DE VACANCES/);
    expect(
      planPages(part(pages, 4, 6), OPTS)
        .paragraphs.map((p) => p.text)
        .join("\n"),
    ).toMatch(/DEUX ANS DE VACANCES/);
    // Folios (page + 6) are gone, whichever part they were in.
    expect(texts.filter((t) => /^\d+$/.test(t))).toEqual([]);
    // The paragraph that runs from part 1 into part 2 is one paragraph, on the page it starts.
    const over = joined.paragraphs.filter((p) => /page trois|page quatre/.test(p.text));
    expect(over).toEqual([
      {
        text: "Ce paragraphe commencé à la page trois, au bas, se poursuit sur la ligne suivante et passe la page pour finir à la page quatre, dans la seconde partie du livre.",
        page: 3,
      },
    ]);
    // Part 2's paragraphs carry the book's page numbers.
    expect(joined.paragraphs.at(-1)!.page).toBe(6);
  });
});

/** The PDF's pages from..to (1-based), as a new PDF: how a client cuts a book into parts. */
const cut = (src: PDFDocument, from: number, to: number) => subsetPdf(src, from - 1, to - from + 1);

describe("the Verne novel in 3 parts", () => {
  it("gives the paragraphs, chunks and sentences (text and pages) of the book sent whole", async () => {
    const bytes = novelPdf("verne-deux-ans-de-vacances");
    const src = await PDFDocument.load(bytes);
    expect(src.getPageCount()).toBe(325);
    // Cut mid-chapter, so paragraphs run over both boundaries.
    const ranges: [number, number][] = [
      [1, 105],
      [106, 217],
      [218, 325],
    ];
    // Read as the plan consumer reads them: readParts, each part's bytes handed over.
    const given: Uint8Array[] = [];
    const pdf = await readParts(3, async (n) => {
      const part = await cut(src, ...ranges[n - 1]!);
      given.push(part);
      return part;
    });
    expect(pdf.partPages).toEqual([105, 112, 108]);
    expect(given.map((b) => b.byteLength)).toEqual([0, 0, 0]); // handed over to pdf.js

    const sent = await planDocument(bytes, OPTS);
    const joined = planPages(pdf, OPTS);
    expect(joined.pageCount).toBe(325);
    expect(joined.paragraphs).toEqual(sent.paragraphs);
    expect(joined.chunks).toEqual(sent.chunks);
    const sentences = (p: typeof sent) => p.chunks.flatMap((c) => normalizeChunk(c, DEFAULT_SETTINGS)).map((s) => [s.text, s.page]);
    expect(sentences(joined)).toEqual(sentences(sent));
    // A paragraph does run over each boundary (so the test shows them joined): the last one
    // begun before it holds the first words of the next part (its line 0 is the running head).
    for (const [, to] of ranges.slice(0, 2)) {
      const next = pdf.pages[to]!.lines[1]!.text.split(" ").slice(0, 3).join(" ");
      const last = joined.paragraphs.filter((p) => p.page <= to).at(-1)!;
      expect(last.text).toContain(next);
    }
  });
});

describe("a scan in parts", () => {
  const scan = novelPdf("maupassant-une-vie-extrait.scan");

  it("is cut into the ranges of each part, pages numbered across parts, each part released after its last range", async () => {
    const src = await PDFDocument.load(scan);
    const total = src.getPageCount();
    expect(total).toBeGreaterThanOrEqual(5);
    const bounds: [number, number][] = [
      [1, 3],
      [4, total],
    ];
    const given: Uint8Array[] = [];
    const read = async (n: number) => {
      const part = await cut(src, ...bounds[n - 1]!);
      given.push(part);
      return part;
    };
    const pdf = await readParts(2, read);
    expect(pdf.partPages).toEqual([3, total - 3]);
    given.length = 0;
    const seen: [number, number][] = [];
    for await (const r of partRanges(pdf.partPages, read, 2)) {
      seen.push([r.first_page, r.last_page]);
      // The part being cut is whole while its ranges are made; the one before is released.
      expect(given.at(-1)!.byteLength).toBeGreaterThan(0);
      if (given.length === 2) expect(given[0]!.byteLength).toBe(0);
      expect((await PDFDocument.load(r.pdf)).getPageCount()).toBe(r.last_page - r.first_page + 1);
    }
    // 3 pages in ranges of 2: 1–2, 3; part 2 starts a range of its own at page 4.
    const expected: [number, number][] = [
      [1, 2],
      [3, 3],
    ];
    for (let p = 4; p <= total; p += 2) expected.push([p, Math.min(p + 1, total)]);
    expect(seen).toEqual(expected);
    expect(given.map((b) => b.byteLength)).toEqual([0, 0]);
  });

  it("names the part whose PDF is broken, and releases it", async () => {
    const broken = new TextEncoder().encode("%PDF-1.7\nthis is not a PDF at all\n%%EOF\n");
    const good = await cut(await PDFDocument.load(scan), 1, 2);
    const err = await readParts(2, async (n) => (n === 1 ? good : broken)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).message).toMatch(/^Part 2 of 2: /);
    const given = new TextEncoder().encode("%PDF-1.7\nbroken\n");
    const ranges = partRanges([2], async () => given, 2);
    await expect(ranges.next()).rejects.toThrow();
    expect(given.byteLength).toBe(0);
  });

  it("a caller that stops early still has the part released", async () => {
    const bytes = scan.slice();
    const ranges = pageRanges(bytes, 2, { handOver: true });
    const first = await ranges.next();
    expect(first.done).toBe(false);
    expect(bytes.byteLength).toBeGreaterThan(0);
    await ranges.return(undefined);
    expect(bytes.byteLength).toBe(0);
    // Not handed over: left as it was.
    const kept = scan.slice();
    for await (const r of pageRanges(kept, 4)) expect(r.pdf.byteLength).toBeGreaterThan(0);
    expect(kept.byteLength).toBe(scan.byteLength);
  });
});
