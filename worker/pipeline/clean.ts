import { bodyLines, type BodyLine } from "./furniture";
import { joinLines, Vocabulary } from "./hyphenation";
import { leftOf, measureLayout, rightOf, type Layout } from "./layout";
import type { ExtractedPdf, Paragraph } from "./types";

export interface CleanOptions {
  fixHyphenation: boolean;
}

/**
 * Turns laid-out pages into the book's paragraphs: running heads, page numbers and
 * headings removed, lines joined (line-end hyphenation resolved), paragraphs that
 * run over a page break joined again.
 */
export function cleanPages(pdf: ExtractedPdf, opts: CleanOptions): Paragraph[] {
  const layout = measureLayout(pdf);
  const groups: { page: number; lines: string[] }[] = [];
  // Pages left out (the `pages` setting): a paragraph never runs on over the gap they leave.
  const read = new Set(pdf.pages.map((p) => p.page));
  const afterGap = (line: BodyLine, prev: BodyLine) => line.page !== prev.page && !read.has(line.page - 1);
  let previous: BodyLine | undefined;
  for (const line of bodyLines(pdf, layout)) {
    const current = groups[groups.length - 1];
    if (!current || !previous || afterGap(line, previous) || startsParagraph(previous, line, layout))
      groups.push({ page: line.page, lines: [line.text] });
    else current.lines.push(line.text);
    previous = line;
  }

  // The vocabulary needs the whole book before any hyphen is judged.
  const vocab = new Vocabulary();
  for (const g of groups) vocab.addLines(g.lines);
  const paragraphs: Paragraph[] = [];
  for (const g of groups) {
    const text = joinLines(g.lines, vocab, opts.fixHyphenation);
    if (text !== "") paragraphs.push({ text, page: g.page });
  }
  return paragraphs;
}

function startsParagraph(prev: BodyLine, line: BodyLine, layout: Layout): boolean {
  if (line.breakBefore) return true;
  const offset = line.x - leftOf(layout, line.page);
  const indented = offset > 0.8 * layout.size;
  if (layout.usesIndent) {
    // Indented books: the indent is the signal, and a flush first line on a new page
    // is the rest of the paragraph the previous page ended with.
    return indented;
  }
  const samePage = line.page === prev.page;
  if (samePage && prev.y - line.y > 1.3 * layout.spacing) return true;
  const prevShort = prev.right < rightOf(layout, prev.page) - 2 * layout.size;
  return prevShort && /[.!?\u2026»:]["\u201d)]?$/u.test(prev.text);
}
