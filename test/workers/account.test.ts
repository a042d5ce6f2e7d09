import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deletedUserRef, finishAccountDeletion, startAccountDeletion } from "../../worker/account/delete";
import { runCron } from "../../worker/cron";
import { creditAccount } from "../../worker/credits/service";
import { jobPrefixes } from "../../worker/jobs/keys";
import { tracker } from "../../worker/jobs/service";
import { RevocationError } from "../../worker/sheets/oauth";
import { api, bearer, sessionFor, signIn } from "./http";
import { analysed, startedJob } from "./jobs";
import { appRequest, connectSheets, type Jar, OIDC, signInWithGoogle } from "./oidc";
import { objectStorage, tablesHolding } from "./state";

// DELETE /api/v1/me: everything of the account goes, but the anonymized credit ledger and the
// audit entry; a new sign-in makes a new, empty account (worker/account/delete.ts).

const json = async (r: Response) => (await r.json()) as any;
const send = (jar: Jar, path: string, method: string, body?: unknown) =>
  appRequest(jar, path, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const call = (token: string, path: string, init: RequestInit = {}) =>
  api(`/api/v1/${path}`, { ...init, headers: { ...bearer(token), "content-type": "application/json", ...init.headers } });

const TITLE = "Le Grand Meaulnes, édition annotée.pdf";
const BOOK = ["Augustin Meaulnes arriva un dimanche de novembre.", "Le domaine mystérieux brillait sous la lune."];
const WORD = "zorglubesque";

async function signedIn(email: string) {
  const { res, jar } = await signInWithGoogle(email);
  expect(res.status).toBe(302);
  return { jar, userId: (await json(await appRequest(jar, "/api/v1/me"))).user.id as string };
}

/** A reader with everything an account can hold: jobs (one running), edits, a learning set, a list, keys, hooks, defaults, a Google grant, credits granted. */
async function fullAccount(email: string) {
  const { jar, userId } = await signedIn(email);
  await connectSheets(jar, email);
  const token = (await sessionFor(userId)) as string; // a second session
  const { id: done, t } = await startedJob([[1, 1]], userId);
  await env.DB.prepare("UPDATE jobs SET original_filename = ? WHERE id = ?").bind(TITLE, done).run();
  await t.chunkDone(0, analysed(...BOOK));
  expect(
    (await call(token, `jobs/${done}/sentences/1`, { method: "PATCH", body: JSON.stringify({ text: "Le domaine perdu brillait." }) }))
      .status,
  ).toBe(200);
  const { id: running } = await startedJob(
    [
      [1, 1],
      [2, 2],
    ],
    userId,
  );
  const set = await json(await call(token, "learning-sets", { method: "POST", body: JSON.stringify({ job_ids: [done] }) }));
  for (let i = 0; i < 100 && (await json(await call(token, `learning-sets/${set.id}`))).status === "running"; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(
    (await call(token, "wordlists", { method: "POST", body: JSON.stringify({ name: "Mes mots à moi", words: ["chat", WORD] }) })).status,
  ).toBe(201);
  expect(
    (
      await call(token, "webhooks/settings", {
        method: "PUT",
        body: JSON.stringify({ default_url: "https://hooks.test/leaving", progress_every: null }),
      })
    ).status,
  ).toBe(200);
  expect((await call(token, "settings", { method: "PUT", body: JSON.stringify({ settings: { sentence_length_limit: 12 } }) })).status).toBe(
    200,
  );
  const key = await json(await call(token, "api-keys", { method: "POST", body: JSON.stringify({ name: "my script" }) }));
  await env.DB.prepare(
    "INSERT INTO idempotency_keys (user_id, key, route, state, status, body, created_at, expires_at) VALUES (?, 'k1', 'POST /api/v1/jobs', 'done', 202, ?, ?, ?)",
  )
    .bind(userId, JSON.stringify({ id: done }), new Date().toISOString(), new Date(Date.now() + 86_400_000).toISOString())
    .run();
  const op = await signIn("ops@example.com");
  expect(
    (
      await call(op, `admin/users/${userId}/grant`, {
        method: "POST",
        body: JSON.stringify({ credits: 5, note: `for ${email}'s book club` }),
      })
    ).status,
  ).toBe(200);
  return { jar, userId, token, key, jobs: [done, running], set: set.id as string };
}

/** A job's event socket opened with `token`, and its close code once closed. */
async function watch(token: string, jobId: string): Promise<{ closed: Promise<number> }> {
  const res = await SELF.fetch(`http://localhost/api/v1/jobs/${jobId}/events`, { headers: { Upgrade: "websocket", ...bearer(token) } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  ws.accept();
  return { closed };
}

const userRow = (id: string) => env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<any>();

async function gone(userId: string) {
  for (let i = 0; i < 100 && (await userRow(userId)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await userRow(userId)).toBeNull();
}

describe("DELETE /api/v1/me", () => {
  it("deletes everything of the account, signs it out everywhere, keeps an anonymized ledger and an audit entry; signing in again makes a new, empty account", async () => {
    const email = "leaving.reader@example.com";
    const a = await fullAccount(email);
    const ledgerBefore = await creditAccount(env, a.userId).ledger(null, 100);
    expect(ledgerBefore.entries.some((e) => e.note?.includes(email))).toBe(true);
    const socket = await watch(a.key.key, a.jobs[1]!);

    // Refused: an API key, a wrong or missing confirmation.
    const byKey = await call(a.key.key, "me", { method: "DELETE", body: JSON.stringify({ confirm: email }) });
    expect(byKey.status).toBe(403);
    expect((await json(byKey)).error.code).toBe("session_required");
    const wrong = await send(a.jar, "/api/v1/me", "DELETE", { confirm: "someone.else@example.com" });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error).toMatchObject({ code: "confirmation_mismatch", field: "confirm" });
    const missing = await send(a.jar, "/api/v1/me", "DELETE", {});
    expect(missing.status).toBe(400);
    expect((await json(missing)).error.field).toBe("confirm");
    expect((await send(a.jar, "/api/v1/me", "DELETE")).status).toBe(400);
    expect((await userRow(a.userId)).email).toBe(email);

    const res = await send(a.jar, "/api/v1/me", "DELETE", { confirm: " Leaving.Reader@Example.com" });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ status: "deleting", requested_at: expect.any(String) });
    expect(a.jar.cookies.has("fnt_session")).toBe(false);
    // Signed out everywhere at once, the key's socket closed.
    expect(await socket.closed).toBe(4001);
    for (const t of [a.token, a.key.key]) expect((await call(t, "me")).status).toBe(401);
    await gone(a.userId);

    // Nothing of the reader in D1: not their id, email, book title, sentences, edits or words.
    for (const text of [
      a.userId,
      email,
      "Le Grand Meaulnes",
      "Augustin Meaulnes",
      "Le domaine perdu",
      WORD,
      "Mes mots à moi",
      "hooks.test/leaving",
    ]) {
      expect(await tablesHolding(text), text).toEqual([]);
    }
    // No file, no tracker storage.
    for (const job of a.jobs) {
      for (const prefix of jobPrefixes(job)) expect((await env.FILES.list({ prefix })).objects, prefix).toEqual([]);
      expect(await runInDurableObject(tracker(env, job), (_i, state) => objectStorage(state))).toEqual({
        keys: [],
        alarm: null,
        tables: [],
      });
    }
    expect((await env.FILES.list({ prefix: `learning-sets/${a.set}/` })).objects).toEqual([]);
    // The Google grant was revoked at Google (the stand-in), as Google documents it.
    const { requests } = await json(await fetch(`${OIDC}/__revocations`));
    expect(requests.filter((r: any) => r.email === email)).toEqual([
      expect.objectContaining({ method: "POST", content_type: "application/x-www-form-urlencoded" }),
    ]);

    // The ledger stays for the operator's accounting: the same entries, amounts and dates, under the hashed id, nothing that ties them to the reader.
    const ref = await deletedUserRef(a.userId);
    const kept = (await env.DB.prepare("SELECT * FROM closed_ledgers WHERE account = ? ORDER BY id").bind(ref).all<any>()).results;
    expect(kept.map((e) => [e.kind, e.amount, e.balance_after, e.at])).toEqual(
      ledgerBefore.entries.reverse().map((e) => [e.kind, e.amount, e.balance_after, e.at]),
    );
    // The audit log records the deletion under a hash of the id; the operator's grant keeps its amount, not who or why.
    const audit = (await env.DB.prepare("SELECT * FROM audit_log WHERE target_id = ? ORDER BY id").bind(ref).all<any>()).results;
    expect(audit.map((r) => [r.action, r.target_type])).toEqual([
      ["credits.grant", "user"],
      ["account.delete", "user"],
    ]);
    expect(JSON.parse(audit[0].detail)).toEqual({ credits: 5 });
    expect(audit[1]).toMatchObject({ actor_id: ref, actor_email: "" });
    expect(JSON.parse(audit[1].detail)).toMatchObject({
      google_grant: "revoked",
      ledger: { granted: 105_000, charged: 0, entries: kept.length },
    });

    // The same Google account signs in again: a new, empty account.
    const again = await signedIn(email);
    expect(again.userId).not.toBe(a.userId);
    expect((await json(await appRequest(again.jar, "/api/v1/jobs"))).jobs).toEqual([]);
    expect((await json(await appRequest(again.jar, "/api/v1/wordlists"))).wordlists.map((l: any) => l.id)).toEqual(["default"]);
    expect((await json(await appRequest(again.jar, "/api/v1/learning-sets"))).learning_sets).toEqual([]);
    expect(await json(await appRequest(again.jar, "/api/v1/integrations/google-sheets"))).toEqual({ connected: false, scopes: [] });
    expect((await json(await appRequest(again.jar, "/api/v1/credits"))).balance).toBe(100);
  });

  it("a deletion that stops midway leaves the reader signed out and unfindable, and the cron finishes it; once done, nothing happens again", async () => {
    const email = "half.gone@example.com";
    const { jar, userId } = await signedIn(email);
    await connectSheets(jar, email);
    const { id: job, t } = await startedJob([[1, 1]], userId);
    await t.chunkDone(0, analysed(...BOOK));
    await creditAccount(env, userId).summary(); // the ledger opens: this month's allowance
    await startAccountDeletion(env, userId);
    expect(await userRow(userId)).toMatchObject({ email: "", name: null, issuer: "deleted", deleting_since: expect.any(String) });
    expect((await appRequest(jar, "/api/v1/me")).status).toBe(401);

    // Google cannot be reached: it stops there, the jobs already gone, the account still marked.
    await expect(finishAccountDeletion({ ...env, GOOGLE_REVOKE_URL: "http://unreachable.test/revoke" }, userId)).rejects.toBeInstanceOf(
      RevocationError,
    );
    expect(await env.DB.prepare("SELECT id FROM jobs WHERE id = ?").bind(job).first()).toBeNull();
    expect(await userRow(userId)).not.toBeNull();
    expect(await env.DB.prepare("SELECT 1 FROM google_sheets_tokens WHERE user_id = ?").bind(userId).first()).not.toBeNull();
    // Meanwhile the same person signing in gets a new account.
    expect((await signedIn(email)).userId).not.toBe(userId);

    await runCron(env);
    expect(await userRow(userId)).toBeNull();
    expect(await tablesHolding(userId)).toEqual([]);
    const entries = (
      await env.DB.prepare("SELECT * FROM audit_log WHERE action = 'account.delete' AND target_id = ?")
        .bind(await deletedUserRef(userId))
        .all()
    ).results;
    expect(entries).toHaveLength(1);
    // The monthly allowance's grant, kept once.
    expect(
      (
        await env.DB.prepare("SELECT kind FROM closed_ledgers WHERE account = ?")
          .bind(await deletedUserRef(userId))
          .all()
      ).results,
    ).toEqual([{ kind: "grant" }]);
    expect(await finishAccountDeletion(env, userId)).toBe(false);
    await runCron(env);
    expect(
      (
        await env.DB.prepare("SELECT * FROM audit_log WHERE action = 'account.delete' AND target_id = ?")
          .bind(await deletedUserRef(userId))
          .all()
      ).results,
    ).toHaveLength(1);
  });
});
