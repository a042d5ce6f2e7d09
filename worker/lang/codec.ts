/** Encodings shared by the lexicon builder and its reader. */
import type { Upos } from "./index";

export const UPOS_CODE: Record<Upos, string> = {
  ADJ: "A", ADP: "P", ADV: "R", AUX: "X", CCONJ: "C", DET: "D", INTJ: "I", NOUN: "N", NUM: "M",
  PART: "T", PRON: "O", PROPN: "Q", PUNCT: "U", SCONJ: "S", SYM: "Y", VERB: "V", X: "Z",
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
  return word.toLowerCase().replace(/œ/g, "oe").replace(/æ/g, "ae").replace(/[’ʼ]/g, "'");
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

