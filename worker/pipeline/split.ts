/**
 * Splitting an over-long sentence at clause boundaries, and merging short fragments.
 * Pieces are exact slices of the sentence: no word is lost, added or reordered.
 */
import { analyze, type Upos } from "../lang";

const CONJUNCTIONS = new Set(["et", "mais", "ou", "car", "donc", "or", "ni"]);
/** Relative pronouns (when the tagger reads them as PRON) open a clause. */
const RELATIVES = new Set(["qui", "que", "qu'", "dont", "où", "lequel", "laquelle", "lesquels", "lesquelles", "auquel", "duquel"]);
/**
 * The level of a weak boundary: before a subordinating conjunction (SCONJ: que, lorsque, quand,
 * puisque, si…) or a relative pronoun, as the tagger reads the sentence. The plain cut never
 * takes one; the verb-keeping cut does when it leaves fewer pieces without a verb or fewer words
 * over the limit (such a clause has its own verb), and then as few as it can.
 */
const WEAK = 4;
/**
 * Weaker still: before an infinitive that completes the previous word (*commençaient à se
 * montrer*, *le tort de s'attarder*, *capables de s'orienter*), taken when it saves a piece its verb.
 */
const WEAKER = 5;
/** The words an infinitive after them completes (see WEAKER). */
const COMPLEMENT = new Set<Upos | undefined>(["VERB", "AUX", "NOUN", "PRON", "ADJ", "PROPN"]);

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
  return /^(\u2014|--|\u2013|«)/u.test(sentence.trimStart());
}

/**
 * How good a cut before token `i` is: 1 after ; or :, 2 after a comma or a dash,
 * 3 before a coordinating conjunction; 0 when it is no clause boundary.
 */
function cutLevel(tokens: readonly Token[], i: number): number {
  const before = tokens[i - 1]!.text;
  const at = tokens[i]!;
  if (/[;:]$/.test(before)) return 1;
  if (/,$/.test(before) || /^[\u2013\u2014]$/u.test(before)) return 2;
  if (CONJUNCTIONS.has(at.text.toLowerCase())) return 3;
  return 0;
}

export interface SplitOptions {
  /**
   * Read the sentence with the tagger (once) and prefer cuts that leave a verb in every piece,
   * or fewer words over the limit (see splitLongSentence). Default true; false is the plain
   * clause cut.
   */
  keepVerbs?: boolean;
}

const MIN_PIECE = 2;
/** The most boundaries within the limit the verb-keeping cut weighs from one cut (see verbKeepingCuts). */
const MAX_REACH = 64;

/**
 * Splits `sentence` into pieces of at most `limit` words where clause boundaries allow:
 * each piece takes the strongest boundary within the limit, the latest one on ties. With
 * `keepVerbs` (the default) the sentence is tagged, and other boundaries (weak ones included, see
 * WEAK) replace that plain cut when they leave fewer words over the limit, or as many and a verb
 * in every piece where the plain cut left a piece without one.
 */
export function splitLongSentence(sentence: string, limit: number, options: SplitOptions = {}): string[] {
  const tokens = tokenize(sentence);
  if (limit <= 0 || tokens.filter((t) => t.isWord).length <= limit) return [sentence];

  // wordsBefore[i] = words among tokens[0..i)
  const wordsBefore = [0];
  for (const t of tokens) wordsBefore.push(wordsBefore[wordsBefore.length - 1]! + (t.isWord ? 1 : 0));
  const levels = tokens.map((_, i) => (i === 0 ? 0 : cutLevel(tokens, i)));
  const plain = clauseCuts(wordsBefore, levels, limit);
  if (options.keepVerbs !== false && plain.length > 0) {
    const tags = tagTokens(sentence, tokens);
    const better = verbKeepingCuts(wordsBefore, tags, taggedLevels(levels, tags), limit, plain);
    if (better) return slices(sentence, tokens, better);
  }
  return slices(sentence, tokens, plain);
}

function slices(sentence: string, tokens: readonly Token[], cuts: readonly number[]): string[] {
  const bounds = [0, ...cuts, tokens.length];
  const pieces: string[] = [];
  for (let k = 1; k < bounds.length; k++) pieces.push(sentence.slice(tokens[bounds[k - 1]!]!.start, tokens[bounds[k]! - 1]!.end));
  return pieces;
}

/** The plain clause cut: the token indices to cut before, in order. */
function clauseCuts(wordsBefore: readonly number[], levels: readonly number[], limit: number): number[] {
  const n = levels.length;
  const total = wordsBefore[n]!;
  const cuts: number[] = [];
  let start = 0;
  while (total - wordsBefore[start]! > limit) {
    let best = -1;
    let bestLevel = 0;
    let fallback = -1;
    for (let i = start + 1; i < n; i++) {
      const level = levels[i]!;
      if (level === 0) continue;
      const left = wordsBefore[i]! - wordsBefore[start]!;
      const right = total - wordsBefore[i]!;
      if (left < MIN_PIECE || right < MIN_PIECE) continue;
      if (left <= limit) {
        if (best === -1 || level < bestLevel || (level === bestLevel && i > best)) {
          best = i;
          bestLevel = level;
        }
      } else {
        // No boundary within the limit: take the first one after it. Nothing further can be
        // chosen, so the scan stops (linear in the sentence, whatever the limit).
        fallback = i;
        break;
      }
    }
    const cut = best !== -1 ? best : fallback;
    if (cut === -1) break;
    cuts.push(cut);
    start = cut;
  }
  return cuts;
}

interface TokenTags {
  /** verbsBefore[i] = split tokens among tokens[0..i) holding a verb (VERB or AUX). */
  verbsBefore: number[];
  /** What the tagger reads in each split token, in order (*d'aller* is ADP then VERB). */
  read: Array<Array<{ pos: Upos; text: string }>>;
}

/** The tagger's reading of the sentence, mapped onto the split tokens (the sentence is tagged once). */
function tagTokens(sentence: string, tokens: readonly Token[]): TokenTags {
  const verb = new Array<boolean>(tokens.length).fill(false);
  const read = tokens.map((): Array<{ pos: Upos; text: string }> => []);
  let j = 0;
  for (const t of analyze(sentence)) {
    while (j < tokens.length && tokens[j]!.end <= t.start) j++;
    if (j >= tokens.length || tokens[j]!.start > t.start) continue;
    read[j]!.push({ pos: t.pos, text: t.text.toLowerCase().replace(/\u2019/gu, "'") });
    if (t.pos === "VERB" || t.pos === "AUX") verb[j] = true;
  }
  const verbsBefore = [0];
  for (let i = 0; i < tokens.length; i++) verbsBefore.push(verbsBefore[i]! + (verb[i] ? 1 : 0));
  return { verbsBefore, read };
}

/**
 * A verb between token i and the next , ; : or dash: the conjunction at i joins clauses (*et il
 * partit*), not words (*les pièges et collets*, *grand et fort, regardait…*).
 */
function verbBeforePunctuation(tags: TokenTags, i: number, punctuationAfter: readonly number[]): boolean {
  return tags.verbsBefore[punctuationAfter[i]!]! > tags.verbsBefore[i]!;
}

/** For each token, the index of the next , ; : or dash boundary after it (the sentence's end when none): one pass from the end. */
function nextPunctuation(levels: readonly number[]): number[] {
  const next = new Array<number>(levels.length);
  let at = levels.length;
  for (let i = levels.length - 1; i >= 0; i--) {
    next[i] = at;
    if (levels[i]! === 1 || levels[i]! === 2) at = i;
  }
  return next;
}

/** The prepositions that open an infinitive (*afin de*, *avant de* at their first word). */
const PREPOSITIONS = new Set("à de d' pour sans en après par afin avant".split(" "));

/** Pronouns and negation that may stand between a preposition and its infinitive (*sans se plaindre*, *pour ne pas voir*). */
const BEFORE_INFINITIVE = new Set("se s' me m' te t' nous vous le la l' les lui leur y en ne n' pas plus jamais rien".split(" "));

/**
 * The boundaries with the tagger's reading: a conjunction the tagger does not read as one (*donc*
 * as an adverb, *or* as a noun) is none; a subordinator or a relative is a weak one (WEAK), and
 * so is a preposition that opens an infinitive or a gerund (*pour atteindre…*, *en gambadant*,
 * *afin d'en longer…*: a clause without a subject, with its own verb), unless the previous word
 * begins a compound (*bien que*, *alors que*, *et dont*, *afin de*) or is a verb the infinitive
 * completes (*commençaient à se montrer*, *venait d'être tiré*).
 */
function taggedLevels(levels: readonly number[], tags: TokenTags): number[] {
  const punctuationAfter = nextPunctuation(levels);
  return levels.map((level, i) => {
    if (i === 0) return level;
    const here = tags.read[i]!;
    const pos = here[0]?.pos;
    if (level === 3) return pos === "CCONJ" && verbBeforePunctuation(tags, i, punctuationAfter) ? level : 0;
    if (level !== 0 || pos === undefined) return level;
    const before = tags.read[i - 1]!.at(-1)?.pos;
    if (before === undefined || before === "ADV" || before === "ADP" || before === "SCONJ" || before === "CCONJ") return 0;
    if (pos === "SCONJ") return WEAK;
    // A relative after its antecedent pronoun stays with it (*ce qui*, *celui que*).
    if (pos === "PRON" && RELATIVES.has(here[0]!.text)) return before === "PRON" ? 0 : WEAK;
    if (pos === "ADP" && opensInfinitive(tags, i)) return COMPLEMENT.has(before) ? WEAKER : WEAK;
    return 0;
  });
}

/**
 * Token i begins with a preposition whose next word, past clitics and negation, is a verb in the
 * infinitive (*pour partir*, *d'aller*, *sans se plaindre*) or, after *en*, a gerund (*en courant*).
 */
function opensInfinitive(tags: TokenTags, i: number): boolean {
  const next: Array<{ pos: Upos; text: string }> = [];
  for (let k = i; k < tags.read.length && next.length < 6; k++) next.push(...tags.read[k]!);
  let k = 1;
  while (k < next.length && BEFORE_INFINITIVE.has(next[k]!.text)) k++;
  const verb = next[k];
  if (!PREPOSITIONS.has(next[0]!.text) || !verb || (verb.pos !== "VERB" && verb.pos !== "AUX")) return false;
  return next[0]!.text === "en" ? /ant$/u.test(verb.text) : /(?:er|ir|re)$/u.test(verb.text);
}

/** What a cut costs, compared in order: words over the limit, pieces without a verb, weak boundaries taken (WEAKER counts 2). */
type Cost = [over: number, verbless: number, weak: number];

const ZERO: Cost = [0, 0, 0];
const add = (a: Cost, b: Cost): Cost => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
/** Compares the first `tiers` parts of two costs. */
function compare(a: Cost, b: Cost, tiers = 3): number {
  for (let k = 0; k < tiers; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return 0;
}

/**
 * The cuts at clause boundaries with the least cost (a dynamic programme over the boundaries;
 * among equals, as the plain cut chooses: the strongest boundary within the limit, the latest
 * one, else the first after it). Null when they are no better than `plain` in words over the
 * limit, then pieces without a verb: the plain cut stays where the tagger's boundaries would not help.
 */
function verbKeepingCuts(
  wordsBefore: readonly number[],
  tags: TokenTags,
  levels: readonly number[],
  limit: number,
  plain: readonly number[],
): number[] | null {
  const { verbsBefore } = tags;
  const n = levels.length;
  // Cut positions: 0 is the sentence's start, n its end.
  const points = [0];
  for (let i = 1; i < n; i++) if (levels[i]! > 0) points.push(i);
  points.push(n);
  const piece = (a: number, b: number): Cost | null => {
    const words = wordsBefore[b]! - wordsBefore[a]!;
    if (words < MIN_PIECE && !(a === 0 && b === n)) return null;
    const none = verbsBefore[b]! - verbsBefore[a]! === 0;
    return [Math.max(0, words - limit), none ? 1 : 0, levels[a]! >= WEAK ? levels[a]! - WEAK + 1 : 0];
  };
  const through = (a: number, b: number, rest: Cost | null): Cost | null => {
    const c = piece(a, b);
    return c && rest ? add(c, rest) : null;
  };
  // The next cuts worth trying after point x: those within the limit (at most MAX_REACH of them),
  // then two past it (a piece over the limit with a boundary inside is never the cheaper: cutting
  // there leaves fewer words over; the second one in case the first would leave a piece under
  // MIN_PIECE). So the programme is linear in the sentence: one of thousands of commas at
  // limit 1 costs what a novel's sentences do.
  const reach = (x: number): number => {
    let y = x + 1;
    while (y < points.length - 1 && y - x < MAX_REACH && wordsBefore[points[y]!]! - wordsBefore[points[x]!]! <= limit) y++;
    return Math.min(points.length - 1, y + 1);
  };
  const best = new Array<Cost | null>(points.length).fill(null);
  best[points.length - 1] = ZERO;
  for (let x = points.length - 2; x >= 0; x--) {
    for (let y = x + 1, last = reach(x); y <= last; y++) {
      const c = through(points[x]!, points[y]!, best[y]!);
      if (c && (best[x] === null || compare(c, best[x]!) < 0)) best[x] = c;
    }
  }
  const plainBounds = [0, ...plain, n];
  let plainCost: Cost = ZERO;
  for (let k = 1; k < plainBounds.length; k++) plainCost = add(plainCost, piece(plainBounds[k - 1]!, plainBounds[k]!) ?? [Infinity, 0, 0]);
  const optimum = best[0];
  if (!optimum || compare(optimum, plainCost, 2) >= 0) return null;

  // Walk the optimal cuts, choosing among equals as the plain cut does.
  const same = (c: Cost | null, d: Cost | null) => c !== null && d !== null && compare(c, d) === 0;
  const cuts: number[] = [];
  let x = 0;
  while (points[x] !== n) {
    const a = points[x]!;
    const end = points.length - 1;
    if (wordsBefore[n]! - wordsBefore[a]! <= limit && same(piece(a, n), best[x]!)) break;
    let pick = -1;
    let pickLevel = 0;
    let fallback = -1;
    for (let y = x + 1, last = Math.min(end - 1, reach(x)); y <= last; y++) {
      const b = points[y]!;
      if (!same(through(a, b, best[y]!), best[x]!)) continue;
      if (wordsBefore[b]! - wordsBefore[a]! <= limit) {
        if (pick === -1 || levels[b]! < pickLevel || (levels[b]! === pickLevel && y > pick)) {
          pick = y;
          pickLevel = levels[b]!;
        }
      } else if (fallback === -1) fallback = y;
    }
    const y = pick !== -1 ? pick : fallback;
    if (y === -1) break; // the rest whole is optimal
    cuts.push(points[y]!);
    x = y;
  }
  return cuts;
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
