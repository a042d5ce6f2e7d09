import { Hono } from "hono";
import { DefaultsSchema, DefaultsUpdateSchema } from "../../schema/defaults";
import { requireAuth } from "../auth/caller";
import { getDefaults, putDefaults } from "../defaults/service";
import { describe, json } from "./openapi";
import type { AppEnv } from "../core/types";
import { jsonBody } from "./validate";

/** /api/v1/settings: my defaults, what new uploads and learning runs start from. */
export const defaultsRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/",
    describe({
      operationId: "getDefaults",
      summary: "My defaults",
      description:
        "The processing settings a new upload starts from, the word list a learning run takes when it names none, and the export columns: " +
        "what I saved (PUT) merged over the built-in defaults; `saved` is just what I saved.",
      tag: "Account",
      access: "user",
      responses: { 200: json(DefaultsSchema, "My defaults.") },
    }),
    async (c) => c.json(await getDefaults(c.env, c.get("userId")), 200),
  )
  .put(
    "/",
    describe({
      operationId: "putDefaults",
      summary: "Save my defaults",
      description:
        "Replaces what is saved: `settings` (the same fields as an upload's), `wordlist_id`, `export_columns`; a field left out is not saved and " +
        "its built-in default applies. New uploads (POST /api/v1/jobs, its parts jobs, /api/v1/process-pdf) start from the saved settings, a field " +
        "sent overriding; a learning run without `wordlist_id` takes the saved list.",
      tag: "Account",
      access: "user",
      responses: { 200: json(DefaultsSchema, "My defaults, as saved.") },
      errors: {
        400: "`invalid_field`: a field is invalid (`field` names it, e.g. `settings.sentence_length_limit`); `invalid_json`.",
        404: "`not_found`: `wordlist_id` is not one of my lists (`field` names it).",
      },
    }),
    jsonBody(DefaultsUpdateSchema, '{"settings": {"sentence_length_limit": 25}, "wordlist_id": "default"}'),
    async (c) => c.json(await putDefaults(c.env, c.get("userId"), c.req.valid("json")), 200),
  );
