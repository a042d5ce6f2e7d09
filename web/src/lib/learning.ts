// Word lists and learning sets through the typed client (/api/v1/wordlists, /api/v1/learning-sets).
// Only the contracts' types come from schema/learning.ts: zod stays out of the browser bundle.
import type {
  CreateLearningSet,
  LearningSentence,
  LearningSet,
  Wordlist,
  WordlistDetail,
} from "../../../schema/learning";
import { api, ok } from "./api";

export type { LearningSentence, LearningSet, Wordlist, WordlistDetail };
export type LearningMode = LearningSet["mode"];
export type LearningExportFormat = "csv" | "tsv" | "txt" | "json";
/** What POST /api/v1/learning-sets takes, every option given. */
export type LearningSetInput = Required<CreateLearningSet>;
/** An alternative for one rank: a sentence of the books not in the selection. */
export type Alternative = Omit<LearningSentence, "rank">;

export const DEFAULT_WORDLIST_ID = "default";

const idPath = (id: string) => ({ params: { path: { id } } });
const rankPath = (id: string, rank: number) => ({ params: { path: { id, rank: String(rank) } } });

// ---- word lists ----

export async function listWordlists(): Promise<Wordlist[]> {
  return (await ok(api.GET("/api/v1/wordlists"))).wordlists;
}

export const getWordlist = (id: string): Promise<WordlistDetail> => ok(api.GET("/api/v1/wordlists/{id}", idPath(id)));

/** Uploads a list file (multipart `file` and `name`); the API reads and lemmatizes it. */
export function uploadWordlist(file: File, name: string): Promise<WordlistDetail> {
  return ok(
    api.POST("/api/v1/wordlists", {
      // The document types a binary field as a string: the File goes in the form as itself.
      body: { file: file as unknown as string, ...(name.trim() ? { name: name.trim() } : {}) },
      bodySerializer(body) {
        const form = new FormData();
        form.append("file", file, file.name);
        if (body.name) form.append("name", body.name);
        return form;
      },
    }),
  );
}

export const renameWordlist = (id: string, name: string): Promise<Wordlist> =>
  ok(api.PATCH("/api/v1/wordlists/{id}", { ...idPath(id), body: { name } }));

export const deleteWordlist = (id: string) => ok(api.DELETE("/api/v1/wordlists/{id}", idPath(id)));

// ---- learning sets ----

export const createLearningSet = (input: LearningSetInput): Promise<LearningSet> =>
  ok(api.POST("/api/v1/learning-sets", { body: input }));

export async function listLearningSets(): Promise<LearningSet[]> {
  return (await ok(api.GET("/api/v1/learning-sets"))).learning_sets;
}

export const getLearningSet = (id: string): Promise<LearningSet> => ok(api.GET("/api/v1/learning-sets/{id}", idPath(id)));

export const deleteLearningSet = (id: string) => ok(api.DELETE("/api/v1/learning-sets/{id}", idPath(id)));

export async function getLearningSentences(id: string): Promise<LearningSentence[]> {
  return (await ok(api.GET("/api/v1/learning-sets/{id}/sentences", idPath(id)))).sentences;
}

export async function getAlternatives(id: string, rank: number): Promise<Alternative[]> {
  return (await ok(api.GET("/api/v1/learning-sets/{id}/sentences/{rank}/alternatives", rankPath(id, rank)))).alternatives;
}

/** Puts an alternative in the rank's place; answers the selection after the swap. */
export async function swapSentence(id: string, rank: number, with_: { job_id: string; index: number }): Promise<LearningSentence[]> {
  return (
    await ok(api.POST("/api/v1/learning-sets/{id}/sentences/{rank}/swap", { ...rankPath(id, rank), body: with_ }))
  ).sentences;
}

/** Fetches an export of the set and saves it as learning-set-<id>.<format>. */
export async function downloadLearningExport(id: string, format: LearningExportFormat) {
  const blob = await ok(
    api.GET("/api/v1/learning-sets/{id}/export", { params: { path: { id }, query: { format } }, parseAs: "blob" }),
  );
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `learning-set-${id}.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: Chromium reads the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- highlighting new words ----

export interface Piece {
  text: string;
  /** The new word (a lemma) this piece of the text stands for; null for the rest. */
  word: string | null;
}

const fold = (s: string) => s.toLocaleLowerCase("fr").normalize("NFC").replace(/’/g, "'");

/**
 * The stem a surface word must start with to count as a form of `lemma`: the lemma itself for a
 * short one, else the lemma less its last letters (a verb's -er/-ir/-re, a final -e), so that
 * "parlait" matches "parler", "grandes" matches "grand", "belles" matches "belle".
 */
export function stemOf(lemma: string): string {
  const l = fold(lemma);
  if (l.length <= 3) return l;
  const verb = l.match(/^(.{3,})(?:er|ir|re|oir)$/);
  if (verb) return verb[1]!;
  return l.length > 4 && l.endsWith("e") ? l.slice(0, -1) : l;
}

/**
 * Splits a sentence into pieces, marking the words that are (a best-effort guess at) forms of
 * the new words: a word equal to a new word, or, for a lemma of 4 letters or more, one starting
 * with its stem. The API gives the lemmas but not the tokens, so this is a reader's aid, not
 * the analysis: a word it misses is still listed under the sentence.
 */
export function highlightNewWords(text: string, newWords: readonly string[]): Piece[] {
  const words = newWords.map((w) => ({ word: w, exact: fold(w), stem: stemOf(w) }));
  const pieces: Piece[] = [];
  const push = (t: string, word: string | null) => {
    const last = pieces[pieces.length - 1];
    if (last && last.word === null && word === null) last.text += t;
    else pieces.push({ text: t, word });
  };
  // Letters with inner hyphens; an elided article (l’, d’, qu’) stays outside the word.
  const re = /[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu;
  let at = 0;
  for (const m of text.matchAll(re)) {
    const surface = fold(m[0]);
    const hit =
      words.find((w) => w.exact === surface) ??
      words.find((w) => w.exact.length >= 4 && surface.startsWith(w.stem) && surface.length - w.stem.length <= 5);
    if (!hit) continue;
    push(text.slice(at, m.index), null);
    push(m[0], hit.word);
    at = m.index + m[0].length;
  }
  push(text.slice(at), null);
  return pieces.filter((p) => p.text !== "");
}

/** "96%" */
export const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
