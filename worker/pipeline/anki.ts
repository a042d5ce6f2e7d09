/**
 * Anki exports shared by the API, the web app and the CLI, so all write the same bytes.
 *
 * A text file for Anki's importer (File → Import, Anki ≥ 2.1.54 reads the `#…` headers) and the
 * notes an .apkg holds (worker/pipeline/apkg.ts). Every note has a GUID made from the job's id
 * and the sentence's index: the same sentence of the same job has the same GUID in every export,
 * a reader's edit included, and in a learning set's export too, so importing again updates the
 * notes (Anki matches notes by GUID) instead of adding duplicates.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** The note type of every export (the .apkg defines it; the text file names it). */
export const ANKI_NOTETYPE = "French Novel Tool";
/** Its fields, in order; an export fills those it has, Anki leaves the others as they are. */
export const ANKI_FIELDS = ["Sentence", "Original", "Page", "New words"] as const;
export type AnkiField = (typeof ANKI_FIELDS)[number];

export interface AnkiNote {
  guid: string;
  fields: Partial<Record<AnkiField, string>>;
  tags: string[];
}

export interface AnkiDeck {
  name: string;
  /** The fields this export fills (columns of the text file), in ANKI_FIELDS order. */
  fields: readonly AnkiField[];
  notes: AnkiNote[];
}

/**
 * The GUID of sentence `index` of job `jobId`: 16 hex digits of SHA-256 (64 bits, like Anki's
 * own GUIDs). Only the job and the index go in, never the text, so an edit keeps it.
 */
export function ankiGuid(jobId: string, index: number): string {
  return bytesToHex(sha256(new TextEncoder().encode(`fnt:${jobId}:${index}`))).slice(0, 16);
}

/** A book's name from its uploaded file's name (the extension off), as the exports name files. */
export const bookName = (filename: string) => filename.replace(/\.(pdf|png|jpe?g)$/i, "") || "sentences";

/** A deck name: `::` would make sub-decks, tabs and line breaks would break the text file. */
export const deckName = (name: string) => flatten(name).replace(/::+/g, ":").trim() || "French Novel Tool";

/** An Anki tag: no spaces (they separate tags), nor the characters a tag cannot hold. */
export const bookTag = (name: string) =>
  flatten(name)
    .trim()
    .replace(/[\s"]+/g, "_") || "book";

/** A field of the text file: no tabs nor line breaks (the importer would read new columns or notes). */
export const flatten = (s: string) => s.replace(/[\t\r\n\u2028\u2029]+/g, " ");

/** The text file for Anki's importer: headers, then one note a line. */
export function ankiText(deck: AnkiDeck): string {
  const columns = [...deck.fields, "Deck", "GUID", "Tags"];
  const n = deck.fields.length;
  const head = [
    "#separator:tab",
    "#html:false",
    `#notetype:${ANKI_NOTETYPE}`,
    // The deck by column: Anki creates a deck named in a column, a `#deck:` header only picks an existing one.
    `#deck column:${n + 1}`,
    `#guid column:${n + 2}`,
    `#tags column:${n + 3}`,
    `#columns:${columns.join("\t")}`,
  ];
  const name = deckName(deck.name);
  const lines = deck.notes.map((note) =>
    [...deck.fields.map((f) => flatten(note.fields[f] ?? "")), name, note.guid, note.tags.map(bookTag).join(" ")].join("\t"),
  );
  return `${[...head, ...lines].join("\n")}\n`;
}

interface JobSentence {
  index: number;
  text: string;
  page: number;
  original?: string;
}

/** A job's sentences as Anki notes, in the deck named after its book; tags `fnt` and the book. */
export function jobDeck(jobId: string, filename: string, sentences: readonly JobSentence[]): AnkiDeck {
  const book = bookName(filename);
  return {
    name: book,
    fields: ["Sentence", "Original", "Page"],
    notes: sentences.map((s) => ({
      guid: ankiGuid(jobId, s.index),
      fields: { Sentence: s.text, Original: s.original ?? "", Page: String(s.page) },
      tags: ["fnt", book],
    })),
  };
}

interface SetSentence {
  job_id: string;
  index: number;
  text: string;
  page: number;
  new_words: readonly string[];
}

/**
 * A learning set's sentences as Anki notes: the GUID is the one of the sentence in its job's
 * export, so both imports update one note. A learning set does not carry `original`: the column
 * is left out, so importing it keeps what the job's export put there. `books`: each job's book
 * name, in the set's order.
 */
export function learningDeck(sentences: readonly SetSentence[], books: ReadonlyMap<string, string>): AnkiDeck {
  // `books` in the set's order: the deck is named after the first.
  const first = books.values().next().value;
  return {
    name: `Learning set — ${first ?? "books"}`,
    fields: ["Sentence", "Page", "New words"],
    notes: sentences.map((s) => ({
      guid: ankiGuid(s.job_id, s.index),
      fields: { Sentence: s.text, Page: String(s.page), "New words": s.new_words.join(" ") },
      tags: ["fnt", books.get(s.job_id) ?? "book"],
    })),
  };
}
