/**
 * A deterministic French sentence splitter.
 *
 * Not Intl.Segmenter: its ICU rules split after "M." and inside « Tu viens ? » demanda-t-il.,
 * and its output differs between runtimes' ICU versions. Sentences are exact trimmed
 * substrings of the input, so nothing is lost or rewritten.
 */

// Titles before a name: never end a sentence.
const TITLES = new Set([
  "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Mgr", "Mgrs", "Dr", "Drs", "Pr", "Me", "Mes",
  "St", "Ste", "Sts", "Stes", "Sr", "Vve", "Cie", "Jr", "Prof", "Gal", "Cdt", "Lt", "Cap",
  // English titles, frequent in translated and 19th-century novels (Verne's "Mr. Garnett").
  "Mr", "Mrs", "Ms", "Messrs", "Rev",
]);

// Abbreviations that only ever stand for something shorter (compared lowercased).
const STRICT_ABBREVIATIONS = new Set([
  "cf", "chap", "ch", "vol", "pp", "éd", "édit", "ibid", "op", "loc", "vs", "av", "apr",
  "bd", "boul", "janv", "févr", "fév", "avr", "juil", "oct", "nov", "déc", "env", "coll",
  "sq", "sqq", "suiv", "réf", "tél", "cie", "ms", "mss", "ann", "anc", "hab", "dép", "arr",
]);

// Abbreviations that are also ordinary words ("sept", "art", "etc."): they end a sentence
// when a capital follows, and do not when a number or a lowercase word follows.
const AMBIGUOUS_ABBREVIATIONS = new Set([
  "etc", "sept", "art", "p", "n", "no", "nos", "t", "v", "ex", "fig", "min", "max", "id", "cit", "vers",
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
  let sentenceStart = 0;
  const terminator = /[.!?…]+/g;
  for (let m = terminator.exec(text); m !== null; m = terminator.exec(text)) {
    const punct = m[0];
    let end = m.index + punct.length;
    // A terminator glued to a letter or digit on its right is inside a token: 3.5, J.-J., www.x.fr
    if (end < text.length && !isSpace(text[end]!) && !CLOSERS_ALWAYS.includes(text[end]!) && text[end] !== '"') {
      continue;
    }
    end = extendOverClosers(text, sentenceStart, end);
    if (end === -1) continue;
    if (end >= text.length) break;
    if (!isSpace(text[end]!)) continue;
    const next = nextToken(text, end);
    if (next === "") break;
    if (!isBoundary(text, m.index, punct, next)) continue;
    ends.push(end);
    sentenceStart = end;
  }
  return ends;
}

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

/**
 * Moves past closing quotes and brackets that belong to the sentence just ended:
 * « Entre, papa. » belongs to the quote; an inner "(sic !)" does not end anything (-1).
 */
function extendOverClosers(text: string, sentenceStart: number, end: number): number {
  let i = end;
  for (;;) {
    let j = i;
    while (j < text.length && isSpace(text[j]!) && j - i < 2) j++;
    const ch = text[j];
    if (ch === undefined) return i;
    if (ch === ")" || ch === "]") {
      // A bracket opened inside the sentence closes an aside, not the sentence.
      const opened = text.slice(sentenceStart, j);
      const first = opened.trimStart()[0];
      if (first !== (ch === ")" ? "(" : "[")) return -1;
      i = j + 1;
      continue;
    }
    if (ch === "»" || ch === "”" || ch === "›") {
      i = j + 1;
      continue;
    }
    if (ch === '"') {
      // A straight quote closes only when the sentence holds an odd number of them.
      const count = (text.slice(sentenceStart, j).match(/"/g) ?? []).length;
      if (count % 2 === 1) {
        i = j + 1;
        continue;
      }
    }
    return i;
  }
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
    // "Ah ! que c'est beau !", « Tu viens ? » demanda-t-il., "Pierre... ont réveillé":
    // after ! ? … a lowercase word continues the sentence; anything else starts one.
    return !startsLower;
  }

  const word = wordBefore(text, at);
  const nextIsUpper = /^\p{Lu}/u.test(lead);
  const opensSomething = OPENERS.includes(first) || first === '"';
  if (word === "") return true;
  if (TITLES.has(word)) return false;
  // Initials: V. Hugo, J. -J. Rousseau
  if (/^-?\p{Lu}$/u.test(word)) return false;
  // Dotted abbreviations and acronyms: c.-à-d., S.N.C.F., J.-C.
  if (/^[\p{L}-]+\.[\p{L}.-]*\p{L}$/u.test(word)) return nextIsUpper && /^J\.-C$/.test(word);
  // "l'art." is looked up as "art".
  const bare = word.slice(Math.max(word.lastIndexOf("'"), word.lastIndexOf("’")) + 1);
  const lower = bare.toLowerCase();
  if (STRICT_ABBREVIATIONS.has(lower) && bare === lower) return false;
  if (AMBIGUOUS_ABBREVIATIONS.has(lower) && bare === lower) return nextIsUpper || (opensSomething && !startsLower);
  // A full stop after an ordinary word ends the sentence even before a lowercase word:
  // typists often write "à" for "À" at the start of a sentence.
  return true;
}

function firstLetterOrDigit(token: string): string {
  const m = /[\p{L}\p{N}]/u.exec(token);
  return m ? m[0] : "";
}

/** The word just before position `at`, without leading quotes or brackets. */
function wordBefore(text: string, at: number): string {
  let i = at;
  while (i > 0 && !isSpace(text[i - 1]!)) i--;
  return text.slice(i, at).replace(/^[«“‘"(\[]+/u, "");
}
