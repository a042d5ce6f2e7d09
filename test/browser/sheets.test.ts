import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import type { JobResult } from "../../schema/api";
import type { LearningSentence, LearningSet } from "../../schema/learning";
import { CORPUS, startStack, type Stack } from "../e2e/stack";
import { DESKTOP, launch, openPage, PHONE, screenshotBoth, scrollWidth, signInThroughUi } from "./browser";

// "Export to Google Sheets" in Chromium against the `npm start` stack, offline: the Verne novel
// is processed, the first export asks the local provider's consent for drive.file, comes back and
// writes every sentence in order to a new spreadsheet of the local Sheets stand-in (read back
// through its controls); a learning set of the book goes into that spreadsheet in a new tab;
// the account page disconnects, and the next export asks again.

const VERNE = path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf");
const JOB_HEADER = ["sentence", "original", "page", "index", "word_count", "has_verb"];

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let jobId = "";
/** The stand-in's origin and the spreadsheet made by the first export. */
let sheets = "";
let spreadsheetId = "";
const errors: string[] = [];
const email = "george.sand@example.com";

beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
  context = await browser.newContext({ viewport: DESKTOP });
  page = await openPage(context, errors);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  // The 409 that sends the reader to the consent is expected; nothing else may go wrong.
  expect(errors.splice(0).filter((e) => !e.includes("409"))).toEqual([]);
});

/** A call of the API with the page's session (the cookie goes along). */
const api = <T>(url: string, body?: unknown): Promise<{ status: number; body: T }> =>
  page.evaluate(
    async ({ url, body }) => {
      const r = await fetch(
        url,
        body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
      );
      return { status: r.status, body: await r.json() };
    },
    { url, body },
  );

/** A spreadsheet as the stand-in keeps it: tabs with their values, bold cells and frozen rows. */
const readSheet = async () =>
  (await (await fetch(`${sheets}/__sheets/${spreadsheetId}`)).json()) as {
    title: string;
    sheets: Array<{ title: string; frozenRowCount: number; values: unknown[][]; bold: boolean[][] }>;
  };

test("first export asks for Google Sheets, comes back and writes every sentence of the Verne novel in order under a bold frozen header", async () => {
  await signInThroughUi(page, stack.url, email);
  await page.getByLabel("PDF file").setInputFiles(VERNE);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  jobId = page.url().split("/jobs/")[1]!;
  const exportButton = page.getByRole("button", { name: "Export to Google Sheets" });
  await exportButton.waitFor({ timeout: 240_000 });
  await exportButton.click();

  // The provider's consent for drive.file, the email already filled in (login_hint).
  await page.getByRole("heading", { name: "Allow access" }).waitFor();
  expect(await page.textContent("body")).toContain("only the specific Google Drive files you use with this app");
  expect(await page.getByLabel("Email").inputValue()).toBe(email);
  await page.getByRole("button", { name: "Continue" }).click();

  const link = page.getByRole("link", { name: "Open in Google Sheets" });
  await link.waitFor({ timeout: 60_000 });
  expect(page.url()).toBe(`${stack.url}/jobs/${jobId}`);
  const href = (await link.getAttribute("href"))!;
  const m = href.match(/^(http:\/\/127\.0\.0\.1:\d+)\/spreadsheets\/d\/([\w-]+)\/edit$/)!;
  expect(m).toBeTruthy();
  [sheets, spreadsheetId] = [m[1]!, m[2]!];

  const { body: result } = await api<JobResult>(`/api/v1/jobs/${jobId}/result`);
  expect(result.complete).toBe(true);
  expect(result.sentences.length).toBeGreaterThan(3000);
  const status = page.getByRole("group", { name: "Google Sheets" }).getByRole("status");
  expect(await status.textContent()).toContain(`${result.sentences.length.toLocaleString("en-US")} sentences written to “Sentences”.`);

  const ss = await readSheet();
  expect(ss.title).toBe("verne-deux-ans-de-vacances");
  const [tab] = ss.sheets;
  expect(tab!.title).toBe("Sentences");
  expect(tab!.frozenRowCount).toBe(1);
  expect(tab!.values[0]).toEqual(JOB_HEADER);
  expect(tab!.bold[0]).toEqual(JOB_HEADER.map(() => true));
  expect(tab!.bold.slice(1).flat().some(Boolean)).toBe(false);
  // Every sentence of the API's result, in order, with its page and 1-based index.
  expect(tab!.values.slice(1)).toEqual(
    result.sentences.map((s) => [s.text, s.original ?? "", s.page, s.index + 1, s.word_count, s.has_verb]),
  );

  await screenshotBoth(page, "sheets-export", '[role="group"][aria-labelledby="export-title"]');
  await page.setViewportSize(PHONE);
  expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);
}, 300_000);

test("a learning set of the book goes into that spreadsheet in a new tab, with its own bold frozen header", async () => {
  const made = await api<LearningSet>("/api/v1/learning-sets", { job_ids: [jobId] });
  expect(made.status).toBe(201);
  let set = made.body;
  for (let i = 0; i < 600 && set.status === "running"; i++) {
    await new Promise((r) => setTimeout(r, 200));
    set = (await api<LearningSet>(`/api/v1/learning-sets/${set.id}`)).body;
  }
  expect(set.status).toBe("completed");
  const { body: list } = await api<{ sentences: LearningSentence[] }>(`/api/v1/learning-sets/${set.id}/sentences`);
  expect(list.sentences.length).toBeGreaterThan(10);

  const r = await api<{ spreadsheet_id: string; sheet_title: string; rows: number }>("/api/v1/exports/sheets", {
    source: { learning_set_id: set.id },
    spreadsheet_id: spreadsheetId,
  });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ spreadsheet_id: spreadsheetId, sheet_title: "Learning set", rows: list.sentences.length });

  const ss = await readSheet();
  expect(ss.sheets.map((s) => s.title)).toEqual(["Sentences", "Learning set"]);
  const tab = ss.sheets[1]!;
  const header = [...JOB_HEADER, "rank", "new_words", "list_words", "known_ratio"];
  expect(tab.values[0]).toEqual(header);
  expect(tab.bold[0]).toEqual(header.map(() => true));
  expect(tab.frozenRowCount).toBe(1);
  // The selection in rank order: its sentences and new words.
  expect(tab.values.slice(1).map((row) => [row[6], row[0], row[7]])).toEqual(
    list.sentences.map((s) => [s.rank, s.text, s.new_words.join(", ")]),
  );
  // The book's tab is as it was.
  expect(ss.sheets[0]!.values).toHaveLength((await api<JobResult>(`/api/v1/jobs/${jobId}/result`)).body.sentences.length + 1);
}, 180_000);

test("the account page shows Google Sheets connected and disconnects: the grant is revoked, and the next export asks again", async () => {
  await page.getByRole("link", { name: "Account" }).click();
  const card = page.getByRole("region", { name: "Google Sheets" });
  await expect.poll(() => card.textContent()).toContain("Google Sheets: connected");
  await screenshotBoth(page, "sheets-account", 'section[aria-labelledby="sheets-title"]');

  const revokedBefore = ((await (await fetch(`${stack.oidc}/__revocations`)).json()) as { revocations: string[] }).revocations.length;
  await card.getByRole("button", { name: "Disconnect" }).click();
  await expect.poll(() => card.textContent()).toContain("not connected");
  expect((await api<{ connected: boolean; scopes: string[] }>("/api/v1/integrations/google-sheets")).body).toEqual({
    connected: false,
    scopes: [],
  });
  // Revoked at the provider (Google's revocation endpoint), not only forgotten here.
  const { revocations } = (await (await fetch(`${stack.oidc}/__revocations`)).json()) as { revocations: string[] };
  expect(revocations.length).toBe(revokedBefore + 1);

  await page.goto(`${stack.url}/jobs/${jobId}`);
  await page.getByRole("button", { name: "Export to Google Sheets" }).click();
  await page.getByRole("heading", { name: "Allow access" }).waitFor();
  expect(await page.textContent("body")).toContain("only the specific Google Drive files you use with this app");
});
