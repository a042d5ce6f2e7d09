import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CORPUS, startStack, type Stack } from "../e2e/stack";
import { DESKTOP, launch, openPage, signInThroughUi } from "./browser";

// "Export to Google Sheets" in Chromium against the `npm start` stack: the first export asks
// the local provider's consent for drive.file, comes back and exports; the sheet is read back
// from the local Sheets stand-in; the account page disconnects.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

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

test("first export asks for Google Sheets, comes back, exports, links to the sheet; the account page disconnects", async () => {
  const email = "george.sand@example.com";
  await signInThroughUi(page, stack.url, email);
  const id = await page.evaluate(async (bytes) => {
    const form = new FormData();
    form.set("pdf_file", new Blob([new Uint8Array(bytes)], { type: "application/pdf" }), "une-vie.pdf");
    const r = await fetch("/api/v1/jobs", { method: "POST", body: form });
    return ((await r.json()) as { id: string }).id;
  }, Array.from(EXTRAIT));
  await page.goto(`${stack.url}/jobs/${id}`);
  const exportButton = page.getByRole("button", { name: "Export to Google Sheets" });
  await exportButton.waitFor({ timeout: 120_000 });
  await exportButton.click();

  // The provider's consent for drive.file, the email already filled in (login_hint).
  await page.getByRole("heading", { name: "Allow access" }).waitFor();
  expect(await page.textContent("body")).toContain("only the specific Google Drive files you use with this app");
  expect(await page.getByLabel("Email").inputValue()).toBe(email);
  await page.getByRole("button", { name: "Continue" }).click();

  const link = page.getByRole("link", { name: "Open in Google Sheets" });
  await link.waitFor({ timeout: 60_000 });
  expect(page.url()).toBe(`${stack.url}/jobs/${id}`);
  const href = (await link.getAttribute("href"))!;
  const m = href.match(/^(http:\/\/127\.0\.0\.1:\d+)\/spreadsheets\/d\/([\w-]+)\/edit$/)!;
  expect(m).toBeTruthy();
  const sheet = (await (await fetch(`${m[1]}/__sheets/${m[2]}`)).json()) as any;
  expect(sheet.title).toBe("une-vie");
  expect(sheet.sheets[0].frozenRowCount).toBe(1);
  expect(sheet.sheets[0].values[0][0]).toBe("sentence");
  expect(sheet.sheets[0].bold[0][0]).toBe(true);
  expect(sheet.sheets[0].values.length).toBeGreaterThan(10);

  await page.getByRole("link", { name: "Account" }).click();
  const card = page.getByRole("region", { name: "Google Sheets" });
  await expect.poll(() => card.textContent()).toContain("Google Sheets: connected");
  await card.getByRole("button", { name: "Disconnect" }).click();
  await expect.poll(() => card.textContent()).toContain("not connected");
});
