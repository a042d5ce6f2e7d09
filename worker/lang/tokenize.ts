/**
 * Tokenization as Universal Dependencies French does it: elisions are their own tokens
 * ("l'", "qu'", "jusqu'"), inverted clitics split off ("dit" "-il", "va" "-t-elle"), words
 * the lexicon knows whole stay whole ("aujourd'hui", "peut-être", "c'est-à-dire", "l'on").
 * Contractions (du, au, des…) stay one surface token here; the tagger decides and expands them.
 */
import { foldForm } from "./codec";
import { lookup } from "./lexicon";

export interface Surface {
  text: string;
  start: number;
  end: number;
}

const ELISION = /^(jusqu|lorsqu|puisqu|quoiqu|presqu|qu|[ldjmnstc])['\u2019\u02bc](?=[\p{L}\d])/iu;
const CLITIC = /-(t-(?:il|elle|on|ils|elles)|je|tu|il|elle|on|nous|vous|ils|elles|moi|toi|le|la|les|lui|leur|leurs|en|y|ce|là|ci)$/iu;
/** Opening punctuation split off the front of a chunk. */
const LEAD = /^(?:\.{2,}|--+|[«»"\u201c\u201d\u2018\u2019'()[\]{}¿¡\u2014\u2013\u2026*\u2022/<>]|-(?!\p{L}|\d))/u;
/** Closing punctuation split off the end of a chunk. */
const TRAIL = /(?:\.{2,}|--+|[«»"\u201c\u201d\u2018\u2019'()[\]{}.,;:!?\u2014\u2013\u2026*/<>]|(?<=\p{L})-)$/u;
const ABBREVIATION =
  /^(?:\p{Lu}(?:\.-?\p{Lu})*|\p{L}(?:\.\p{L})+|M|MM|Mme|Mmes|Mlle|Mlles|Dr|Pr|St|Ste|etc|cf|p|pp|av|ex|vol|Vol|No|no|art|Art|éd|coll|env|fig|hab|min|max|n°|chap|ch|vs|ibid|op|cit)\.$/u;

/** Elided forms UD French keeps as one token (the lexicon knows "d'abord" whole; UD splits it). */
const KEEP_WHOLE = /^(?:l['\u2019\u02bc]on|c['\u2019\u02bc]est-à-dire|presqu['\u2019\u02bc]îles?)$/i;

function known(word: string): boolean {
  return lookup(foldForm(word)).length > 0;
}

/** Splits one whitespace-free chunk starting at `start` into tokens (pushed onto `out`). */
function splitChunk(chunk: string, start: number, out: Surface[]): void {
  const tail: Surface[] = [];
  let s = 0;
  let e = chunk.length;
  for (;;) {
    if (s >= e) break;
    const rest = chunk.slice(s, e);
    const lead = LEAD.exec(rest);
    if (lead && !(lead[0] === "'" && rest.length > 1 && /^'\d/.test(rest))) {
      out.push({ text: lead[0], start: start + s, end: start + s + lead[0].length });
      s += lead[0].length;
      continue;
    }
    const trail = TRAIL.exec(rest);
    if (trail && trail.index > 0) {
      // "AUTRE(S)", "ami(e)": an optional ending stays with its word.
      if (trail[0] === ")" && /\p{L}\((?:s|e|es|x|nt)\)$/iu.test(rest)) break;
      // A final period of an abbreviation or an initial belongs to it ("M.", "J.-C.", "etc.").
      if (trail[0] === "." && ABBREVIATION.test(rest)) break;
      // An elided word keeps its apostrophe ("qu'", "jusqu'" before a space).
      if ((trail[0] === "'" || trail[0] === "’") && ELISION.test(`${rest}x`) && rest.length <= 7) break;
      tail.unshift({ text: trail[0], start: start + e - trail[0].length, end: start + e });
      e -= trail[0].length;
      continue;
    }
    break;
  }
  // The word itself: elisions off the front, clitics off the back.
  let word = chunk.slice(s, e);
  let at = start + s;
  while (word.length > 0) {
    const m = ELISION.exec(word);
    if (!m || KEEP_WHOLE.test(word)) break;
    const len = m[0].length;
    out.push({ text: word.slice(0, len), start: at, end: at + len });
    word = word.slice(len);
    at += len;
  }
  // A dash inside a word separates words ("Paris--Nantes").
  const dash = /^(.*?\p{L}|.*?\d)(--+)(.+)$/u.exec(word);
  if (dash) {
    for (const piece of [dash[1]!, dash[2]!, dash[3]!]) {
      splitChunk(piece, at, out);
      at += piece.length;
    }
    out.push(...tail);
    return;
  }
  // "mg/kg/h" (not "1/10", "23/12/2006", nor a URL); "14h30", "30%", "-6°C", "160km".
  if (!word.includes("://")) {
    const unit =
      /^(.*?[^\d/])\/(.+)$|^(.+?)\/([^\d/].*)$|^([-+]?\d+(?:[.,]\d+)?)(%|°C?|[hH]|km|cm|mm|m|kg|mg|g|ml|cl|l|\u20ac|\$)(\d*)$/u.exec(word);
    if (unit) {
      const pieces =
        unit[1] !== undefined
          ? [unit[1], "/", unit[2]!]
          : unit[3] !== undefined
            ? [unit[3], "/", unit[4]!]
            : [unit[5]!, unit[6]!, unit[7]!];
      for (const piece of pieces) {
        if (piece) splitChunk(piece, at, out);
        at += piece.length;
      }
      out.push(...tail);
      return;
    }
  }
  const clitics: Surface[] = [];
  while (word.length > 0) {
    const m = CLITIC.exec(word);
    if (!m || m.index === 0 || known(word)) break;
    clitics.unshift({ text: m[0], start: at + m.index, end: at + word.length });
    word = word.slice(0, m.index);
  }
  if (word.length > 0) out.push({ text: word, start: at, end: at + word.length });
  out.push(...clitics, ...tail);
}

export function tokenize(line: string): Surface[] {
  const out: Surface[] = [];
  // Digits grouped by spaces are one number ("50 000", "1 500,5").
  const re = /(?<![\d,.])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])(?:[,.]\d+)?|\S+/gu;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) splitChunk(m[0], m.index, out);
  return out;
}
