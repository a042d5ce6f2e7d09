import { segmentSentences } from "./segment";

/**
 * Which text of the book each sentence of Gemini's answer came from, and how much of the
 * book's text the answer kept.
 *
 * Derived here, not asked of the model. The request stays one paragraph in, its sentences
 * out; the paragraph sent is cut locally into its sentences (`segmentSentences`), and the
 * words of the answer are aligned with the words of those sentences (longest common
 * subsequence, case-folded). Each answer sentence is thereby tied to the book sentence(s)
 * its words came from:
 * - a long sentence rewritten into three shorter ones ties those three to it;
 * - short sentences joined into one (`min_sentence_length`) tie it to all of them;
 * - a sentence copied as it was ties one to one, and a sentence cut where the local
 *   segmenter would not have cut is a different cut of the same words, not a rewrite.
 * Alternatives not taken: a response schema where the model names the sentences it used
 * needs numbered input sentences (so our cut, not the model's) and trusts an unverifiable
 * claim; a schema where the model copies the original beside each rewrite doubles the
 * output tokens of rewritten text and may itself be altered. An alignment needs neither, is
 * deterministic, works on answers already of the schema, and its count of matched words
 * is what the dropped-text check wants: how much of the book's own text came back.
 */

export interface OriginalAlignment {
  /** Per answer sentence: the book's text it came from when that differs from it, else undefined. */
  originals: (string | undefined)[];
  /** Words of the book's text found, in order, in the answer. */
  kept: number;
  /** Words of the book's text. */
  total: number;
}

/** Above this many cells (book words × answer words left after trimming) the alignment is greedy. */
const MAX_CELLS = 4_000_000;

/** Whitespace runs as one space, the way results are compared (line breaks kept by preserve_formatting count as spaces). */
const flat = (s: string) => s.replace(/\s+/gu, " ").trim();

interface Words {
  ids: number[];
  /** Index of the sentence each word belongs to. */
  owner: number[];
}

function wordsOf(sentences: readonly string[], vocab: Map<string, number>): Words {
  const ids: number[] = [];
  const owner: number[] = [];
  sentences.forEach((s, i) => {
    for (const m of s
      .normalize("NFC")
      .toLowerCase()
      .matchAll(/[\p{L}\p{N}]+/gu)) {
      let id = vocab.get(m[0]);
      if (id === undefined) vocab.set(m[0], (id = vocab.size));
      ids.push(id);
      owner.push(i);
    }
  });
  return { ids, owner };
}

/**
 * Ties each of `outputs` (the answer's sentences for `source`, in order) to the text of
 * `source` it came from. `clean` is applied to the original texts (the same whitespace
 * handling as the answer's sentences).
 */
export function alignOriginals(source: string, outputs: readonly string[], clean: (s: string) => string = flat): OriginalAlignment {
  const book = segmentSentences(source);
  const vocab = new Map<string, number>();
  const a = wordsOf(book, vocab);
  const b = wordsOf(outputs, vocab);
  const pairs = matchWords(a.ids, b.ids);

  // For each answer sentence, the first and last book sentence its matched words are in.
  const lo = new Array<number>(outputs.length).fill(-1);
  const hi = new Array<number>(outputs.length).fill(-1);
  for (const [i, j] of pairs) {
    const o = b.owner[j]!;
    const s = a.owner[i]!;
    if (lo[o] === -1) lo[o] = s;
    hi[o] = s;
  }

  // Groups: consecutive answer sentences and the consecutive book sentences they share.
  // The alignment keeps order, so a group's book sentences never overlap the next group's.
  interface Group {
    out: [number, number];
    book: [number, number];
  }
  const groups: Group[] = [];
  let orphans = 0; // answer sentences before the first group with no word of the book
  outputs.forEach((_, o) => {
    const g = groups.at(-1);
    if (lo[o] === -1) {
      if (g) g.out[1] = o;
      else orphans++;
    } else if (g && lo[o]! <= g.book[1]) {
      g.out[1] = o;
      g.book[1] = Math.max(g.book[1], hi[o]!);
    } else {
      groups.push({ out: [o, o], book: [lo[o]!, hi[o]!] });
    }
  });
  const originals = new Array<string | undefined>(outputs.length).fill(undefined);
  if (outputs.length === 0 || book.length === 0) return { originals, kept: pairs.length, total: a.ids.length };
  if (groups.length === 0) {
    // Not one word in common: the whole answer stands for the whole paragraph.
    groups.push({ out: [0, outputs.length - 1], book: [0, book.length - 1] });
    orphans = 0;
  }
  groups[0]!.out[0] -= orphans;
  // Book sentences no answer sentence drew on stay with the group before them (the first
  // group for those before it), so a reader sees what the rewrite left out.
  groups[0]!.book[0] = 0;
  groups.at(-1)!.book[1] = book.length - 1;
  for (let g = 0; g + 1 < groups.length; g++) groups[g]!.book[1] = groups[g + 1]!.book[0] - 1;

  for (const g of groups) {
    const said = book.slice(g.book[0], g.book[1] + 1).join(" ");
    const got = outputs.slice(g.out[0], g.out[1] + 1).join(" ");
    if (flat(said) === flat(got)) continue;
    const original = clean(said);
    for (let o = g.out[0]; o <= g.out[1]; o++) {
      if (flat(outputs[o]!) !== flat(original)) originals[o] = original;
    }
  }
  return { originals, kept: pairs.length, total: a.ids.length };
}

/** Index pairs [i in a, j in b] of a longest common subsequence, in order. */
export function matchWords(a: readonly number[], b: readonly number[]): Array<[number, number]> {
  // Texts are mostly the same: match the common start and end directly, align the middle.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < start; k++) pairs.push([k, k]);
  const n = a.length - start - end;
  const m = b.length - start - end;
  if (n > 0 && m > 0) {
    const mid = n * m <= MAX_CELLS ? lcs(a, b, start, n, m) : greedy(a, b, start, n, m);
    for (const [i, j] of mid) pairs.push([start + i, start + j]);
  }
  for (let k = end; k > 0; k--) pairs.push([a.length - k, b.length - k]);
  return pairs;
}

/** Dynamic programming over a[off, off+n) × b[off, off+m): one byte of direction per cell. */
function lcs(a: readonly number[], b: readonly number[], off: number, n: number, m: number): Array<[number, number]> {
  const dir = new Uint8Array(n * m); // 0: match, 1: skip a word of a, 2: skip a word of b
  let prev = new Uint32Array(m + 1);
  let cur = new Uint32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    const ai = a[off + i - 1];
    cur[0] = 0;
    for (let j = 1; j <= m; j++) {
      const cell = (i - 1) * m + (j - 1);
      if (ai === b[off + j - 1]) {
        cur[j] = prev[j - 1]! + 1;
        dir[cell] = 0;
      } else if (prev[j]! >= cur[j - 1]!) {
        cur[j] = prev[j]!;
        dir[cell] = 1;
      } else {
        cur[j] = cur[j - 1]!;
        dir[cell] = 2;
      }
    }
    [prev, cur] = [cur, prev];
  }
  const out: Array<[number, number]> = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const d = dir[(i - 1) * m + (j - 1)];
    if (d === 0) {
      out.push([i - 1, j - 1]);
      i--;
      j--;
    } else if (d === 1) i--;
    else j--;
  }
  return out.reverse();
}

/** For very long paragraphs: walk both, and on a difference resynchronize on the nearest two-word match. */
function greedy(a: readonly number[], b: readonly number[], off: number, n: number, m: number): Array<[number, number]> {
  const WINDOW = 60;
  const out: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  const at = (x: readonly number[], k: number, len: number) => (k < len ? x[off + k] : -1);
  while (i < n && j < m) {
    if (at(a, i, n) === at(b, j, m)) {
      out.push([i++, j++]);
      continue;
    }
    let best: [number, number] | null = null;
    for (let d = 1; d <= 2 * WINDOW && !best; d++) {
      for (let di = 0; di <= d; di++) {
        const dj = d - di;
        if (di > WINDOW || dj > WINDOW) continue;
        const x = i + di;
        const y = j + dj;
        if (x < n && y < m && at(a, x, n) === at(b, y, m) && at(a, x + 1, n) === at(b, y + 1, m)) {
          best = [x, y];
          break;
        }
      }
    }
    if (!best) {
      i++;
      j++;
      continue;
    }
    [i, j] = best;
  }
  return out;
}
