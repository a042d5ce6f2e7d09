import { and, count, desc, eq } from "drizzle-orm";
import { wordlists, type WordlistRow } from "../../schema/db";
import { DEFAULT_WORDLIST_ID, MAX_WORDLISTS, type Wordlist, type WordlistDetail } from "../../schema/learning";
import { ApiError } from "../core/errors";
import { db, nowIso } from "../core/db";
import type { Entry } from "./wordlist-file";
import { DEFAULT_WORDLIST_SOURCE, defaultList, listLemmas, type LoadedList } from "./lists";

export { listLemmas };

function summary(list: LoadedList, row: Pick<WordlistRow, "created_at" | "updated_at"> | null): Wordlist {
  const isDefault = list.id === DEFAULT_WORDLIST_ID;
  return {
    id: list.id,
    name: list.name,
    is_default: isDefault,
    entry_count: list.entries.length,
    lemma_count: listLemmas(list.entries).size,
    unknown_count: list.entries.filter((e) => !e.known).length,
    source: isDefault ? DEFAULT_WORDLIST_SOURCE : null,
    created_at: row?.created_at ?? null,
    updated_at: row?.updated_at ?? null,
  };
}

const parseEntries = (json: string): Entry[] =>
  (JSON.parse(json) as [string, string, 0 | 1][]).map(([word, lemma, known]) => ({ word, lemma, known: known === 1 }));
const rowList = (row: WordlistRow): LoadedList => ({ id: row.id, name: row.name, entries: parseEntries(row.entries) });

export function detail(list: LoadedList, row: WordlistRow | null): WordlistDetail {
  return { ...summary(list, row), words: list.entries, unknown: list.entries.filter((e) => !e.known).map((e) => e.word) };
}

async function ownRow(env: Env, userId: string, id: string): Promise<WordlistRow> {
  const row = await db(env.DB).query.wordlists.findFirst({ where: and(eq(wordlists.id, id), eq(wordlists.owner_id, userId)) });
  if (!row) throw new ApiError(404, "not_found", "No such word list of yours.");
  return row;
}

/** The default list or one of the caller's; anyone else's is a 404. */
export async function loadList(env: Env, userId: string, id: string): Promise<{ list: LoadedList; row: WordlistRow | null }> {
  if (id === DEFAULT_WORDLIST_ID) return { list: defaultList(), row: null };
  const row = await ownRow(env, userId, id);
  return { list: rowList(row), row };
}

export async function listWordlists(env: Env, userId: string): Promise<Wordlist[]> {
  const rows = await db(env.DB).select().from(wordlists).where(eq(wordlists.owner_id, userId)).orderBy(desc(wordlists.created_at));
  return [summary(defaultList(), null), ...rows.map((r) => summary(rowList(r), r))];
}

export async function createWordlist(env: Env, userId: string, name: string, entries: Entry[]): Promise<WordlistDetail> {
  const [{ n }] = await db(env.DB).select({ n: count() }).from(wordlists).where(eq(wordlists.owner_id, userId));
  if ((n ?? 0) >= MAX_WORDLISTS) throw new ApiError(409, "too_many_wordlists", `At most ${MAX_WORDLISTS} word lists: delete one first.`);
  const now = nowIso();
  const row: WordlistRow = {
    id: `wl_${crypto.randomUUID().replace(/-/g, "")}`,
    owner_id: userId,
    name,
    entries: JSON.stringify(entries.map((e) => [e.word, e.lemma, e.known ? 1 : 0])),
    entry_count: entries.length,
    unknown_count: entries.filter((e) => !e.known).length,
    created_at: now,
    updated_at: now,
  };
  await db(env.DB).insert(wordlists).values(row);
  return detail({ id: row.id, name, entries }, row);
}

export async function renameWordlist(env: Env, userId: string, id: string, name: string): Promise<Wordlist> {
  if (id === DEFAULT_WORDLIST_ID) throw new ApiError(403, "read_only", "The built-in list cannot be changed; upload your own.");
  const row = await ownRow(env, userId, id);
  const updated = { ...row, name, updated_at: nowIso() };
  await db(env.DB).update(wordlists).set({ name, updated_at: updated.updated_at }).where(eq(wordlists.id, id));
  return summary(rowList(updated), updated);
}

export async function deleteWordlist(env: Env, userId: string, id: string): Promise<void> {
  if (id === DEFAULT_WORDLIST_ID) throw new ApiError(403, "read_only", "The built-in list cannot be deleted.");
  await ownRow(env, userId, id);
  await db(env.DB).delete(wordlists).where(eq(wordlists.id, id));
}
