/**
 * A reader's word list file, read (pure: the API and the CLI share it). One word a line, or
 * the first column of a CSV/TSV; `#` starts a comment; `bon|bonne` names variants of one entry;
 * a header line (word, mot, lemma…) is skipped. Every entry is kept as written beside the lemma
 * it stands for, the unknown ones too.
 */
import { lemmaOf } from "../lang";
import { MAX_WORDLIST_ENTRIES } from "../../schema/learning";

export interface Entry {
  word: string;
  lemma: string;
  known: boolean;
}

export class WordlistError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: "empty_list" | "too_many_entries" | "unsupported_file_type",
    message: string,
  ) {
    super(message);
  }
}

// Files that are certainly not a word list: PDF, zip (xlsx, docx), images, gzip.
const BINARY_MAGIC: number[][] = [
  [0x25, 0x50, 0x44, 0x46],
  [0x50, 0x4b, 0x03, 0x04],
  [0x89, 0x50, 0x4e, 0x47],
  [0xff, 0xd8, 0xff],
  [0x47, 0x49, 0x46, 0x38],
  [0x1f, 0x8b],
  [0xd0, 0xcf, 0x11, 0xe0],
];

/** The file's text: UTF-8 (a BOM dropped), else Latin-1 as spreadsheet apps still write; binary refused. */
export function decodeText(bytes: Uint8Array): string {
  const notText = () =>
    new WordlistError(415, "unsupported_file_type", "A word list is a text or CSV file: one word a line, or the first column.");
  if (BINARY_MAGIC.some((m) => m.every((b, i) => bytes[i] === b))) throw notText();
  const probe = bytes.subarray(0, 65_536);
  if (probe.includes(0)) throw notText();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    text = new TextDecoder("windows-1252").decode(bytes);
  }
  // Control characters other than line breaks and tabs: not a text file.
  let controls = 0;
  for (let i = 0; i < Math.min(text.length, 65_536); i++) {
    const c = text.charCodeAt(i);
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) controls++;
  }
  if (controls > 0) throw notText();
  return text.replace(/^\uFEFF/, "");
}

const HEADERS = new Set([
  "word",
  "words",
  "mot",
  "mots",
  "lemma",
  "lemmas",
  "lemme",
  "lemmes",
  "term",
  "terms",
  "terme",
  "vocab",
  "vocabulary",
  "vocabulaire",
  "french",
  "français",
  "francais",
  "entry",
  "entrée",
]);

/** The first cell of a CSV/TSV line (quotes honoured), or the line itself. */
export function firstCell(line: string): string {
  if (line.startsWith('"')) {
    let out = "";
    for (let i = 1; i < line.length; i++) {
      const ch = line[i]!;
      if (ch === '"') {
        if (line[i + 1] === '"') {
          out += '"';
          i++;
        } else break;
      } else out += ch;
    }
    return out.trim();
  }
  const cut = line.search(/[\t;,]/);
  return (cut < 0 ? line : line.slice(0, cut)).trim();
}

/** The words of a list file, in order, as written. */
export function listWords(text: string): string[] {
  const words: string[] = [];
  let first = true;
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const cell = firstCell(line)
      .replace(/\s+#.*$/, "")
      .trim();
    if (first && HEADERS.has(cell.toLowerCase())) {
      first = false;
      continue;
    }
    first = false;
    if (cell === "") continue;
    words.push(cell);
    if (words.length > MAX_WORDLIST_ENTRIES) break;
  }
  return words;
}

/** The entry of a written word: the lemma of its first known variant (`bon|bonne`), else of the first. */
export function toEntry(word: string): Entry {
  const variants = word
    .split("|")
    .map((v) => v.trim())
    .filter(Boolean);
  const looked = variants.map((v) => lemmaOf(v));
  const known = looked.find((l) => l.known);
  return { word, lemma: (known ?? looked[0] ?? { lemma: word.toLowerCase() }).lemma, known: known !== undefined };
}

/** Entries of a list; empty and oversized lists refused. */
export function toEntries(words: readonly string[]): Entry[] {
  const cleaned = words.map((w) => w.trim()).filter((w) => w !== "" && w.replace(/\|/g, "").trim() !== "");
  if (cleaned.length === 0)
    throw new WordlistError(400, "empty_list", "The list has no words: one word a line, or the first column of a CSV.");
  if (cleaned.length > MAX_WORDLIST_ENTRIES) {
    throw new WordlistError(413, "too_many_entries", `A word list holds at most ${MAX_WORDLIST_ENTRIES.toLocaleString("en")} entries.`);
  }
  return cleaned.map(toEntry);
}
