import { and, eq } from "drizzle-orm";
import { userDefaults, wordlists } from "../../schema/db";
import { DEFAULT_EXPORT_COLUMNS, type Defaults, type DefaultsUpdate } from "../../schema/defaults";
import { DEFAULT_WORDLIST_ID } from "../../schema/learning";
import { DEFAULT_SETTINGS, jobSettingsSchema, type JobSettings } from "../../schema/settings";
import { ApiError } from "../core/errors";
import { validate } from "../core/validate";
import { allowedModels } from "../jobs/engine";
import { db, nowIso } from "../core/db";
import { loadList } from "../learning/wordlists";
import { chooseColumns } from "../pipeline/formats";

/**
 * A reader's saved defaults (table `user_defaults`): what new uploads and learning runs start
 * from. Only what was saved is stored; reading merges it over the built-in defaults.
 */

async function savedRow(env: Env, userId: string): Promise<{ saved: DefaultsUpdate; updated_at: string | null }> {
  const row = await db(env.DB).select().from(userDefaults).where(eq(userDefaults.user_id, userId)).get();
  return row ? { saved: JSON.parse(row.defaults) as DefaultsUpdate, updated_at: row.updated_at } : { saved: {}, updated_at: null };
}

/** The saved settings a new job may still take: a model no longer allowed is left out (the server's default applies). */
function usableSettings(env: Env, saved: DefaultsUpdate): Partial<JobSettings> {
  const { gemini_model, ...rest } = saved.settings ?? {};
  return gemini_model && allowedModels(env).includes(gemini_model) ? { ...rest, gemini_model } : rest;
}

/** My defaults: what I saved over the built-in ones. A saved list deleted since is `default` again. */
export async function getDefaults(env: Env, userId: string): Promise<Defaults> {
  const { saved, updated_at } = await savedRow(env, userId);
  let wordlistId = saved.wordlist_id ?? DEFAULT_WORDLIST_ID;
  if (wordlistId !== DEFAULT_WORDLIST_ID) {
    const row = await db(env.DB)
      .select({ id: wordlists.id })
      .from(wordlists)
      .where(and(eq(wordlists.id, wordlistId), eq(wordlists.owner_id, userId)))
      .get();
    if (!row) wordlistId = DEFAULT_WORDLIST_ID;
  }
  const models = allowedModels(env);
  const { pages: _, ...builtIn } = DEFAULT_SETTINGS;
  return {
    settings: { ...builtIn, gemini_model: models[0] ?? DEFAULT_SETTINGS.gemini_model, ...usableSettings(env, saved) },
    wordlist_id: wordlistId,
    export_columns: saved.export_columns ?? DEFAULT_EXPORT_COLUMNS,
    saved,
    updated_at,
  };
}

/** Saves my defaults (replacing what was saved): the model must be allowed, the list mine or `default`. */
export async function putDefaults(env: Env, userId: string, body: DefaultsUpdate): Promise<Defaults> {
  const model = body.settings?.gemini_model;
  if (model !== undefined && !allowedModels(env).includes(model)) {
    throw new ApiError(
      400,
      "invalid_field",
      `settings.gemini_model: must be one of ${allowedModels(env).join(", ")}`,
      "settings.gemini_model",
    );
  }
  if (body.wordlist_id !== undefined) {
    await loadList(env, userId, body.wordlist_id).catch((err) => {
      if (err instanceof ApiError && err.status === 404) throw new ApiError(404, "not_found", "No such word list.", "wordlist_id");
      throw err;
    });
  }
  const now = nowIso();
  const defaults = JSON.stringify(body);
  await db(env.DB)
    .insert(userDefaults)
    .values({ user_id: userId, defaults, updated_at: now })
    .onConflictDoUpdate({ target: userDefaults.user_id, set: { defaults, updated_at: now } });
  return getDefaults(env, userId);
}

/**
 * The settings of a new job: the upload's fields (`sent`, as a form or JSON gives them) over
 * my saved settings, checked like any upload's (the model on the allow-list).
 */
export async function uploadSettings(env: Env, userId: string, sent: Record<string, unknown>): Promise<JobSettings> {
  const { saved } = await savedRow(env, userId);
  return validate(jobSettingsSchema(allowedModels(env)), {
    ...usableSettings(env, saved),
    ...Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined)),
  });
}

/** The word list a learning run takes when it names none. */
export async function defaultWordlistId(env: Env, userId: string): Promise<string> {
  return (await getDefaults(env, userId)).wordlist_id;
}

/**
 * The columns of an export of a table with `all` columns: those the request asked for
 * (`columns`, 400 naming it when one is not the table's), else my saved export columns
 * that the table has, else all of them.
 */
export async function exportColumns(
  env: Env,
  userId: string,
  all: readonly string[],
  asked: readonly string[] | undefined,
): Promise<string[]> {
  const saved = asked?.length ? undefined : (await savedRow(env, userId)).saved.export_columns;
  const chosen = chooseColumns(all, asked, saved);
  if ("unknown" in chosen) {
    throw new ApiError(400, "invalid_field", `columns: "${chosen.unknown}" is not a column of this export (${all.join(", ")}).`, "columns");
  }
  return chosen;
}
