import { Hono } from "hono";
import {
  AccountDeletionSchema,
  ApiKeyListSchema,
  CreateApiKeySchema,
  DeleteAccountSchema,
  MeSchema,
  NewApiKeySchema,
  SessionListSchema,
} from "../../schema/api";
import { finishAccountDeletion, startAccountDeletion } from "../account/delete";
import { createApiKey, listApiKeys, MAX_KEYS_PER_USER, revokeApiKey } from "../auth/api-keys";
import { requireAuth, requireSession } from "../auth/caller";
import { clearCookie, SESSION_COOKIE } from "../auth/cookies";
import { listSessions } from "../auth/sessions";
import { closeSocketsOf, credentialTag } from "../auth/sockets";
import { engineInfo } from "../jobs/engine";
import { isOperator } from "./admin";
import { endSessions } from "./auth";
import { parseRetentionDays, RetentionConfigError } from "../../schema/retention";
import { ApiError } from "../core/errors";
import { describe, json, noContent, pathParam } from "./openapi";
import type { AppEnv } from "../core/types";
import { jsonBody } from "./validate";

/** RETENTION_DAYS, or a 500 that says what is wrong with it (the cron then deletes nothing). */
function retentionDays(env: Env): number {
  try {
    return parseRetentionDays(env.RETENTION_DAYS);
  } catch (err) {
    if (err instanceof RetentionConfigError) throw new ApiError(500, "server_misconfigured", err.message);
    throw err;
  }
}

const notFound = () => new ApiError(404, "not_found", "No such item.");

/** GET /api/v1/me: who is asking, and how; DELETE /api/v1/me: the whole account. */
export const meRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/",
    describe({
      operationId: "getMe",
      summary: "Who I am",
      description:
        "The caller, how they authenticated, whether they are an operator, the engine and models a job made now would use, and how long finished jobs are kept.",
      tag: "Account",
      access: "user",
      responses: { 200: json(MeSchema, "The caller.") },
      errors: { 500: "`server_misconfigured`: RETENTION_DAYS is not a valid number of days (the message says what it is)." },
    }),
    (c) => {
      const caller = c.get("caller");
      return c.json(
        {
          user: caller.user,
          auth: caller.auth,
          operator: isOperator(c.env, caller.user.email),
          ...engineInfo(c.env),
          retention_days: retentionDays(c.env),
        },
        200,
      );
    },
  )
  .delete(
    "/",
    describe({
      operationId: "deleteMe",
      summary: "Delete my account",
      description:
        "Everything of the account: every job as `DELETE /api/v1/jobs/{id}` deletes it, learning sets, word lists, API keys, sessions (all signed out at once, " +
        "their WebSockets closed), webhook settings and deliveries, saved defaults, the Google Sheets grant (revoked at Google). The credit ledger is kept " +
        "for the operator's accounting, without job ids or notes; the console's audit log records the deletion under a hash of the account's id. " +
        "A session only (the account page asks the reader to type their email), not an API key. Answers at once: the account is signed out and cut " +
        "from its sign-in (signing in again makes a new, empty account); the rest is deleted in the background, finished by the cron if it stops midway.",
      tag: "Account",
      access: "user",
      responses: { 202: json(AccountDeletionSchema, "Signed out everywhere; the account is being deleted.") },
      errors: {
        400: "`confirmation_mismatch`: `confirm` is not the account's email; `invalid_field` / `invalid_json`: no confirmation sent.",
        403: "`session_required`: an API key cannot delete its account: sign in and use the account page.",
      },
    }),
    requireSession,
    jsonBody(DeleteAccountSchema, '{"confirm": "you@example.com"}'),
    async (c) => {
      const { user } = c.get("caller");
      if (c.req.valid("json").confirm.trim().toLowerCase() !== user.email.toLowerCase()) {
        throw new ApiError(
          400,
          "confirmation_mismatch",
          "Type your account's email exactly as shown to confirm that it is to be deleted.",
          "confirm",
        );
      }
      const { requested_at } = await startAccountDeletion(c.env, user.id);
      c.executionCtx.waitUntil(
        finishAccountDeletion(c.env, user.id).catch((err: unknown) =>
          console.error(JSON.stringify({ msg: "account deletion stopped; the cron goes on with it", err: String(err) })),
        ),
      );
      clearCookie(c, SESSION_COOKIE);
      return c.json(
        {
          status: "deleting" as const,
          requested_at,
          message: "You are signed out everywhere. Your books, results, learning sets, word lists and keys are being deleted.",
        },
        202,
      );
    },
  );

/** /api/v1/api-keys: a program's credentials, shown in full once. */
export const apiKeyRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .post(
    "/",
    describe({
      operationId: "createApiKey",
      summary: "Create an API key",
      description: "The only answer that shows the key itself. At most 25 live keys.",
      tag: "Account",
      access: "user",
      responses: { 201: json(NewApiKeySchema, "The new key, `key` included (shown this once).") },
      errors: {
        403: "`session_required`: an API key cannot manage credentials; use a browser session.",
        409: "`too_many_keys`: at most 25 live API keys; revoke one first.",
      },
    }),
    requireSession,
    jsonBody(CreateApiKeySchema, '{"name": "my script"}'),
    async (c) => {
      const { name, expires_in_days } = c.req.valid("json");
      const expiresAt = expires_in_days ? new Date(Date.now() + expires_in_days * 86_400_000).toISOString() : null;
      const created = await createApiKey(c.env, c.get("userId"), name, expiresAt);
      if (!created) throw new ApiError(409, "too_many_keys", `At most ${MAX_KEYS_PER_USER} live API keys: revoke one first.`);
      return c.json(created, 201);
    },
  )
  .get(
    "/",
    describe({
      operationId: "listApiKeys",
      summary: "My API keys",
      description: "Live keys, never the key itself.",
      tag: "Account",
      access: "user",
      responses: { 200: json(ApiKeyListSchema, "The live keys, newest first.") },
    }),
    async (c) => c.json({ api_keys: await listApiKeys(c.env, c.get("userId")) }, 200),
  )
  .delete(
    "/:id",
    describe({
      operationId: "revokeApiKey",
      summary: "Revoke an API key",
      description: "The key is refused at once and the WebSockets it opened are closed.",
      tag: "Account",
      access: "user",
      parameters: [pathParam("id", "The key's id.")],
      responses: { 204: noContent("Revoked.") },
      errors: {
        403: "`session_required`: an API key cannot manage credentials; use a browser session.",
        404: "`not_found`: no such key of mine.",
      },
    }),
    requireSession,
    async (c) => {
      const id = c.req.param("id");
      if (!(await revokeApiKey(c.env, c.get("userId"), id))) throw notFound();
      await closeSocketsOf(c.env, [credentialTag("api_key", id)]);
      return c.body(null, 204);
    },
  );

/** /api/v1/sessions: where I am signed in; each can be ended. */
export const sessionRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/",
    describe({
      operationId: "listSessions",
      summary: "Where I am signed in",
      tag: "Account",
      access: "user",
      responses: { 200: json(SessionListSchema, "My live sessions, newest first; `current` marks the one asking.") },
    }),
    async (c) => {
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
    },
  )
  .delete(
    "/:id",
    describe({
      operationId: "endSession",
      summary: "End one of my sessions",
      description: "Its WebSockets are closed; ending the calling session clears its cookie.",
      tag: "Account",
      access: "user",
      parameters: [pathParam("id", "The session's id.")],
      responses: { 204: noContent("Ended.") },
      errors: {
        403: "`session_required`: an API key cannot manage credentials; use a browser session.",
        404: "`not_found`: no such session of mine.",
      },
    }),
    requireSession,
    async (c) => {
      const caller = c.get("caller");
      const id = c.req.param("id");
      const ended = await endSessions(c.env, caller.user.id, id);
      if (ended.length === 0) throw notFound();
      if (caller.auth === "session" && caller.credentialId === id) clearCookie(c, SESSION_COOKIE);
      return c.body(null, 204);
    },
  );
