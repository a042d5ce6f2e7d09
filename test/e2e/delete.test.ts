import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRequester, approve, Jar, signInWithGoogle, type Flow } from "../fixtures/oidc-flow";
import { CORPUS, finalJob, startStack, upload, waitFor, type Stack } from "./stack";
import { objectsWithTables, stateHolding } from "./state";

// "Delete means deleted", on the real `npm start` stack: a reader deletes a job, then the
// account, and none of their text is left in the stack's state folder (D1, every Durable
// Object, R2's objects and metadata). The trackers let go of finished jobs after 2 s here.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));
const EMAIL = "zephyrine.delaunay@example.com";
const TITLE_A = "Une vie, mon exemplaire de Zéphyrine.pdf";
const TITLE_B = "Une vie, annotations de Zéphyrine.pdf";
const EDIT = "Phrase corrigée par Zéphyrine Delaunay.";
const WORD = "zéphyrinesque";
const HOOK = "http://127.0.0.1:9/zephyrine-hook";

/**
 * wrangler's local observability store: the traces and logs of every request, which name ids (a
 * job's in its R2 keys, a user's in a log line) but hold no text. Cloudflare's logs do the same
 * and keep them for their own retention (README, "Privacy").
 */
const TRACES = /^v3\/observability\//;

let stack: Stack;
let flow: Flow;
const jar = new Jar();

beforeAll(async () => {
  stack = await startStack({ EVENT_LOG_SECONDS: "2" });
  flow = { app: appRequester(stack.url, (url, init) => fetch(url, init)), provider: stack.oidc };
});

afterAll(async () => {
  await stack?.stop();
});

const call = (p: string, init: RequestInit = {}) =>
  flow.app(jar, `/api/v1/${p}`, { ...init, headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) } });
const json = async (r: Response) => (await r.json()) as any;
const d1 = () => {
  const dir = path.join(stack.state, "v3/d1/miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((f) => /^[0-9a-f]{64}\.sqlite$/.test(f))!;
  return new DatabaseSync(path.join(dir, file), { readOnly: true });
};

describe("delete means deleted, on the local stack", () => {
  let userId = "";
  let jobA = "";
  let jobB = "";
  let book: string[] = [];

  it("a reader with two books, an edit, a list, a learning set, hooks and a Google grant", async () => {
    expect((await signInWithGoogle(flow, EMAIL, jar)).res.status).toBe(302);
    userId = (await json(await call("me"))).user.id;
    // Google Sheets connected: a grant to revoke.
    const connect = await flow.app(jar, "/api/v1/integrations/google-sheets/connect?return_to=/account");
    expect((await flow.app(jar, await approve(flow, connect.headers.get("location")!, EMAIL))).status).toBe(302);
    expect((await json(await call("integrations/google-sheets"))).connected).toBe(true);

    const token = jar.cookies.get("fnt_session")!;
    for (const title of [TITLE_A, TITLE_B]) {
      const r = await upload(stack.url, token, EXTRAIT, title);
      expect(r.status).toBe(202);
      const id = (await json(r)).id as string;
      expect((await finalJob(stack, token, id, 180_000)).status).toBe("completed");
      if (title === TITLE_A) jobA = id;
      else jobB = id;
    }
    book = (await (await call(`jobs/${jobB}/result?format=txt`)).text()).split("\n").filter((l) => l.length > 40);
    expect(book.length).toBeGreaterThan(10);
    expect((await call(`jobs/${jobB}/sentences/2`, { method: "PATCH", body: JSON.stringify({ text: EDIT }) })).status).toBe(200);
    expect(
      (await call("wordlists", { method: "POST", body: JSON.stringify({ name: "Liste de Zéphyrine", words: ["chat", WORD] }) })).status,
    ).toBe(201);
    expect(
      (await call("webhooks/settings", { method: "PUT", body: JSON.stringify({ default_url: HOOK, progress_every: null }) })).status,
    ).toBe(200);
    const set = await json(await call("learning-sets", { method: "POST", body: JSON.stringify({ job_ids: [jobB] }) }));
    await waitFor(
      async () => ((await json(await call(`learning-sets/${set.id}`))).status === "completed" ? true : undefined),
      60_000,
      "the learning set",
    );
    // The trackers of both finished jobs let go of their storage (EVENT_LOG_SECONDS 2).
    await waitFor(async () => (objectsWithTables(stack.state, "JobTracker") === 0 ? true : undefined), 30_000, "the trackers to let go");
    expect(await json(await call(`jobs/${jobA}`))).toMatchObject({ status: "completed" });
    expect(stateHolding(stack.state, [TITLE_A, TITLE_B, EDIT, WORD, EMAIL, book[0]!]).length).toBeGreaterThan(0);
  });

  it("deleting a job leaves nothing of it: not its name, id or files", async () => {
    expect((await call(`jobs/${jobA}`, { method: "DELETE" })).status).toBe(204);
    expect(stateHolding(stack.state, [TITLE_A])).toEqual([]);
    // Nor its id: its files (R2's object metadata names them by it), rows, tracker.
    expect(stateHolding(stack.state, [jobA], TRACES)).toEqual([]);
    // The other book is still there, text and all.
    expect(stateHolding(stack.state, [TITLE_B, book[0]!]).length).toBeGreaterThan(0);
  });

  it("deleting the account leaves none of the reader's text, email, books, edits or words; the grant is revoked at Google", async () => {
    expect((await call("me", { method: "DELETE", body: JSON.stringify({ confirm: "someone@example.com" }) })).status).toBe(400);
    const res = await call("me", { method: "DELETE", body: JSON.stringify({ confirm: EMAIL }) });
    expect(res.status).toBe(202);
    expect((await call("me")).status).toBe(401);
    await waitFor(
      async () => {
        const db = d1();
        try {
          return db.prepare("SELECT 1 FROM users WHERE id = ?").get(userId) ? undefined : true;
        } finally {
          db.close();
        }
      },
      60_000,
      "the account to be deleted",
    );
    expect(stateHolding(stack.state, [EMAIL, TITLE_B, EDIT, WORD, "Liste de Zéphyrine", HOOK, ...book])).toEqual([]);
    expect(stateHolding(stack.state, [jobB, userId], TRACES)).toEqual([]);
    const { requests } = await json(await fetch(`${stack.oidc}/__revocations`));
    expect(requests.some((r: any) => r.email === EMAIL && r.method === "POST")).toBe(true);
    // The deletion is in the console's audit log, without the reader's email or books.
    const db = d1();
    try {
      const entry = db.prepare("SELECT * FROM audit_log WHERE action = 'account.delete'").get() as any;
      expect(entry.actor_email).toBe("");
      expect(entry.target_id).toMatch(/^deleted:[0-9a-f]{32}$/);
    } finally {
      db.close();
    }
  });
});
