import { Hono } from "hono";
import { CreateApiKeySchema } from "../../schema/api";
import { countLiveKeys, createApiKey, listApiKeys, MAX_KEYS_PER_USER, revokeApiKey } from "../auth/api-keys";
import { requireAuth } from "../auth/caller";
import { clearCookie, SESSION_COOKIE } from "../auth/cookies";
import { listSessions } from "../auth/sessions";
import { closeSocketsOf, credentialTag } from "../auth/sockets";
import { engineInfo } from "../jobs/engine";
import { isOperator } from "./admin";
import { endSessions } from "./auth";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";
import { readJson, validate } from "./validate";

const notFound = () => new ApiError(404, "not_found", "No such item.");

/** GET /api/v1/me: who is asking, and how. */
export const meRoutes = new Hono<AppEnv>().use(requireAuth).get("/", (c) => {
  const caller = c.get("caller");
  return c.json({ user: caller.user, auth: caller.auth, operator: isOperator(c.env, caller.user.email), ...engineInfo(c.env) }, 200);
});

/** /api/v1/api-keys: a program's credentials, shown in full once. */
export const apiKeyRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .post("/", async (c) => {
    const body = await readJson(c, '{"name": "my script"}');
    const { name, expires_in_days } = validate(CreateApiKeySchema, body);
    const userId = c.get("userId");
    if ((await countLiveKeys(c.env, userId)) >= MAX_KEYS_PER_USER) {
      throw new ApiError(409, "too_many_keys", `At most ${MAX_KEYS_PER_USER} live API keys: revoke one first.`);
    }
    const expiresAt = expires_in_days ? new Date(Date.now() + expires_in_days * 86_400_000).toISOString() : null;
    return c.json(await createApiKey(c.env, userId, name, expiresAt), 201);
  })
  .get("/", async (c) => c.json({ api_keys: await listApiKeys(c.env, c.get("userId")) }, 200))
  .delete("/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await revokeApiKey(c.env, c.get("userId"), id))) throw notFound();
    await closeSocketsOf(c.env, [credentialTag("api_key", id)]);
    return c.body(null, 204);
  });

/** /api/v1/sessions: where I am signed in; each can be ended. */
export const sessionRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get("/", async (c) => {
    const caller = c.get("caller");
    const rows = await listSessions(c.env, caller.user.id);
    const current = caller.auth === "session" ? caller.credentialId : null;
    return c.json(
      {
        sessions: rows.reverse().map((s) => ({
          id: s.id,
          created_at: s.created_at,
          last_seen_at: s.last_seen_at,
          expires_at: s.expires_at,
          user_agent: s.user_agent,
          current: s.id === current,
        })),
      },
      200,
    );
  })
  .delete("/:id", async (c) => {
    const caller = c.get("caller");
    const id = c.req.param("id");
    const ended = await endSessions(c.env, caller.user.id, id);
    if (ended.length === 0) throw notFound();
    if (caller.auth === "session" && caller.credentialId === id) clearCookie(c, SESSION_COOKIE);
    return c.body(null, 204);
  });
