import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decryptToken } from "../../worker/sheets/crypto";
import { batches } from "../../worker/sheets/export";
import { accessToken } from "../../worker/sheets/oauth";
import { result, startedJob } from "./jobs";
import { appRequest, connectSheets, Jar, OIDC, signInWithGoogle } from "./oidc";

// Google Sheets export end to end inside workerd: consent through the local provider
// (http://oidc.test) and the Sheets API v4 stand-in (http://sheets.test), both served by
// vitest.config.ts from scripts/local-oidc.ts and scripts/local-sheets.ts.

const SHEETS = "http://sheets.test";
const DRIVE_FILE = "https://www.googleapis.com/auth/drive.file";

const json = async (r: Response) => (await r.json()) as any;
const post = (jar: Jar, path: string, body: unknown) =>
  appRequest(jar, path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const exportSheets = (jar: Jar, body: unknown) => post(jar, "/api/v1/exports/sheets", body);
const sheet = async (id: string) => json(await fetch(`${SHEETS}/__sheets/${id}`));
const tokenRow = (userId: string) => env.DB.prepare("SELECT * FROM google_sheets_tokens WHERE user_id = ?").bind(userId).first<any>();

async function signedIn(email: string) {
  const { res, jar } = await signInWithGoogle(email);
  expect(res.status).toBe(302);
  const me = await json(await appRequest(jar, "/api/v1/me"));
  return { jar, userId: me.user.id as string };
}

const connect = connectSheets;

async function finishedJob(owner: string, sentences: string[]) {
  const { id, t } = await startedJob([[1, 1]], owner);
  await t.chunkDone(0, result(...sentences));
  return id;
}

const BOOK = ["Le chat mange la souris.", "=1+1", "Il pleut sur la ville.", "+33 6 12 34 56 78", "Elle lit un livre rouge."];

describe("Google Sheets export", () => {
  it("asks drive.file only at the first export, incrementally and offline; stores the refresh token encrypted", async () => {
    const email = "sheets.one@example.com";
    const { jar, userId } = await signedIn(email);
    expect(await json(await appRequest(jar, "/api/v1/integrations/google-sheets"))).toEqual({ connected: false, scopes: [] });
    const job = await finishedJob(userId, BOOK);
    const refused = await exportSheets(jar, { source: { job_id: job } });
    expect(refused.status).toBe(409);
    const body = await json(refused);
    expect(body.error.code).toBe("sheets_not_connected");
    expect(body.error.connect_url).toMatch(/^\/api\/v1\/integrations\/google-sheets\/connect\?return_to=/);

    const { authorize, back } = await connect(jar, email);
    expect(authorize.origin).toBe(OIDC);
    const q = authorize.searchParams;
    expect(q.get("scope")!.split(" ").sort()).toEqual([DRIVE_FILE, "openid"].sort());
    expect(q.get("access_type")).toBe("offline");
    expect(q.get("include_granted_scopes")).toBe("true");
    expect(q.get("prompt")).toBe("consent");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("login_hint")).toBe(email);
    expect(q.get("redirect_uri")).toBe("http://localhost/api/v1/integrations/google-sheets/callback");
    const consent = await (await fetch(authorize)).text();
    expect(consent).toContain("only the specific Google Drive files you use with this app");
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toBe("/jobs/x?sheets=1");

    const status = await json(await appRequest(jar, "/api/v1/integrations/google-sheets"));
    expect(status.connected).toBe(true);
    // include_granted_scopes: the sign-in's scopes come along with drive.file.
    expect(status.scopes).toEqual(expect.arrayContaining([DRIVE_FILE, "openid", "email"]));
    expect(JSON.stringify(status)).not.toMatch(/1\/\//);

    const row = await tokenRow(userId);
    expect(row.refresh_token).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(row.refresh_token).not.toContain("1//");
    const plain = await decryptToken(env, userId, row.refresh_token);
    expect(plain).toMatch(/^1\/\//); // the provider's refresh token, only under the key
    expect(await decryptToken(env, "someone-else", row.refresh_token)).toBeNull();

    // A state is single use.
    const replay = await appRequest(jar, `/api/v1/integrations/google-sheets/callback?state=${q.get("state")}&code=x`);
    expect(replay.status).toBe(400);
  });

  it("exports a job: a new spreadsheet titled after the book, bold frozen header, every sentence in order, RAW; then a learning set into a new tab", async () => {
    const email = "sheets.two@example.com";
    const { jar, userId } = await signedIn(email);
    await connect(jar, email);
    const job = await finishedJob(userId, BOOK);
    const r = await exportSheets(jar, { source: { job_id: job } });
    expect(r.status).toBe(201);
    const out = await json(r);
    expect(out).toEqual({
      spreadsheet_id: out.spreadsheet_id,
      url: `${SHEETS}/spreadsheets/d/${out.spreadsheet_id}/edit`,
      sheet_title: "Sentences",
      rows: 5,
    });
    const ss = await sheet(out.spreadsheet_id);
    expect(ss.title).toBe("livre");
    expect(ss.owner).toBe(email);
    const [tab] = ss.sheets;
    expect(tab.title).toBe("Sentences");
    expect(tab.frozenRowCount).toBe(1);
    expect(tab.values[0]).toEqual(["sentence", "original", "page", "index", "word_count", "has_verb"]);
    expect(tab.bold[0]).toEqual([true, true, true, true, true, true]);
    expect(tab.bold[1].some(Boolean)).toBe(false);
    expect(tab.values.slice(1).map((row: unknown[]) => row[0])).toEqual(BOOK);
    expect(tab.values.slice(1).map((row: unknown[]) => row[3])).toEqual([1, 2, 3, 4, 5]);
    // RAW: a sentence that looks like a formula stays the string it is.
    expect(tab.values[2][0]).toBe("=1+1");
    expect(tab.values[1].slice(4)).toEqual([5, true]);

    // A learning set of that book, appended to the same spreadsheet in a new tab, chosen and renamed columns.
    const made = await post(jar, "/api/v1/learning-sets", { job_ids: [job], mode: "filter", min_known_ratio: 0 });
    expect(made.status).toBe(201);
    const setId = (await json(made)).id;
    for (let i = 0; i < 200; i++) {
      if ((await json(await appRequest(jar, `/api/v1/learning-sets/${setId}`))).status !== "running") break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const set = await exportSheets(jar, {
      source: { learning_set_id: setId },
      spreadsheet_id: out.spreadsheet_id,
      sheet_title: "À apprendre",
      columns: ["rank", "sentence", "new_words", "known_ratio"],
      header_names: { sentence: "Phrase", new_words: "Mots nouveaux" },
    });
    expect(set.status).toBe(201);
    const setOut = await json(set);
    expect(setOut.spreadsheet_id).toBe(out.spreadsheet_id);
    expect(setOut.sheet_title).toBe("À apprendre");
    const after = await sheet(out.spreadsheet_id);
    expect(after.sheets.map((s: any) => s.title)).toEqual(["Sentences", "À apprendre"]);
    const learn = after.sheets[1];
    expect(learn.values[0]).toEqual(["rank", "Phrase", "Mots nouveaux", "known_ratio"]);
    expect(learn.frozenRowCount).toBe(1);
    expect(learn.bold[0]).toEqual([true, true, true, true]);
    expect(learn.values.length - 1).toBe(setOut.rows);
    expect(setOut.rows).toBeGreaterThan(0);
    expect(learn.values.slice(1).map((row: unknown[]) => row[0])).toEqual(Array.from({ length: setOut.rows }, (_, i) => i + 1));
    // The first tab is untouched.
    expect(after.sheets[0].values).toHaveLength(6);

    // A column the source does not have.
    const bad = await exportSheets(jar, { source: { job_id: job }, columns: ["rank"] });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("columns");
  });

  it("appends to an existing tab: rows only under the same header, the header on an empty tab, a 409 before writing anything under another header", async () => {
    const email = "sheets.six@example.com";
    const { jar, userId } = await signedIn(email);
    await connect(jar, email);
    const job = await finishedJob(userId, BOOK);
    const first = await json(await exportSheets(jar, { source: { job_id: job } }));
    const id = first.spreadsheet_id as string;
    const requests = async () => json(await fetch(`${SHEETS}/__requests`));

    // The same header (the default columns): the rows under it, no second header.
    const same = await exportSheets(jar, { source: { job_id: job }, spreadsheet_id: id });
    expect(same.status).toBe(201);
    expect(await json(same)).toMatchObject({ sheet_title: "Sentences", rows: 5 });
    const twice = (await sheet(id)).sheets[0];
    expect(twice.values).toHaveLength(11);
    expect(twice.values.filter((row: unknown[]) => row[0] === "sentence")).toHaveLength(1);
    expect(twice.values.slice(1).map((row: unknown[]) => row[0])).toEqual([...BOOK, ...BOOK]);
    expect(twice.bold.slice(1).flat().some(Boolean)).toBe(false);

    // A header of other columns, or other names: refused, nothing written, both headers named.
    const before = await requests();
    for (const other of [{ columns: ["sentence", "page"] }, { header_names: { sentence: "Phrase" } }]) {
      const r = await exportSheets(jar, { source: { job_id: job }, spreadsheet_id: id, ...other });
      expect(r.status).toBe(409);
      const { error } = await json(r);
      expect(error.code).toBe("sheets_header_mismatch");
      expect(error.field).toBe("sheet_title");
      expect(error.message).toContain("“Sentences”");
      expect(error.message).toContain("“sentence”, “original”, “page”, “index”, “word_count”, “has_verb”");
      expect(error.message).toContain(other.columns ? "“sentence”, “page”:" : "“Phrase”, “original”");
      expect(error.message).toMatch(/another tab/);
    }
    const after = await requests();
    expect(after["POST append"]).toBe(before["POST append"]);
    expect(after["POST batchUpdate"]).toBe(before["POST batchUpdate"]);
    expect(after["GET values"]).toBe(before["GET values"] + 2);
    expect((await sheet(id)).sheets[0].values).toEqual(twice.values);

    // A tab the reader added by hand, empty: it gets the header, bold and frozen, then the rows.
    const token = await accessToken(env, userId);
    const added = await fetch(`${SHEETS}/v4/spreadsheets/${id}:batchUpdate`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ addSheet: { properties: { title: "Vide" } } }] }),
    });
    expect(added.status).toBe(200);
    const r = await exportSheets(jar, { source: { job_id: job }, spreadsheet_id: id, sheet_title: "Vide", columns: ["sentence", "page"] });
    expect(r.status).toBe(201);
    const empty = (await sheet(id)).sheets.find((s: any) => s.title === "Vide");
    expect(empty.values).toEqual([["sentence", "page"], ...BOOK.map((t) => [t, 1])]);
    expect(empty.bold[0]).toEqual([true, true]);
    expect(empty.frozenRowCount).toBe(1);
    // Then the same columns go under it.
    expect(
      (await exportSheets(jar, { source: { job_id: job }, spreadsheet_id: id, sheet_title: "Vide", columns: ["sentence", "page"] })).status,
    ).toBe(201);
    expect((await sheet(id)).sheets.find((s: any) => s.title === "Vide").values).toHaveLength(11);
  });

  it("the stand-in reads values back in Google's wire format (values.get)", async () => {
    const email = "sheets.seven@example.com";
    const { jar, userId } = await signedIn(email);
    await connect(jar, email);
    const job = await finishedJob(userId, BOOK);
    const { spreadsheet_id: id } = await json(
      await exportSheets(jar, { source: { job_id: job }, columns: ["sentence", "index", "has_verb"] }),
    );
    const token = await accessToken(env, userId);
    const get = async (range: string, query = "") => {
      const r = await fetch(`${SHEETS}/v4/spreadsheets/${id}/values/${encodeURIComponent(range)}${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: r.status, body: await json(r) };
    };
    expect((await get("'Sentences'!1:1")).body).toEqual({
      range: "'Sentences'!A1:Z1",
      majorDimension: "ROWS",
      values: [["sentence", "index", "has_verb"]],
    });
    // Formatted by default (strings), or as stored; trailing empty rows left out; COLUMNS transposes.
    expect((await get("Sentences!B2:C2")).body.values).toEqual([["1", "TRUE"]]);
    expect((await get("Sentences!B2:C2", "?valueRenderOption=UNFORMATTED_VALUE")).body.values).toEqual([[1, true]]);
    expect((await get("Sentences!A5:A100")).body.values).toEqual([[BOOK[3]], [BOOK[4]]]);
    expect((await get("Sentences!A1:B2", "?majorDimension=COLUMNS")).body.values).toEqual([
      ["sentence", BOOK[0]],
      ["index", "1"],
    ]);
    // An empty range has no `values`; an unknown tab is Google's 400.
    expect((await get("Sentences!A50:C60")).body).toEqual({ range: "'Sentences'!A50:C60", majorDimension: "ROWS" });
    const unknown = await get("Nope!A1");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
  });

  it("retries 429 and 5xx with backoff; a lasting failure or Google's refusal is a 502 sheets_error with Google's message", async () => {
    const email = "sheets.three@example.com";
    const { jar, userId } = await signedIn(email);
    await connect(jar, email);
    const job = await finishedJob(userId, BOOK);
    await fetch(`${SHEETS}/__faults`, { method: "POST", body: JSON.stringify({ fail: 2, status: 429 }) });
    const ok = await exportSheets(jar, { source: { job_id: job } });
    expect(ok.status).toBe(201);
    expect((await sheet((await json(ok)).spreadsheet_id)).sheets[0].values).toHaveLength(6);

    await fetch(`${SHEETS}/__faults`, { method: "POST", body: JSON.stringify({ fail: 50, status: 503 }) });
    const down = await exportSheets(jar, { source: { job_id: job } });
    await fetch(`${SHEETS}/__faults`, { method: "POST", body: JSON.stringify({ fail: 0 }) });
    expect(down.status).toBe(502);
    const downBody = await json(down);
    expect(downBody.error.code).toBe("sheets_error");
    expect(downBody.error.message).toContain("The service is currently unavailable.");

    const missing = await exportSheets(jar, { source: { job_id: job }, spreadsheet_id: "NoSuchSpreadsheet123" });
    expect(missing.status).toBe(502);
    expect((await json(missing)).error.message).toContain("Requested entity was not found.");
  });

  it("a grant revoked at Google is a 409 sheets_reconnect; disconnect revokes at the provider and forgets the tokens", async () => {
    const email = "sheets.four@example.com";
    const { jar, userId } = await signedIn(email);
    await connect(jar, email);
    const job = await finishedJob(userId, BOOK);
    expect((await exportSheets(jar, { source: { job_id: job } })).status).toBe(201);

    // The reader removes the app at myaccount.google.com: the cached access token fails, the refresh answers invalid_grant.
    await fetch(`${OIDC}/__revoke`, { method: "POST", body: JSON.stringify({ email }) });
    const revoked = await exportSheets(jar, { source: { job_id: job } });
    expect(revoked.status).toBe(409);
    const body = await json(revoked);
    expect(body.error.code).toBe("sheets_reconnect");
    expect(body.error.message).toMatch(/reconnect/i);
    expect(body.error.connect_url).toBeTruthy();
    expect(await tokenRow(userId)).toBeNull();

    // Reconnect, and an expired access token is refreshed on the way.
    await connect(jar, email);
    await fetch(`${OIDC}/__expire`, { method: "POST" });
    await env.DB.prepare("UPDATE google_sheets_tokens SET access_expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?")
      .bind(userId)
      .run();
    expect((await exportSheets(jar, { source: { job_id: job } })).status).toBe(201);

    const refresh = await decryptToken(env, userId, (await tokenRow(userId)).refresh_token);
    const gone = await appRequest(jar, "/api/v1/integrations/google-sheets", { method: "DELETE" });
    expect(gone.status).toBe(204);
    expect(await tokenRow(userId)).toBeNull();
    const { revocations, requests } = await json(await fetch(`${OIDC}/__revocations`));
    expect(revocations).toContain(refresh);
    // As Google documents it (GOOGLE_REVOKE_URL, here the stand-in's): POST, the token form-encoded.
    expect(requests.find((r: any) => r.token === refresh)).toMatchObject({
      method: "POST",
      content_type: "application/x-www-form-urlencoded",
      email,
    });
    expect(await json(await appRequest(jar, "/api/v1/integrations/google-sheets"))).toEqual({ connected: false, scopes: [] });
    const after = await exportSheets(jar, { source: { job_id: job } });
    expect(after.status).toBe(409);
    expect((await json(after)).error.code).toBe("sheets_not_connected");
  });

  it("the connect link only returns to a path of this site, and a refused consent stores nothing", async () => {
    const email = "sheets.five@example.com";
    const { jar, userId } = await signedIn(email);
    const { back } = await connect(jar, email, "https://evil.example/x");
    expect(back.headers.get("location")).toBe("/");
    await appRequest(jar, "/api/v1/integrations/google-sheets", { method: "DELETE" });
    const r = await appRequest(jar, "/api/v1/integrations/google-sheets/connect?return_to=/");
    const state = new URL(r.headers.get("location")!).searchParams.get("state");
    const denied = await appRequest(jar, `/api/v1/integrations/google-sheets/callback?error=access_denied&state=${state}`);
    expect(denied.status).toBe(400);
    expect(await denied.text()).toContain("not allowed");
    expect(await tokenRow(userId)).toBeNull();
    expect((await appRequest(new Jar(), "/api/v1/integrations/google-sheets/connect")).status).toBe(401);
  });

  it("a 1,000-page book goes in as few append requests as the limits allow", () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => [`Phrase numéro ${i}.`, i]);
    const b = batches(rows);
    expect(b.map((x) => x.length)).toEqual([10_000, 10_000, 5_000]);
    const long = Array.from({ length: 3_000 }, () => ["x".repeat(1_000)]);
    const lb = batches(long);
    expect(lb.length).toBe(2);
    expect(lb.flat().length).toBe(3_000);
    for (const part of lb) expect(JSON.stringify(part).length).toBeLessThanOrEqual(2_000_000);
  });
});
