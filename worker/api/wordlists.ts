import { Hono, type Context } from "hono";
import { resolver } from "hono-openapi";
import {
  CreateWordlistSchema,
  MAX_WORDLIST_ENTRIES,
  MAX_WORDLIST_FILE_BYTES,
  MAX_WORDLISTS,
  RenameWordlistSchema,
  WordlistDetailSchema,
  WordlistListSchema,
  WordlistSchema,
  WordlistUploadFormSchema,
} from "../../schema/learning";
import { requireAuth } from "../auth/caller";
import { decodeText, listWords, toEntries, WordlistError } from "../learning/wordlist-file";
import { createWordlist, deleteWordlist, detail, listWordlists, loadList, renameWordlist } from "../learning/wordlists";
import { ApiError, apiErrorFor } from "../core/errors";
import { describe, json, noContent, pathParam } from "./openapi";
import type { AppEnv } from "../core/types";
import { jsonBody, readCapped, readJson, validate } from "./validate";

const listId = pathParam("id", "The list's id (`default`: the built-in list).");
const NOT_FOUND = "`not_found`: no such list of mine.";

const asApiError = (err: unknown) =>
  err instanceof WordlistError ? apiErrorFor(err.code, err.message, err.status === 415 ? "file" : "words") : err;

/** The words and name of a multipart upload (`file`, `name`). */
async function fromUpload(c: Context<AppEnv>): Promise<{ name: string; words: string[] }> {
  // The file may take MAX_WORDLIST_FILE_BYTES; the form's other fields and boundaries 64 KiB more.
  const tooLarge = () => new ApiError(413, "file_too_large", `A word list file is at most ${MAX_WORDLIST_FILE_BYTES / 1024 / 1024} MiB.`);
  const bytes = await readCapped(c.req.raw, MAX_WORDLIST_FILE_BYTES + 64 * 1024, tooLarge);
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": c.req.header("content-type") ?? "" } }).formData();
  } catch {
    throw new ApiError(400, "malformed_upload", "The body is not valid multipart/form-data.");
  }
  const file = form.get("file");
  if (!(file instanceof File)) throw new ApiError(400, "missing_file", "Send the list as the `file` field (a text or CSV file).", "file");
  if (file.size === 0) throw new ApiError(400, "empty_file", "The file is empty.", "file");
  if (file.size > MAX_WORDLIST_FILE_BYTES)
    throw new ApiError(413, "file_too_large", `A word list file is at most ${MAX_WORDLIST_FILE_BYTES / 1024 / 1024} MiB.`, "file");
  const rawName = form.get("name");
  const fallback = (file.name || "Word list").replace(/\.[^.]{1,5}$/, "");
  const { name } = validate(RenameWordlistSchema, { name: typeof rawName === "string" && rawName.trim() ? rawName : fallback });
  try {
    return { name, words: listWords(decodeText(new Uint8Array(await file.arrayBuffer()))) };
  } catch (err) {
    throw asApiError(err);
  }
}

export const wordlistRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/",
    describe({
      operationId: "listWordlists",
      summary: "Word lists",
      description: "The built-in list (`default`, `is_default: true`, first) and mine, newest first.",
      tag: "Word lists",
      access: "user",
      responses: { 200: json(WordlistListSchema, "The lists, without their words.") },
    }),
    async (c) => c.json({ wordlists: await listWordlists(c.env, c.get("userId")) }, 200),
  )
  .post(
    "/",
    describe({
      operationId: "createWordlist",
      summary: "Create a word list",
      description:
        "multipart/form-data with `file` (text or CSV: one word a line, or the first column; `#` comments; `bon|bonne` for variants) " +
        `and \`name\`, or JSON \`{name, words: [...]}\`. Every entry is kept as written beside its lemma; entries the lexicon does not know ` +
        `are kept and listed in \`unknown\`. At most ${MAX_WORDLIST_ENTRIES.toLocaleString("en")} entries a list, ${MAX_WORDLISTS} lists a reader.`,
      tag: "Word lists",
      access: "user",
      requestBody: {
        required: true,
        content: {
          "multipart/form-data": { schema: resolver(WordlistUploadFormSchema) },
          "application/json": { schema: resolver(CreateWordlistSchema) },
        },
      },
      responses: { 201: json(WordlistDetailSchema, "The new list with its entries and the unknown ones.") },
      errors: {
        400: "`empty_list`: no word in it; `empty_file`; `missing_file`; `invalid_field` (`field` names it); `invalid_json`; `malformed_upload`.",
        409: `\`too_many_wordlists\`: at most ${MAX_WORDLISTS} lists; delete one first.`,
        413: `\`too_many_entries\`: more than ${MAX_WORDLIST_ENTRIES.toLocaleString("en")} entries; \`file_too_large\`: over 2 MiB.`,
        415: "`unsupported_file_type`: the file is not text (a PDF, a spreadsheet, an image…); `unsupported_media_type`: neither multipart nor JSON.",
      },
    }),
    async (c) => {
      const type = c.req.header("content-type") ?? "";
      let input: { name: string; words: string[] };
      if (/^\s*multipart\/form-data\b/i.test(type)) input = await fromUpload(c);
      else if (/^\s*application\/json\b/i.test(type))
        input = validate(
          CreateWordlistSchema,
          await readJson(c, '{"name": "My words", "words": ["maison", "chat"]}', MAX_WORDLIST_FILE_BYTES),
        );
      else throw new ApiError(415, "unsupported_media_type", "Send multipart/form-data with a `file`, or JSON {name, words}.");
      let entries: ReturnType<typeof toEntries>;
      try {
        entries = toEntries(input.words);
      } catch (err) {
        throw asApiError(err);
      }
      const list = await createWordlist(c.env, c.get("userId"), input.name, entries);
      c.header("Location", `/api/v1/wordlists/${list.id}`);
      return c.json(list, 201);
    },
  )
  .get(
    "/:id",
    describe({
      operationId: "getWordlist",
      summary: "One word list",
      description: "With every entry: `{word, lemma, known}` in the list's order, and the unknown ones.",
      tag: "Word lists",
      access: "user",
      parameters: [listId],
      responses: { 200: json(WordlistDetailSchema, "The list.") },
      errors: { 404: NOT_FOUND },
    }),
    async (c) => {
      const { list, row } = await loadList(c.env, c.get("userId"), c.req.param("id"));
      return c.json(detail(list, row), 200);
    },
  )
  .patch(
    "/:id",
    describe({
      operationId: "renameWordlist",
      summary: "Rename a word list",
      tag: "Word lists",
      access: "user",
      parameters: [listId],
      responses: { 200: json(WordlistSchema, "The list, renamed.") },
      errors: { 400: "`invalid_field`: `name` empty or over 100 characters.", 403: "`read_only`: the built-in list.", 404: NOT_FOUND },
    }),
    jsonBody(RenameWordlistSchema, '{"name": "Chapter 1 words"}'),
    async (c) => c.json(await renameWordlist(c.env, c.get("userId"), c.req.param("id"), c.req.valid("json").name), 200),
  )
  .delete(
    "/:id",
    describe({
      operationId: "deleteWordlist",
      summary: "Delete a word list",
      description: "Learning sets made with it keep their sentences.",
      tag: "Word lists",
      access: "user",
      parameters: [listId],
      responses: { 204: noContent("Deleted.") },
      errors: { 403: "`read_only`: the built-in list.", 404: NOT_FOUND },
    }),
    async (c) => {
      await deleteWordlist(c.env, c.get("userId"), c.req.param("id"));
      return c.body(null, 204);
    },
  );
