/** Encodings shared by the lexicon builder and its reader. */
import type { Upos } from "./upos";

export const UPOS_CODE: Record<Upos, string> = {
  ADJ: "A",
  ADP: "P",
  ADV: "R",
  AUX: "X",
  CCONJ: "C",
  DET: "D",
  INTJ: "I",
  NOUN: "N",
  NUM: "M",
  PART: "T",
  PRON: "O",
  PROPN: "Q",
  PUNCT: "U",
  SCONJ: "S",
  SYM: "Y",
  VERB: "V",
  X: "Z",
};
export const CODE_UPOS: Record<string, Upos> = Object.fromEntries(Object.entries(UPOS_CODE).map(([u, c]) => [c, u as Upos]));

const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

/** The lemma as an edit of the form: chars to strip from the end (one digit, base 36) + suffix. */
export function encodeEdit(form: string, lemma: string): string {
  let common = 0;
  while (common < form.length && common < lemma.length && form[common] === lemma[common]) common++;
  const strip = Math.min(form.length - common, 35);
  return DIGITS[strip] + lemma.slice(form.length - strip);
}

export function applyEdit(form: string, edit: string): string {
  const strip = DIGITS.indexOf(edit[0]!);
  return form.slice(0, form.length - strip) + edit.slice(1);
}

/** How the lexicon spells a form: lower case, ligatures œ æ as "oe" "ae", apostrophe ’ as '. */
export function foldForm(word: string): string {
  return word
    .toLowerCase()
    .replace(/\u0153/g, "oe")
    .replace(/æ/g, "ae")
    .replace(/[\u2019\u02bc]/g, "'");
}

/** UD French writes the ligature in lemmas ("œil", "cœur", "sœur"); Lefff writes "oe". */
export function ligatures(lemma: string): string {
  if (!lemma.includes("oe")) return lemma;
  return lemma
    .replace(/oeu/g, "œu")
    .replace(/oeil/g, "œil")
    .replace(/^oe(?=[cdnst])/, "œ")
    .replace(/^foet/, "fœt");
}

/**
 * Packed lexicon layout (lexicon.data.ts): `analysesText()` lists the distinct analysis strings
 * ("V3er|N0"), "\n"-separated; `lexiconText()` holds one record per form, sorted by form, each
 * "\n"-terminated: a char giving how many leading chars the form shares with the previous
 * form (PREFIX_BASE + n; 0 at the start of each block of BLOCK records), two chars giving
 * the index of its analyses in that list (base CODE_ALPHABET.length), then the rest of the form.
 */
export const BLOCK = 16;
export const PREFIX_BASE = 0x30;
export const CODE_ALPHABET = (() => {
  let a = "";
  for (let c = 0x30; c <= 0x7e; c++) a += String.fromCharCode(c);
  for (let c = 0xc0; c <= 0xff; c++) a += String.fromCharCode(c);
  return a;
})();
