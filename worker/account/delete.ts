/**
 * Deleting an account (DELETE /api/v1/me), in two steps.
 *
 * 1. At once, in the request (startAccountDeletion): the user row is marked (`deleting_since`) and
 *    cut from the reader: no email, no name, no identity (a sign-in with the same Google account
 *    makes a new, empty account), and every session, API key and sign-in flow is deleted in the
 *    same batch, then their WebSockets are closed: the reader is signed out everywhere at once.
 * 2. Then in the background (finishAccountDeletion: the request's waitUntil, and the cron for any
 *    account still marked, so a deletion that stopped midway is finished; every step can run
 *    again): each job as DELETE /api/v1/jobs/:id deletes it (files, tracker, rows), each learning
 *    set, the Google grant (revoked at Google before its tokens go), word lists, webhook settings
 *    and deliveries, saved defaults, Idempotency-Key answers; audit rows about the reader keep what
 *    was done but not who (the id hashed, no email, no note). Last, in one batch: the credit
 *    ledger's entries copied to `closed_ledgers` for the operator's accounting (kinds, amounts,
 *    balances, dates, under the hashed id; CreditAccount.anonymize removed their job ids and
 *    notes), the console's audit entry (`account.delete`, the hashed id, no email or book title)
 *    and the user row. Then the CreditAccount's own storage is deleted.
 */
import { eq, isNotNull } from "drizzle-orm";
import { apiKeys, integrationFlows, jobs, learningSets, sessions, users } from "../../schema/db";
import { closeSocketsOf, credentialTag } from "../auth/sockets";
import { sha256Hex } from "../auth/tokens";
import type { ClosedEntry } from "../credits/account";
import { creditAccount } from "../credits/service";
import { db, nowIso } from "../core/db";
import { deleteJob } from "../jobs/service";
import { deleteSet } from "../learning/service";
import { disconnect, RevocationError } from "../sheets/oauth";

/** Google unreachable this long after the request: the grant is given up on (logged), the rest goes on. */
const REVOKE_TRIES_MS = 24 * 3600_000;
/** Accounts one cron run finishes at most. */
const PER_CRON_RUN = 5;

/** How the audit log names a deleted account: not its id, which other records might still hold. */
export const deletedUserRef = async (userId: string) => `deleted:${(await sha256Hex(userId)).slice(0, 32)}`;

/** Marks the account, cuts it from the reader's identity, signs them out everywhere. Idempotent. */
export async function startAccountDeletion(env: Env, userId: string): Promise<{ requested_at: string }> {
  const d = db(env.DB);
  const now = nowIso();
  const [marked, ended, keys] = await d.batch([
    d
      .update(users)
      .set({ email: "", name: null, issuer: "deleted", subject: userId, deleting_since: now })
      .where(eq(users.id, userId))
      .returning({ deleting_since: users.deleting_since }),
    d.delete(sessions).where(eq(sessions.user_id, userId)).returning({ id: sessions.id }),
    d.delete(apiKeys).where(eq(apiKeys.user_id, userId)).returning({ id: apiKeys.id }),
    d.delete(integrationFlows).where(eq(integrationFlows.user_id, userId)),
  ]);
  await closeSocketsOf(env, [...ended.map((s) => credentialTag("session", s.id)), ...keys.map((k) => credentialTag("api_key", k.id))]);
  return { requested_at: marked[0]?.deleting_since ?? now };
}

/**
 * Deletes everything of a marked account; false when there is no such account (done already). Throws
 * when a step fails: the account stays marked and the next cron run goes on from where it is.
 */
export async function finishAccountDeletion(env: Env, userId: string): Promise<boolean> {
  const d = db(env.DB);
  const user = await d.select({ deleting_since: users.deleting_since }).from(users).where(eq(users.id, userId)).get();
  if (!user?.deleting_since) return false;
  // Again until none: an upload that was under way when the deletion began may add one.
  for (let rows = await ownJobs(env, userId); rows.length; rows = await ownJobs(env, userId)) {
    for (const row of rows) await deleteJob(env, row);
  }
  for (const set of await d.select().from(learningSets).where(eq(learningSets.owner_id, userId))) await deleteSet(env, set);
  const googleGrant = await revokeGoogleGrant(env, userId, user.deleting_since);
  const account = creditAccount(env, userId);
  const ledger = await account.anonymize();
  const ref = await deletedUserRef(userId);
  const sum = (kind: string) => ledger.entries.reduce((s, e) => s + (e.kind === kind ? e.amount : 0), 0);
  const detail = JSON.stringify({
    requested_at: user.deleting_since,
    google_grant: googleGrant,
    // What the ledger kept in closed_ledgers adds up to, in millicredits.
    ledger: {
      entries: ledger.entries.length,
      granted: sum("grant"),
      charged: -sum("settle"),
      expired: -sum("expire"),
      balance: ledger.balance,
    },
  });
  const byUser = (sql: string) => env.DB.prepare(sql).bind(userId);
  await env.DB.batch([
    byUser("DELETE FROM wordlists WHERE owner_id = ?1"),
    byUser("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE user_id = ?1)"),
    byUser("DELETE FROM webhook_deliveries WHERE user_id = ?1"),
    byUser("DELETE FROM webhook_settings WHERE user_id = ?1"),
    byUser("DELETE FROM user_defaults WHERE user_id = ?1"),
    byUser("DELETE FROM idempotency_keys WHERE user_id = ?1"),
    byUser("DELETE FROM google_sheets_tokens WHERE user_id = ?1"),
    byUser("DELETE FROM integration_flows WHERE user_id = ?1"),
    byUser("DELETE FROM sessions WHERE user_id = ?1"),
    byUser("DELETE FROM api_keys WHERE user_id = ?1"),
    // Operators' actions on the reader (a grant of credits) and the reader's own, if an operator.
    env.DB.prepare(
      "UPDATE audit_log SET target_id = ?2, detail = CASE WHEN json_valid(detail) THEN json_remove(detail, '$.email', '$.note') ELSE NULL END WHERE target_type = 'user' AND target_id = ?1",
    ).bind(userId, ref),
    env.DB.prepare("UPDATE audit_log SET actor_id = ?2, actor_email = '' WHERE actor_id = ?1").bind(userId, ref),
    // Written by the run that deletes the row, once.
    ...ledgerRows(env, userId, ref, ledger.entries),
    env.DB.prepare(
      `INSERT INTO audit_log (at, actor_id, actor_email, action, target_type, target_id, detail)
       SELECT ?3, ?2, '', 'account.delete', 'user', ?2, ?4 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1)`,
    ).bind(userId, ref, nowIso(), detail),
    byUser("DELETE FROM users WHERE id = ?1"),
  ]);
  await account.forget();
  return true;
}

/** The ledger's entries into closed_ledgers, by the run that deletes the user row (hence the EXISTS), 200 a statement. */
function ledgerRows(env: Env, userId: string, ref: string, entries: ClosedEntry[]): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < entries.length; i += 200) {
    out.push(
      env.DB.prepare(
        `INSERT INTO closed_ledgers (account, kind, amount, balance_after, reserved_after, at)
         SELECT ?2, e.value ->> '$.kind', e.value ->> '$.amount', e.value ->> '$.balance_after', e.value ->> '$.reserved_after', e.value ->> '$.at'
         FROM json_each(?3) AS e WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) ORDER BY e.key`,
      ).bind(userId, ref, JSON.stringify(entries.slice(i, i + 200))),
    );
  }
  return out;
}

const ownJobs = (env: Env, userId: string) => db(env.DB).select().from(jobs).where(eq(jobs.owner_id, userId)).limit(50);

/** The Google grant revoked at Google, then its tokens deleted; Google unreachable throws, until a day has passed. */
async function revokeGoogleGrant(env: Env, userId: string, since: string): Promise<"revoked" | "none" | "given_up"> {
  const had = await env.DB.prepare("SELECT 1 FROM google_sheets_tokens WHERE user_id = ?").bind(userId).first();
  if (!had) return "none";
  try {
    await disconnect(env, userId, { mustReach: true });
    return "revoked";
  } catch (err) {
    if (!(err instanceof RevocationError) || Date.now() - Date.parse(since) < REVOKE_TRIES_MS) throw err;
    console.error(JSON.stringify({ msg: "account deletion: Google grant not revoked, given up", err: err.message }));
    await disconnect(env, userId);
    return "given_up";
  }
}

/** Cron: accounts whose deletion did not finish (an error, a Worker that stopped) are finished. */
export async function resumeAccountDeletions(env: Env): Promise<number> {
  const marked = await db(env.DB)
    .select({ id: users.id })
    .from(users)
    .where(isNotNull(users.deleting_since))
    .orderBy(users.deleting_since)
    .limit(PER_CRON_RUN);
  let done = 0;
  for (const { id } of marked) {
    try {
      if (await finishAccountDeletion(env, id)) done++;
    } catch (err) {
      console.error(JSON.stringify({ msg: "account deletion will be tried again", user: await deletedUserRef(id), err: String(err) }));
    }
  }
  return done;
}
