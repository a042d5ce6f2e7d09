/**
 * A deterministic French sentence splitter.
 *
 * Not Intl.Segmenter: its ICU rules split after "M." and inside « Tu viens ? » demanda-t-il.,
 * and its output differs between runtimes' ICU versions. Sentences are exact trimmed
 * substrings of the input, so nothing is lost or rewritten.
 */

// Titles before a name: never end a sentence.
const TITLES = new Set([
  "M",
  "MM",
  "Mme",
  "Mmes",
  "Mlle",
  "Mlles",
  "Mgr",
  "Mgrs",
  "Dr",
  "Drs",
  "Pr",
  "Me",
  "Mes",
  "St",
  "Ste",
  "Sts",
  "Stes",
  "Sr",
  "Vve",
  "Cie",
  "Jr",
  "Prof",
  "Gal",
  "Cdt",
  "Lt",
  "Cap",
  // English titles, frequent in translated and 19th-century novels (Verne's "Mr. Garnett").
  "Mr",
  "Mrs",
  "Ms",
  "Messrs",
  "Rev",
]);

// Abbreviations that only ever stand for something shorter (compared lowercased).
const STRICT_ABBREVIATIONS = new Set([
  "cf",
  "chap",
  "ch",
  "vol",
  "pp",
  "éd",
  "édit",
  "ibid",
  "op",
  "loc",
  "vs",
  "av",
  "apr",
  "bd",
  "boul",
  "janv",
  "févr",
  "fév",
  "avr",
  "juil",
  "oct",
  "nov",
  "déc",
  "env",
  "coll",
  "sq",
  "sqq",
  "suiv",
  "réf",
  "tél",
  "cie",
  "ms",
  "mss",
  "ann",
  "anc",
  "hab",
  "dép",
  "arr",
]);

// Abbreviations that are also ordinary words ("sept", "art", "etc."): they end a sentence
// when a capital follows, and do not when a number or a lowercase word follows.
const AMBIGUOUS_ABBREVIATIONS = new Set([
  "etc",
  "sept",
  "art",
  "p",
  "n",
  "no",
  "nos",
  "t",
  "v",
  "ex",
  "fig",
  "min",
  "max",
  "id",
  "cit",
  "vers",
]);

// References followed by a number, Roman ones included: "t. II", "p. XII", "n. IV".
const REFERENCES = new Set(["t", "p", "n", "no", "nos", "art", "fig", "v"]);

// Units and money after a number ("8 h. du matin", "10 fr. 50", "3 m. de long"): they end
// a sentence only when a capital follows ("évalués à 3.000 fr. On ne déplore…").
const UNITS = new Set(["h", "mn", "s", "sec", "fr", "c", "cent", "km", "m", "cm", "mm", "kg", "g", "mg", "l", "cl", "ml", "ha"]);

// Verbs of saying that open an incise without a hyphenated pronoun: « Quoi ?! dit Paul.
const SAYING = new Set([
  "dit",
  "fit",
  "cria",
  "demanda",
  "répondit",
  "reprit",
  "murmura",
  "s'écria",
  "hurla",
  "lança",
  "ajouta",
  "soupira",
  "insista",
  "répéta",
  "gémit",
  "continua",
  "poursuivit",
  "interrompit",
  "s'exclama",
]);

const OPENERS = "«“‘(\\[—–-";
const CLOSERS_ALWAYS = "»”)]›";

/** Splits a paragraph into sentences. */
export function segmentSentences(text: string): string[] {
  const ends = sentenceEnds(text);
  const sentences: string[] = [];
  let start = 0;
  for (const end of ends) {
    const s = text.slice(start, end).trim();
    if (s !== "") sentences.push(s);
    start = end;
  }
  const rest = text.slice(start).trim();
  if (rest !== "") sentences.push(rest);
  return sentences;
}

/** Offsets just after each sentence's last character (its closing quote or bracket included). */
export function sentenceEnds(text: string): number[] {
  const ends: number[] = [];
  const quotes = positions(text, '"');
  const brackets: Brackets = { "(": positions(text, "("), "[": positions(text, "[") };
  let sentenceStart = 0;
  // An ellipsis spaced out as ". . ." is one terminator; so is a smiley between spaces.
  const terminator = /\.(?:[ \u00a0]\.){2,}|[.!?\u2026]+|(?<=\s)(?:[:;=][-']?[()DPp]|\^\^|[xX]D)(?=\s)/g;
  for (let m = terminator.exec(text); m !== null; m = terminator.exec(text)) {
    const punct = m[0];
    let end = m.index + punct.length;
    if (!/^[.!?\u2026]/.test(punct)) {
      // "je vais tester ce soir ;) Je vous tiens au courant.": a smiley before a capital ends one.
      if (/^\p{Lu}/u.test(nextToken(text, end))) {
        ends.push(end);
        sentenceStart = end;
      }
      continue;
    }
    // A terminator glued to a letter or digit on its right is inside a token: 3.5, J.-J., www.x.fr
    // (an ellipsis glued to a capital still ends a sentence: "Il attendit...Rien").
    if (end < text.length && !isSpace(text[end]!) && !CLOSERS_ALWAYS.includes(text[end]!) && text[end] !== '"') {
      if (!(isEllipsis(punct) && /^\p{Lu}\p{Ll}/u.test(text.slice(end, end + 2)))) continue;
      if (!isBoundary(text, m.index, punct, nextToken(text, end))) continue;
      ends.push(end);
      sentenceStart = end;
      continue;
    }
    const closed = extendOverClosers(text, sentenceStart, end, punct, quotes, brackets);
    if (closed === -1) continue;
    end = closed;
    if (end >= text.length) break;
    if (!isSpace(text[end]!)) continue;
    const next = nextToken(text, end);
    if (next === "") break;
    // "… ?", "...  !", "? !": the terminator that follows ends the sentence, once.
    if (/^(?:[!?\u2026]|\.\.)/.test(next) && (punct !== "." || /^[!?]/.test(next))) continue;
    // A quoted sentence followed by a lowercase word goes on: « C'est fini. » et elle se tut.
    if (
      end > m.index + punct.length &&
      /^\p{Ll}/u.test(firstLetterOrDigit(next)) &&
      /[»\u201d\u203a"]\s*$/u.test(text.slice(m.index, end))
    ) {
      continue;
    }
    if (!isBoundary(text, m.index, punct, next)) continue;
    ends.push(end);
    sentenceStart = end;
  }
  return ends;
}

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

/** Three dots or more, or "…" (alone or with other marks). */
function isEllipsis(punct: string): boolean {
  return punct.includes("…") || punct.includes("..") || punct.includes(". .");
}

/** Offsets of `ch` in `text`, in order (empty for most paragraphs). */
function positions(text: string, ch: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) at.push(i);
  return at;
}

/** Where the paragraph's opening brackets are: looked up by binary search, never by rescanning the sentence. */
type Brackets = Record<"(" | "[", number[]>;

/** The first character at or after `from` that is not a space (undefined at the end). */
function firstNonSpace(text: string, from: number, to = text.length): string | undefined {
  NON_SPACE.lastIndex = from;
  const m = NON_SPACE.exec(text);
  return m && m.index < to ? m[0] : undefined;
}
const NON_SPACE = /\S/gu;

/** How many of `quotes` (sorted) lie in [from, to). */
function countBetween(quotes: readonly number[], from: number, to: number): number {
  return countBelow(quotes, to) - countBelow(quotes, from);
}

/** How many of `sorted` are below `x` (binary search). */
function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Moves past closing quotes and brackets that belong to the sentence just ended:
 * « Entre, papa. » belongs to the quote; an inner "(sic !)" does not end anything (-1),
 * but an inner "(…, etc.)" before a capital does: the writer let one full stop serve both.
 */
function extendOverClosers(
  text: string,
  sentenceStart: number,
  end: number,
  punct: string,
  quotes: readonly number[],
  brackets: Brackets,
): number {
  let i = end;
  for (;;) {
    let j = i;
    while (j < text.length && isSpace(text[j]!) && j - i < 2) j++;
    const ch = text[j];
    if (ch === undefined) return i;
    if (ch === ")" || ch === "]") {
      // A bracket opened inside the sentence closes an aside, not the sentence.
      const open = ch === ")" ? "(" : "[";
      // Each a constant-time or logarithmic look: a paragraph of "x.)" repeated would rescan the
      // sentence so far at every bracket (quadratic).
      if (firstNonSpace(text, sentenceStart, j) !== open && !closesSentenceToo(text, sentenceStart, brackets[open], j, punct)) return -1;
      i = j + 1;
      continue;
    }
    if (ch === "»" || ch === "”" || ch === "›") {
      i = j + 1;
      continue;
    }
    if (ch === '"') {
      // A straight quote closes when the sentence holds an odd number of them, or when a
      // quotation opened in an earlier sentence is still open and the quote is not glued
      // to the word after it (an opening quote usually is: "Verdun, ville de lumière !").
      const inSentence = countBetween(quotes, sentenceStart, j);
      const inParagraph = countBelow(quotes, j);
      const gluedAfter = /^[\p{L}\p{N}]/u.test(text.slice(j + 1, j + 2));
      if (inSentence % 2 === 1 || (inParagraph % 2 === 1 && !gluedAfter)) {
        i = j + 1;
        continue;
      }
    }
    return i;
  }
}

/**
 * "Il acheta des fruits (des pommes, des poires, etc.) Il partit.": a full stop or an
 * ellipsis just inside a bracket opened mid-sentence, with a capital after the bracket,
 * ends the sentence too. Not for "(sic !) Que", nor for an elision mark "(...)" / "[…]".
 */
function closesSentenceToo(text: string, sentenceStart: number, opens: readonly number[], j: number, punct: string): boolean {
  if (!/^(?:\.+|\u2026+)$/.test(punct) || text.slice(j - punct.length, j) !== punct) return false;
  const below = countBelow(opens, j);
  const lastOpen = below > 0 ? opens[below - 1]! : -1;
  if (lastOpen < sentenceStart || firstNonSpace(text, lastOpen + 1, j - punct.length) === undefined) return false;
  return /^\s+\p{Lu}/u.test(text.slice(j + 1, j + 4));
}

/** The next whitespace-delimited token after `from`. */
function nextToken(text: string, from: number): string {
  const m = /^\s*(\S+)/u.exec(text.slice(from, from + 80));
  return m ? m[1]! : "";
}

function isBoundary(text: string, at: number, punct: string, next: string): boolean {
  const first = next[0]!;
  // Punctuation that continues the sentence after a closing quote: « Jeannette ! », cria-t-il
  if (/^[,;:)\]]/.test(first)) return false;
  const lead = firstLetterOrDigit(next);
  const startsLower = /^\p{Ll}/u.test(lead);
  // A lowercase aside in brackets belongs to what precedes it: « ... » (cité par X).
  if ((first === "(" || first === "[") && startsLower) return false;

  if (punct !== ".") {
    // "Ah ! que c'est beau !", « Tu viens ? » demanda-t-il., "Pierre... ont réveillé",
    // "j'sais pas... bon on verra": after ! ? … a lowercase word continues the sentence;
    // anything else starts one. Doubled marks ("merci !! trop gentil", "?!") belong to
    // informal writing, which does not always capitalise: there only an incise continues.
    if (!startsLower) return true;
    return /[!?][!?]/.test(punct) && !isIncise(next);
  }

  const word = wordBefore(text, at);
  const nextIsUpper = /^\p{Lu}/u.test(lead);
  const opensSomething = OPENERS.includes(first) || first === '"';
  if (word === "") return true;
  if (TITLES.has(word)) return false;
  // Initials: V. Hugo, J. -J. Rousseau
  if (/^-?\p{Lu}$/u.test(word)) return false;
  // Dotted abbreviations and acronyms: c.-à-d., S.N.C.F., J.-C. (not a domain: www.insee.fr.)
  if (/^[\p{L}-]+\.[\p{L}.-]*\p{L}$/u.test(word) && !isDomain(word)) return nextIsUpper && /^J\.-C$/.test(word);
  // "l'art." is looked up as "art".
  const bare = word.slice(Math.max(word.lastIndexOf("'"), word.lastIndexOf("’")) + 1);
  const lower = bare.toLowerCase();
  if (STRICT_ABBREVIATIONS.has(lower) && bare === lower) return false;
  if (REFERENCES.has(lower) && bare === lower && /^[IVXLC]+[,;:.)]?$/.test(next)) return false;
  if (AMBIGUOUS_ABBREVIATIONS.has(lower) && bare === lower) return nextIsUpper || (opensSomething && !startsLower);
  if (UNITS.has(bare) && /\d$/.test(wordBefore(text, at - word.length - 1))) {
    return nextIsUpper || (opensSomething && !startsLower);
  }
  // A full stop after an ordinary word ends the sentence even before a lowercase word:
  // typists often write "à" for "À" at the start of a sentence.
  return true;
}

/** "www.insee.fr", "service-public.fr", "exemple.org": a segment of four letters or more, or a known ending. */
function isDomain(word: string): boolean {
  if (/^www\./i.test(word) || /^\p{L}{2,}\.(?:fr|com|org|net|eu|be|ch|ca|io|info)$/u.test(word)) return true;
  return word.split(".").some((part) => part.replace(/-/g, "").length >= 4);
}

/** "dit-il", "demanda-t-elle,", "s'écria-t-il", "dit", "répondit": the token opens an incise. */
function isIncise(token: string): boolean {
  const word = token.replace(/\u2019/g, "'").replace(/[^\p{L}'-]+$/u, "");
  return /-(?:t-)?(?:il|elle|ils|elles|on|je|tu|nous|vous)$/u.test(word) || SAYING.has(word);
}

function firstLetterOrDigit(token: string): string {
  const m = /[\p{L}\p{N}]/u.exec(token);
  return m ? m[0] : "";
}

/** The word just before position `at`, without leading quotes or brackets. */
function wordBefore(text: string, at: number): string {
  let i = at;
  while (i > 0 && !isSpace(text[i - 1]!)) i--;
  return text.slice(i, at).replace(/^[«\u201c\u2018"([]+/u, "");
}
