/**
 * Splitting an over-long sentence at clause boundaries, and merging short fragments.
 * Pieces are exact slices of the sentence: no word is lost, added or reordered.
 */

const CONJUNCTIONS = new Set(["et", "mais", "ou", "car", "donc", "or", "ni"]);

interface Token {
  text: string;
  start: number;
  end: number;
  isWord: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/[^ \t\r\n]+/g)) {
    const start = m.index;
    tokens.push({ text: m[0], start, end: start + m[0].length, isWord: /[\p{L}\p{N}]/u.test(m[0]) });
  }
  return tokens;
}

/** Words as a reader counts them: a dash or a lone « is not a word. */
export function wordCount(text: string): number {
  return tokenize(text).filter((t) => t.isWord).length;
}

export function isDialogue(sentence: string): boolean {
  return /^(—|--|–|«)/u.test(sentence.trimStart());
}

/**
 * How good a cut before token `i` is: 1 after ; or :, 2 after a comma or a dash,
 * 3 before a coordinating conjunction; 0 when it is no clause boundary.
 */
function cutLevel(tokens: readonly Token[], i: number): number {
  const before = tokens[i - 1]!.text;
  const at = tokens[i]!;
  if (/[;:]$/.test(before)) return 1;
  if (/,$/.test(before) || /^[–—]$/u.test(before)) return 2;
  if (CONJUNCTIONS.has(at.text.toLowerCase())) return 3;
  return 0;
}

/**
 * Splits `sentence` into pieces of at most `limit` words where clause boundaries allow:
 * each piece takes the strongest boundary within the limit, the latest one on ties.
 */
export function splitLongSentence(sentence: string, limit: number): string[] {
  const tokens = tokenize(sentence);
  if (limit <= 0 || tokens.filter((t) => t.isWord).length <= limit) return [sentence];

  // wordsBefore[i] = words among tokens[0..i)
  const wordsBefore = [0];
  for (const t of tokens) wordsBefore.push(wordsBefore[wordsBefore.length - 1]! + (t.isWord ? 1 : 0));
  const total = wordsBefore[tokens.length]!;
  const minPiece = 2;

  const pieces: string[] = [];
  let start = 0;
  while (total - wordsBefore[start]! > limit) {
    let best = -1;
    let bestLevel = 0;
    let fallback = -1;
    for (let i = start + 1; i < tokens.length; i++) {
      const level = cutLevel(tokens, i);
      if (level === 0) continue;
      const left = wordsBefore[i]! - wordsBefore[start]!;
      const right = total - wordsBefore[i]!;
      if (left < minPiece || right < minPiece) continue;
      if (left <= limit) {
        if (best === -1 || level < bestLevel || (level === bestLevel && i > best)) {
          best = i;
          bestLevel = level;
        }
      } else if (fallback === -1) {
        // No boundary within the limit: take the first one after it.
        fallback = i;
      }
    }
    const cut = best !== -1 ? best : fallback;
    if (cut === -1) break;
    pieces.push(sentence.slice(tokens[start]!.start, tokens[cut - 1]!.end));
    start = cut;
  }
  pieces.push(sentence.slice(tokens[start]!.start, tokens[tokens.length - 1]!.end));
  return pieces;
}

/** Merges pieces shorter than `min` words into a neighbour (the previous one when there is one). */
export function mergeShort(pieces: readonly string[], min: number): string[] {
  if (min <= 0) return [...pieces];
  const out: string[] = [];
  let carry = "";
  for (const piece of pieces) {
    const text = carry === "" ? piece : `${carry} ${piece}`;
    carry = "";
    if (wordCount(text) >= min) out.push(text);
    else if (out.length > 0) out[out.length - 1] = `${out[out.length - 1]} ${text}`;
    else carry = text;
  }
  if (carry !== "") {
    if (out.length > 0) out[out.length - 1] = `${out[out.length - 1]} ${carry}`;
    else out.push(carry);
  }
  return out;
}
