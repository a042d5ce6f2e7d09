import { and, eq, gt, isNotNull, lt, or } from "drizzle-orm";
import { apiKeys, authFlows, sessions, users, type SessionRow } from "../../schema/db";
import { db, nowIso } from "../core/db";
import { randomToken, sha256Hex, SESSION_TOKEN_PREFIX } from "./tokens";
import type { PublicUser } from "./users";

export const SESSION_TTL_SECONDS = 30 * 24 * 3600;
/** last_seen_at is written at most this often per session (one D1 write, not one per request). */
const TOUCH_EVERY_MS = 5 * 60_000;

export interface NewSession {
  id: string;
  token: string;
  expires_at: string;
}

export async function createSession(env: Env, userId: string, userAgent: string | undefined): Promise<NewSession> {
  const token = SESSION_TOKEN_PREFIX + randomToken(43);
  const now = Date.now();
  const row = {
    id: crypto.randomUUID(),
    user_id: userId,
    token_hash: await sha256Hex(token),
    user_agent: userAgent?.slice(0, 300) ?? null,
    created_at: new Date(now).toISOString(),
    last_seen_at: new Date(now).toISOString(),
    expires_at: new Date(now + SESSION_TTL_SECONDS * 1000).toISOString(),
  };
  await db(env.DB).insert(sessions).values(row);
  return { id: row.id, token, expires_at: row.expires_at };
}

/** The live session of a token, with its user; null for anything unknown, ended or expired. */
export async function findSession(
  env: Env,
  token: string,
  ctx?: { waitUntil(p: Promise<unknown>): void },
): Promise<{ session: SessionRow; user: PublicUser } | null> {
  if (!token.startsWith(SESSION_TOKEN_PREFIX)) return null;
  const hash = await sha256Hex(token);
  const found = await db(env.DB)
    .select({ session: sessions, user: { id: users.id, email: users.email, name: users.name } })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.user_id))
    .where(and(eq(sessions.token_hash, hash), gt(sessions.expires_at, nowIso())))
    .get();
  if (!found) return null;
  if (Date.now() - Date.parse(found.session.last_seen_at) > TOUCH_EVERY_MS) {
    const touch = db(env.DB).update(sessions).set({ last_seen_at: nowIso() }).where(eq(sessions.id, found.session.id));
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

export async function listSessions(env: Env, userId: string): Promise<SessionRow[]> {
  return db(env.DB)
    .select()
    .from(sessions)
    .where(and(eq(sessions.user_id, userId), gt(sessions.expires_at, nowIso())))
    .orderBy(sessions.last_seen_at)
    .all();
}

/** Ends sessions (one of the user's, or all of them); returns the ids that were live. */
export async function deleteSessions(env: Env, userId: string, sessionId?: string): Promise<string[]> {
  const where = sessionId ? and(eq(sessions.user_id, userId), eq(sessions.id, sessionId)) : eq(sessions.user_id, userId);
  const rows = await db(env.DB).delete(sessions).where(where).returning({ id: sessions.id }).all();
  return rows.map((r) => r.id);
}

/** For the cron: expired sessions, abandoned sign-ins, and revoked or expired API keys are no use to anyone. */
export async function purgeExpiredSessions(env: Env): Promise<void> {
  const now = nowIso();
  await db(env.DB).delete(sessions).where(lt(sessions.expires_at, now));
  await db(env.DB).delete(authFlows).where(lt(authFlows.expires_at, now));
  await db(env.DB)
    .delete(apiKeys)
    .where(or(isNotNull(apiKeys.revoked_at), lt(apiKeys.expires_at, now)));
}
