import { and, desc, eq, isNull } from "drizzle-orm";
import { apiKeys, users, type ApiKeyRow } from "../../schema/db";
import { db, nowIso } from "../core/db";
import { API_KEY_PREFIX, randomToken, sha256Hex } from "./tokens";
import type { PublicUser } from "./users";

/** Live keys one user may hold at once. */
export const MAX_KEYS_PER_USER = 25;
const TOUCH_EVERY_MS = 60_000;

export interface PublicApiKey {
  id: string;
  name: string;
  prefix: string;
  last4: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export const toPublicKey = (r: ApiKeyRow): PublicApiKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  last4: r.last4,
  created_at: r.created_at,
  last_used_at: r.last_used_at,
  expires_at: r.expires_at,
});

const isLive = (r: ApiKeyRow) => !r.revoked_at && (!r.expires_at || Date.parse(r.expires_at) > Date.now());

/**
 * Makes a key; the full key is in the answer only, never stored. Null when the user already
 * holds MAX_KEYS_PER_USER live keys: the count and the insert are one statement, so concurrent
 * requests cannot pass the limit together.
 */
export async function createApiKey(
  env: Env,
  userId: string,
  name: string,
  expiresAt: string | null,
): Promise<(PublicApiKey & { key: string }) | null> {
  const key = API_KEY_PREFIX + randomToken(40);
  const row: ApiKeyRow = {
    id: crypto.randomUUID(),
    user_id: userId,
    name,
    prefix: key.slice(0, API_KEY_PREFIX.length + 6),
    last4: key.slice(-4),
    key_hash: await sha256Hex(key),
    created_at: nowIso(),
    last_used_at: null,
    expires_at: expiresAt,
    revoked_at: null,
  };
  const inserted = await env.DB.prepare(
    `INSERT INTO api_keys (id, user_id, name, prefix, last4, key_hash, created_at, last_used_at, expires_at, revoked_at)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, NULL
     WHERE (SELECT count(*) FROM api_keys WHERE user_id = ?2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?7)) < ?9`,
  )
    .bind(row.id, userId, name, row.prefix, row.last4, row.key_hash, row.created_at, expiresAt, MAX_KEYS_PER_USER)
    .run();
  return inserted.meta.changes === 1 ? { ...toPublicKey(row), key } : null;
}

export async function listApiKeys(env: Env, userId: string): Promise<PublicApiKey[]> {
  const rows = await db(env.DB)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.user_id, userId), isNull(apiKeys.revoked_at)))
    .orderBy(desc(apiKeys.created_at))
    .all();
  return rows.map(toPublicKey);
}

/** Revokes one of the user's live keys; false when there is none by that id. */
export async function revokeApiKey(env: Env, userId: string, id: string): Promise<boolean> {
  const rows = await db(env.DB)
    .update(apiKeys)
    .set({ revoked_at: nowIso() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.user_id, userId), isNull(apiKeys.revoked_at)))
    .returning({ id: apiKeys.id })
    .all();
  return rows.length > 0;
}

/** The live key behind a presented secret, with its user; null for unknown, revoked or expired. */
export async function findApiKey(
  env: Env,
  key: string,
  ctx?: { waitUntil(p: Promise<unknown>): void },
): Promise<{ key: ApiKeyRow; user: PublicUser } | null> {
  if (!key.startsWith(API_KEY_PREFIX)) return null;
  const found = await db(env.DB)
    .select({ key: apiKeys, user: { id: users.id, email: users.email, name: users.name } })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.user_id))
    .where(eq(apiKeys.key_hash, await sha256Hex(key)))
    .get();
  if (!found || !isLive(found.key)) return null;
  const last = found.key.last_used_at ? Date.parse(found.key.last_used_at) : 0;
  if (Date.now() - last > TOUCH_EVERY_MS) {
    const touch = db(env.DB).update(apiKeys).set({ last_used_at: nowIso() }).where(eq(apiKeys.id, found.key.id));
    if (ctx)
      ctx.waitUntil(
        touch.then(
          () => undefined,
          () => undefined,
        ),
      );
    else await touch;
  }
  return found;
}
