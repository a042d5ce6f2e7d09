import type { ExtractedPdf, Line } from "./types";

/** The measurements of the body text block, learnt from the document itself. */
export interface Layout {
  /** Body font size. */
  size: number;
  /** Usual distance between consecutive baselines of a paragraph. */
  spacing: number;
  /** Left and right edges of the text block, per page parity (books mirror margins). */
  left: [even: number, odd: number];
  right: [even: number, odd: number];
  /** Does the book mark paragraphs with a first-line indent (French books do)? */
  usesIndent: boolean;
}

/** The most frequent value after rounding to `step`; ties go to the smaller value. */
export function mode(values: readonly number[], step = 1): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) {
    const k = Math.round(v / step) * step;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [k, n] of counts) {
    if (n > bestCount || (n === bestCount && best !== undefined && k < best)) {
      best = k;
      bestCount = n;
    }
  }
  return best;
}

function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * The left edge is the smallest x shared by many lines: the mode alone would pick the
 * indent in dialogue-heavy books, where short indented paragraphs outnumber full lines.
 */
function leftEdge(lines: readonly Line[]): number | undefined {
  const counts = new Map<number, number>();
  for (const l of lines) counts.set(Math.round(l.x), (counts.get(Math.round(l.x)) ?? 0) + 1);
  const top = Math.max(0, ...counts.values());
  const frequent = [...counts].filter(([, n]) => n >= Math.max(2, 0.15 * top)).map(([x]) => x);
  return frequent.length > 0 ? Math.min(...frequent) : undefined;
}

export function measureLayout(pdf: ExtractedPdf): Layout {
  const all = pdf.pages.flatMap((p) => p.lines);
  const size =
    mode(
      all.map((l) => l.size),
      0.5,
    ) ?? 10;
  const body = all.filter((l) => Math.abs(l.size - size) <= 0.6);

  const gaps: number[] = [];
  for (const p of pdf.pages) {
    for (let i = 1; i < p.lines.length; i++) {
      const gap = p.lines[i - 1]!.y - p.lines[i]!.y;
      if (gap > 0.5 * size && gap < 4 * size) gaps.push(gap);
    }
  }
  const spacing = mode(gaps, 0.1) ?? 1.2 * size;

  const byParity = (parity: number) =>
    pdf.pages.filter((p) => p.page % 2 === parity).flatMap((p) => p.lines.filter((l) => Math.abs(l.size - size) <= 0.6));
  const globalLeft = leftEdge(body) ?? 0;
  const globalRight =
    quantile(
      body.map((l) => l.right),
      0.95,
    ) ?? pdf.width;
  const edges = (parity: number): [number, number] => {
    const lines = byParity(parity);
    if (lines.length < 20) return [globalLeft, globalRight];
    return [
      leftEdge(lines) ?? globalLeft,
      quantile(
        lines.map((l) => l.right),
        0.95,
      ) ?? globalRight,
    ];
  };
  const [evenLeft, evenRight] = edges(0);
  const [oddLeft, oddRight] = edges(1);

  const left: [number, number] = [evenLeft, oddLeft];
  const width = Math.max(1, globalRight - globalLeft);
  let indented = 0;
  let counted = 0;
  for (const p of pdf.pages) {
    for (const l of p.lines) {
      if (Math.abs(l.size - size) > 0.6) continue;
      counted++;
      const offset = l.x - left[p.page % 2]!;
      if (offset > 0.8 * size && offset < 0.2 * width) indented++;
    }
  }
  const usesIndent = counted > 0 && indented / counted >= 0.03;

  return { size, spacing, left, right: [evenRight, oddRight], usesIndent };
}

export function leftOf(layout: Layout, page: number): number {
  return layout.left[page % 2]!;
}

export function rightOf(layout: Layout, page: number): number {
  return layout.right[page % 2]!;
}
