/**
 * Quality measures shared by the unit tests and the evaluation script.
 * Pure functions, no test framework imports.
 */

export interface PrecisionRecall {
  /** Share of reference items found in the output. */
  recall: number;
  /** Share of output items that are in the reference. */
  precision: number;
  f1: number;
  /** Items matched, in the output, in the reference. */
  matched: number;
  output: number;
  reference: number;
}

function score(matched: number, output: number, reference: number): PrecisionRecall {
  const precision = output === 0 ? (reference === 0 ? 1 : 0) : matched / output;
  const recall = reference === 0 ? 1 : matched / reference;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, matched, output, reference };
}

/**
 * Words as a reader counts them: letters and digits, with inner hyphens and apostrophes
 * kept, so "mar-chait" and "marchait" are different words.
 */
export function words(text: string): string[] {
  return text.match(/[\p{L}\p{N}]+(?:[-’'][\p{L}\p{N}]+)*/gu) ?? [];
}

/** Bag-of-words comparison: order is ignored. */
export function multisetScore(output: readonly string[], reference: readonly string[]): PrecisionRecall {
  const counts = new Map<string, number>();
  for (const w of reference) counts.set(w, (counts.get(w) ?? 0) + 1);
  let matched = 0;
  for (const w of output) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      matched++;
      counts.set(w, n - 1);
    }
  }
  return score(matched, output.length, reference.length);
}

/**
 * In-order comparison: matched = length of the longest common subsequence, so a word
 * moved elsewhere counts as lost. Myers' O((N+M)·D) algorithm keeps it fast when the
 * two texts are close, as they are for a good extraction of a whole novel.
 */
export function sequenceScore(output: readonly string[], reference: readonly string[]): PrecisionRecall {
  const ids = new Map<string, number>();
  const id = (w: string) => {
    let n = ids.get(w);
    if (n === undefined) ids.set(w, (n = ids.size));
    return n;
  };
  const a = Int32Array.from(output, id);
  const b = Int32Array.from(reference, id);
  const d = editDistance(a, b);
  const lcs = (a.length + b.length - d) / 2;
  return score(lcs, a.length, b.length);
}

/** Insert/delete edit distance (no substitutions), Myers 1986. */
function editDistance(a: Int32Array, b: Int32Array): number {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return d;
    }
  }
  return max;
}

/**
 * Sentence-boundary F1: a boundary is the number of non-whitespace characters before a
 * sentence end, so spacing differences between output and gold do not matter.
 */
export function boundaryScore(output: readonly string[], gold: readonly string[]): PrecisionRecall {
  const toBoundaries = (sentences: readonly string[]) => {
    const set = new Set<number>();
    let count = 0;
    for (const s of sentences) {
      count += s.replace(/\s+/gu, "").length;
      set.add(count);
    }
    return set;
  };
  const out = toBoundaries(output);
  const ref = toBoundaries(gold);
  let matched = 0;
  for (const b of out) if (ref.has(b)) matched++;
  return score(matched, out.size, ref.size);
}

/** Sums per-item counts into one micro-averaged score. */
export function combine(scores: readonly PrecisionRecall[]): PrecisionRecall {
  let matched = 0;
  let output = 0;
  let reference = 0;
  for (const s of scores) {
    matched += s.matched;
    output += s.output;
    reference += s.reference;
  }
  return score(matched, output, reference);
}

/**
 * Words still split by line-end hyphenation: a hyphenated token of the output whose
 * joined form is a word of the reference while the hyphenated form never is.
 */
export function splitHyphenWords(output: readonly string[], reference: readonly string[]): string[] {
  const ref = new Set(reference.map((w) => w.toLowerCase()));
  const found: string[] = [];
  for (const w of output) {
    if (!w.includes("-")) continue;
    const lower = w.toLowerCase();
    if (!ref.has(lower) && ref.has(lower.replace(/-/g, ""))) found.push(w);
  }
  return found;
}
