import { leftOf, rightOf, type Layout } from "./layout";
import type { ExtractedPdf, Line } from "./types";

/** A line of book text, with what the layout says about the paragraph it belongs to. */
export interface BodyLine extends Line {
  page: number;
  /** Something that is not prose (a heading, a section break) came just before it. */
  breakBefore: boolean;
}

// Only the outermost lines of a page can be running heads or folios.
const EDGE_LINES = 2;

const ROMAN = /^(?=[ivxlcdm]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$/i;
// "12", "- 12 -", "[xii]", "Page 12", "12/300"; a trailing full stop would be prose ("1819.").
const FOLIO = /^[-\u2013\u2014[(\s]*(?:page\s+|p\.\s*)?([0-9]{1,4}|[ivxlcdm]{1,8})(?:\s*\/\s*[0-9]{1,4})?[-\u2013\u2014\])\s]*$/i;
const HEADING_WORD =
  /^(chapitre|chap\.|livre|partie|tome|volume|épilogue|prologue|préface|avant-propos|introduction|conclusion|appendice|annexe)\b/i;
const ORDINAL_PART = /^(premi[eè]re|seconde|\p{L}+i[eè]me)\s+partie\b/iu;
const SEPARATOR = /^[\s*\u2042·\u2022~#_\u2013\u2014-]+$/u;

export function isFolio(text: string): boolean {
  return folioValue(text) !== undefined;
}

/** The number a folio shows (NaN for a roman one), or undefined when it is not a folio. */
function folioValue(text: string): number | undefined {
  const m = FOLIO.exec(text.trim());
  if (!m) return undefined;
  const n = m[1]!;
  if (/^\d+$/.test(n)) return Number(n);
  return ROMAN.test(n) ? Number.NaN : undefined;
}

/** A running head compared across pages: page numbers and case do not matter. */
function headKey(text: string): string {
  const key = text
    .toLowerCase()
    .replace(/\d+/g, "#")
    .split(/\s+/)
    .map((w) => (ROMAN.test(w.replace(/[.,]$/, "")) ? "#" : w))
    .join(" ");
  // Dots and dashes trimmed by a scan from each end: the regex /[\s.–—-]+$/ retries at every
  // dot of a line made of thousands of them (a dot leader), quadratic in its length.
  let start = 0;
  let end = key.length;
  while (start < end && EDGE_TRIM.test(key[start]!)) start++;
  while (end > start && EDGE_TRIM.test(key[end - 1]!)) end--;
  return key.slice(start, end);
}
const EDGE_TRIM = /[\s.\u2013\u2014-]/u;

function isHeadingText(text: string): boolean {
  const t = text.trim();
  if (t.length > 60) return false;
  if (HEADING_WORD.test(t) || ORDINAL_PART.test(t)) return true;
  const bare = t.replace(/[.\s]+$/, "");
  return /^\d{1,3}$/.test(bare) || ROMAN.test(bare);
}

/**
 * Removes what is not the book's prose: running heads and feet (repeated at the same
 * edge of many pages, page number or not), page numbers, chapter headings, separators.
 * Lines come one at a time: a copy of the whole book's lines is never held at once.
 */
export function* bodyLines(pdf: ExtractedPdf, layout: Layout): Generator<BodyLine> {
  const heads = repeatedEdges(pdf, layout);
  const offset = folioOffset(pdf);
  const apart = 1.6 * layout.spacing;
  for (const { page, lines } of pdf.pages) {
    // A lone number at the page edge is a folio when it follows the page count or stands
    // apart from the text; otherwise it is prose, like a date on a line of its own.
    const isFurniture = (i: number, inner: number, set: Set<string>) => {
      const line = lines[i]!;
      if (set.has(headKey(line.text))) return true;
      const value = folioValue(line.text);
      if (value === undefined) return false;
      const gap = lines[inner] ? Math.abs(line.y - lines[inner]!.y) : Infinity;
      return value - page === offset || gap > apart;
    };
    let first = 0;
    let last = lines.length - 1;
    // Peel furniture off the top and the bottom, outermost first.
    while (first <= last && first < EDGE_LINES && isFurniture(first, first + 1, heads.top)) first++;
    while (last >= first && lines.length - 1 - last < EDGE_LINES && isFurniture(last, last - 1, heads.bottom)) last--;

    const kept = lines.slice(first, last + 1);
    const headings = headingLines(kept, layout, page);
    let afterHeading = false;
    let previous: Line | undefined;
    for (let i = 0; i < kept.length; i++) {
      const line = kept[i]!;
      if (headings.has(i)) {
        afterHeading = true;
        previous = undefined;
        continue;
      }
      // A blank line's worth of space inside a page is a section break.
      const sectionGap = previous !== undefined && previous.y - line.y > 1.8 * layout.spacing;
      yield { ...line, page, breakBefore: afterHeading || sectionGap };
      afterHeading = false;
      previous = line;
    }
  }
}

/** The usual difference between printed page numbers and page indexes (front matter shifts it). */
function folioOffset(pdf: ExtractedPdf): number | undefined {
  const counts = new Map<number, number>();
  for (const { page, lines } of pdf.pages) {
    const edges = [...lines.slice(0, EDGE_LINES), ...lines.slice(-EDGE_LINES)];
    for (const l of edges) {
      const v = folioValue(l.text);
      if (v !== undefined && !Number.isNaN(v)) counts.set(v - page, (counts.get(v - page) ?? 0) + 1);
    }
  }
  let best: number | undefined;
  let bestCount = 1;
  for (const [k, n] of counts) if (n > bestCount) [best, bestCount] = [k, n];
  return best;
}

/**
 * Running heads and feet: texts seen at the same page edge on many pages, or on a few
 * pages but always set apart from the text block (chapter titles in the head of odd pages).
 */
function repeatedEdges(pdf: ExtractedPdf, layout: Layout): { top: Set<string>; bottom: Set<string> } {
  const stats = { top: new Map<string, { pages: number; apart: number }>(), bottom: new Map<string, { pages: number; apart: number }>() };
  for (const { lines } of pdf.pages) {
    for (let i = 0; i < Math.min(EDGE_LINES, lines.length); i++) {
      const next = lines[i + 1];
      note(stats.top, lines[i]!, next ? lines[i]!.y - next.y : Infinity);
    }
    for (let i = lines.length - 1; i >= Math.max(0, lines.length - EDGE_LINES); i--) {
      const prev = lines[i - 1];
      note(stats.bottom, lines[i]!, prev ? prev.y - lines[i]!.y : Infinity);
    }
  }
  function note(map: Map<string, { pages: number; apart: number }>, line: Line, gap: number) {
    const key = headKey(line.text);
    if (key === "" || key === "#") return;
    const s = map.get(key) ?? { pages: 0, apart: 0 };
    s.pages++;
    if (gap > 1.6 * layout.spacing) s.apart++;
    map.set(key, s);
  }
  // Prose can repeat at a page edge by chance ("-- Oui."), but seldom set apart by space,
  // and never on half the pages.
  const frequent = Math.max(3, Math.ceil(0.2 * pdf.pageCount));
  const isHead = (s: { pages: number; apart: number }) =>
    (s.pages >= frequent && s.apart >= 0.5 * s.pages) ||
    (s.pages >= 3 && s.apart >= 0.8 * s.pages) ||
    s.pages >= Math.max(4, 0.5 * pdf.pageCount);
  const pick = (map: Map<string, { pages: number; apart: number }>) => new Set([...map].filter(([, s]) => isHead(s)).map(([k]) => k));
  return { top: pick(stats.top), bottom: pick(stats.bottom) };
}

/**
 * Indexes of heading lines on a page: "Chapitre II", a lone numeral, a title in a larger
 * font, or a short centered block set apart by space (a chapter's title, "* * *").
 */
function headingLines(lines: readonly Line[], layout: Layout, page: number): Set<number> {
  const left = leftOf(layout, page);
  const right = rightOf(layout, page);
  const width = Math.max(1, right - left);
  const apart = 1.6 * layout.spacing;
  const centered = (l: Line) => {
    const fromLeft = l.x - left;
    const fromRight = right - l.right;
    return fromLeft > 0.12 * width && Math.abs(fromLeft - fromRight) < Math.max(0.06 * width, 2 * layout.size);
  };
  const gapAbove = (i: number) => (i === 0 ? Infinity : lines[i - 1]!.y - lines[i]!.y);
  const gapBelow = (i: number) => (i === lines.length - 1 ? Infinity : lines[i]!.y - lines[i + 1]!.y);

  const found = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    // Set apart on both sides: one side alone is any paragraph's first or last line.
    const isolated = gapAbove(i) > apart && gapBelow(i) > apart;
    if (SEPARATOR.test(l.text) && l.text.trim().length <= 12) found.add(i);
    else if (isHeadingText(l.text) && (centered(l) || isolated || l.size > 1.15 * layout.size)) found.add(i);
    else if (l.size > 1.2 * layout.size && l.text.length < 120) found.add(i);
  }
  // Centered short blocks set apart above and below: chapter titles and subtitles.
  for (let i = 0; i < lines.length; ) {
    if (!centered(lines[i]!) || lines[i]!.text.length > 80) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < lines.length && centered(lines[j + 1]!) && gapBelow(j) <= 2.5 * layout.spacing && j - i < 3) j++;
    const before = i === 0 || found.has(i - 1) ? Infinity : gapAbove(i);
    const after = j === lines.length - 1 || found.has(j + 1) ? Infinity : gapBelow(j);
    if (before > apart && after > apart) for (let k = i; k <= j; k++) found.add(k);
    i = j + 1;
  }
  return found;
}
