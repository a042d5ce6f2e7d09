// Word lists and learning sets through the typed client (/api/v1/wordlists, /api/v1/learning-sets).
// Only the contracts' types come from schema/learning.ts: zod stays out of the browser bundle.
import type { CreateLearningSet, LearningSentence, LearningSet, Wordlist, WordlistDetail } from "../../../schema/learning";
import { api, ok } from "./api";
import { saveExport, type ExportFormat } from "./download";

export type { LearningSentence, LearningSet, Wordlist, WordlistDetail };
export type LearningMode = LearningSet["mode"];
/** The same formats as a job's export. */
export type LearningExportFormat = ExportFormat;
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

export const createLearningSet = (input: LearningSetInput): Promise<LearningSet> => ok(api.POST("/api/v1/learning-sets", { body: input }));

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
  return (await ok(api.POST("/api/v1/learning-sets/{id}/sentences/{rank}/swap", { ...rankPath(id, rank), body: with_ }))).sentences;
}

/** Fetches an export of the set and saves it as learning-set-<id>.<format>. */
export async function downloadLearningExport(id: string, format: LearningExportFormat) {
  const blob = await ok(api.GET("/api/v1/learning-sets/{id}/export", { params: { path: { id }, query: { format } }, parseAs: "blob" }));
  saveExport(blob, `learning-set-${id}`, format);
}

/** "96%" */
export const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
