import { statSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CORPUS, startStack, type Stack } from "../e2e/stack";
import { DESKTOP, launch, openPage, PHONE, screenshotBoth, scrollWidth, signInThroughUi } from "./browser";

// Credits and limits in Chromium, with a stack where they matter: the local engine charges
// 1 credit per 1,000 tokens, 20 credits a month, 3 new books an hour, ~1.1 MB of storage.
// One reader, in order: a book that fits, one too big for the credits, one over the storage
// quota, every credit held (402), the hold cancelled, then one book too many this hour (429);
// the account page then shows it all, the credit history in two pages.

const EXTRAIT = path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf");
const VERNE = path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf");
const UNE_VIE = path.join(CORPUS, "novels/maupassant-une-vie.pdf");
const QUOTA = 1_200_000;
const LEDGER = /\/api\/v1\/credits\/ledger\?/;

let stack: Stack;
let browser: Browser;
let page: Page;
let extraitUrl = "";
let charged = 0;
const errors: string[] = [];

beforeAll(async () => {
  // The extract (31 KB) and Verne (830 KB) fit the quota; the whole Une vie (506 KB) then does not.
  expect(statSync(EXTRAIT).size + statSync(VERNE).size).toBeLessThan(QUOTA);
  expect(statSync(EXTRAIT).size + statSync(VERNE).size + statSync(UNE_VIE).size).toBeGreaterThan(QUOTA + 64 * 1024);
  stack = await startStack({
    CREDIT_PRICES: JSON.stringify({ local: 1, "gemini-2.5-flash": 1, "gemini-2.5-flash-lite": 0.4, "gemini-2.5-pro": 4 }),
    MONTHLY_CREDITS: "20",
    MAX_JOBS_PER_HOUR: "3",
    STORAGE_QUOTA_BYTES: String(QUOTA),
  });
  browser = await launch();
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await openPage(context, errors);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  expect(errors.splice(0), "console errors and uncaught exceptions").toEqual([]);
});

/** Chromium logs every 4xx answer; one provoked on purpose is not an error of the app. */
function forgetRefusalLog(status: number) {
  const i = errors.findIndex((e) => e.includes(`status of ${status}`));
  if (i >= 0) errors.splice(i, 1);
}

const api = <T = any>(p: string, init?: { method?: string; json?: unknown }) =>
  page.evaluate(
    async ({ p, init }) => {
      const r = await fetch(p, {
        method: init?.method ?? "GET",
        headers: init?.json === undefined ? {} : { "content-type": "application/json" },
        body: init?.json === undefined ? undefined : JSON.stringify(init.json),
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    { p, init },
  ) as Promise<{ status: number; body: T }>;

/** The day as the app writes it (the browser's locale). */
const day = (iso: string) => page.evaluate((iso) => new Intl.DateTimeFormat(undefined, { dateStyle: "long" }).format(new Date(iso)), iso);

const text = async (testId: string) => ((await page.getByTestId(testId).textContent()) ?? "").replace(/\s+/g, " ").trim();

async function uploadThroughUi(file: string) {
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(file);
  await page.getByText(path.basename(file)).waitFor();
  await page.getByRole("button", { name: "Upload" }).click();
}

const pickerError = () => page.locator("#pdf-file-error");

test("a new account shows 20 credits, the allowance and its renewal, empty storage and 3 books left", async () => {
  await signInThroughUi(page, stack.url, "ada.lovelace@example.com");
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByRole("heading", { name: "Credits", exact: true }).waitFor();
  await expect.poll(() => text("credits-available")).toBe("20");
  expect(await text("credits-balance")).toBe("20");
  expect(await text("credits-reserved")).toBe("0");
  const { body: credits } = await api("/api/v1/credits");
  expect(await text("credits-allowance")).toContain("Monthly allowance: 20 credits, renews on");
  expect(await text("credits-allowance")).toContain(await day(credits.period_end));

  const bar = page.getByRole("progressbar", { name: "Storage" });
  await bar.waitFor();
  expect(await bar.getAttribute("aria-valuenow")).toBe("0");
  expect(await bar.getAttribute("aria-valuemax")).toBe(String(QUOTA));
  expect(await text("storage-text")).toBe("0 B of 1.1 MB used");
  expect(await text("jobs-left")).toBe("3 of 3 left");

  const rows = page.getByRole("table").locator("tbody tr");
  await expect.poll(() => rows.count()).toBe(1);
  expect(await rows.first().textContent()).toContain("Monthly allowance");
  expect(await rows.first().textContent()).toContain("+20");
});

test("a completed job shows its estimated and charged credits, on its page and in History", async () => {
  await uploadThroughUi(EXTRAIT);
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  extraitUrl = page.url();
  await page.getByText("Completed.").waitFor({ timeout: 60_000 });
  const credits = page.getByTestId("job-credits");
  await expect.poll(() => credits.textContent()).toMatch(/[\d.]+ charged/);
  const shown = (await credits.textContent())!.replace(/\s+/g, " ").trim();
  const m = shown.match(/^Credits: ~([\d.]+) estimated · ([\d.]+) charged \(1 credit per 1,000 tokens\)$/);
  expect(m, shown).not.toBeNull();
  const [estimated, actual] = [Number(m![1]), Number(m![2])];
  // The local engine bills its own token estimate of the chunks done: all of them here.
  expect(actual).toBe(estimated);
  expect(actual).toBeGreaterThan(2);
  expect(actual).toBeLessThan(8);
  charged = actual;
  const { body: job } = await api(`/api/v1/jobs/${extraitUrl.split("/jobs/")[1]}`);
  expect(job).toMatchObject({ estimated_credits: estimated, actual_credits: actual, pricing_rate: 1 });

  await page.getByRole("link", { name: "History" }).click();
  const item = page.locator("li.job").first();
  await expect.poll(() => item.textContent()).toContain(`${actual} credits`);
});

test("a book that needs more credits than are left ends failed, saying so plainly", async () => {
  await uploadThroughUi(VERNE);
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  const outcome = page.getByTestId("insufficient-credits");
  await outcome.waitFor({ timeout: 90_000 });
  const words = (await outcome.textContent())!.replace(/\s+/g, " ");
  expect(words).toContain("Not enough credits for this book.");
  expect(words).toMatch(/It needs about [\d.]+ credits and [\d.]+ are available\./);
  expect(words).toContain("nothing was charged");
  const needed = Number(words.match(/needs about ([\d.]+)/)![1]);
  expect(needed).toBeGreaterThan(100);
  await expect.poll(() => page.getByTestId("job-credits").textContent()).toMatch(/~[\d.]+ estimated · 0 charged/);

  await page.setViewportSize(PHONE);
  expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);

  await outcome.getByRole("link", { name: "See your credits and when they renew" }).click();
  await page.waitForURL(`${stack.url}/account`);
  await expect.poll(() => text("credits-available")).toBe(String(Math.round((20 - charged) * 1000) / 1000));
});

test("an upload over the storage quota says so next to the file picker", async () => {
  await uploadThroughUi(UNE_VIE);
  await pickerError().waitFor();
  const words = (await pickerError().textContent())!.replace(/\s+/g, " ").trim();
  expect(words).toContain("This file would go over your storage space: 841 KB of 1.1 MB used.");
  expect(words).toContain("Delete books you no longer need to make room.");
  expect(await pickerError().getByRole("link", { name: "Open History to delete books" }).getAttribute("href")).toBe("/jobs");
  expect(await page.getByLabel("PDF file").getAttribute("aria-describedby")).toContain("pdf-file-error");
  expect(new URL(page.url()).pathname).toBe("/");
  forgetRefusalLog(413);
});

let reservation = "";

test("with every credit held, an upload says there are none available and when they renew", async () => {
  // A program holds all that is left (the original tool's first step); at 1 credit per
  // 1,000 tokens, a credit's thousandth is one token.
  const { body: before } = await api("/api/v1/credits");
  const held = await api("/api/v1/credits/reserve", { method: "POST", json: { estimated_tokens: Math.round(before.available * 1000) } });
  expect(held.status).toBe(201);
  reservation = held.body.job_id;
  expect(held.body.available).toBe(0);

  await uploadThroughUi(EXTRAIT);
  await pickerError().waitFor();
  const words = (await pickerError().textContent())!.replace(/\s+/g, " ").trim();
  expect(words).toContain("You have no credits available to start a book.");
  expect(words).toContain("Some are held for jobs not finished yet");
  expect(words).toContain(`Your monthly credits renew on ${await day(before.period_end)}.`);
  expect(await pickerError().getByRole("link", { name: "See your credits" }).getAttribute("href")).toBe("/account");
  forgetRefusalLog(402);
});

test("History shows the reservation; cancelling it gives the credits back", async () => {
  await page.goto(`${stack.url}/jobs`);
  const item = page.locator(`li.job[data-job-id="${reservation}"]`);
  await item.waitFor();
  const facts = (await item.textContent())!.replace(/\s+/g, " ");
  expect(facts).toContain("Reserved upload (no file yet)");
  expect(facts).toContain("Reserved");
  expect(facts).toMatch(/[\d.]+ credits held/);
  await item.getByRole("link", { name: "Open Reserved upload (no file yet)" }).click();
  await page.getByRole("heading", { name: "Credits held, waiting for the book" }).waitFor();
  await page.getByRole("button", { name: "Cancel reservation" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel reservation" }).click();
  await page.getByText("Reservation cancelled.").waitFor();
  const { body: credits } = await api("/api/v1/credits");
  expect(credits.reserved).toBe(0);
  expect(credits.available).toBeCloseTo(20 - charged, 3);
});

test("an upload over the hourly limit says how many an hour and when to try again", async () => {
  await uploadThroughUi(EXTRAIT);
  await pickerError().waitFor();
  const words = (await pickerError().textContent())!.replace(/\s+/g, " ").trim();
  // The extract, Verne and the reservation took the three slots of this hour.
  // The oldest of them frees its slot an hour after it was taken: a few seconds ago.
  expect(words).toMatch(/^You can start 3 books an hour\. Try again in (1 hour|5\d minutes)\./);
  expect(await page.getByLabel("PDF file").getAttribute("aria-describedby")).toContain("pdf-file-error");
  forgetRefusalLog(429);
  await screenshotBoth(page, "credits-refused");
});

test("the account page shows the credits, limits and the credit history in pages", async () => {
  // Pages of 3 here (the app asks for 10), so that this short history has two.
  await page.route(LEDGER, (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set("limit", "3");
    return route.continue({ url: url.href });
  });
  await page.goto(`${stack.url}/account`);
  const left = String(Math.round((20 - charged) * 1000) / 1000);
  await expect.poll(() => text("credits-available")).toBe(left);
  expect(await text("credits-balance")).toBe(left);
  expect(await text("credits-reserved")).toBe("0");

  const used = statSync(EXTRAIT).size + statSync(VERNE).size;
  const bar = page.getByRole("progressbar", { name: "Storage" });
  await bar.waitFor();
  expect(await bar.getAttribute("aria-valuenow")).toBe(String(used));
  expect(await bar.getAttribute("aria-valuetext")).toBe("841 KB of 1.1 MB used (72%)");
  expect(await text("storage-text")).toBe("841 KB of 1.1 MB used");
  expect(await text("jobs-left")).toBe("0 of 3 left");

  const rows = page.getByRole("table").locator("tbody tr");
  await expect.poll(() => rows.count()).toBe(3);
  const older = page.getByRole("button", { name: "Older entries" });
  // By keyboard: the next page's first entry takes the focus.
  await older.focus();
  await page.keyboard.press("Enter");
  await expect.poll(() => rows.count()).toBe(5);
  expect(await older.count()).toBe(0);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe(await rows.nth(3).getAttribute("id"));

  // Newest first: the hold cancelled, the hold, the extract charged, the extract held, the allowance.
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-kind")))).toEqual([
    "release",
    "reserve",
    "settle",
    "reserve",
    "grant",
  ]);
  const row = async (i: number) => ((await rows.nth(i).textContent()) ?? "").replace(/\s+/g, " ");
  expect(await row(0)).toContain("Hold given back (reservation cancelled)");
  // Book names come from the job list, read beside the ledger.
  await expect.poll(() => row(0)).toContain("Reservation (no file sent)");
  expect(await row(2)).toContain("Charged for a job");
  expect(await row(2)).toContain(`−${charged}`);
  expect(await row(2)).toContain("maupassant-une-vie-extrait.pdf");
  expect(await row(3)).toContain(`${charged} held`);
  expect(await row(4)).toContain("Monthly allowance");
  expect(await row(4)).toContain("+20");
  // Balance after: the charge is the only change to it.
  expect((await rows.nth(2).locator("td").last().textContent())!.trim()).toBe(left);
  expect((await rows.nth(4).locator("td").last().textContent())!.trim()).toBe("20");
  // The job column links to the job.
  expect(await rows.nth(2).getByRole("link", { name: "maupassant-une-vie-extrait.pdf" }).getAttribute("href")).toBe(
    new URL(extraitUrl).pathname,
  );
  expect(await rows.nth(4).getByRole("link").count()).toBe(0);

  await page.getByRole("heading", { name: "Where you are signed in" }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshotBoth(page, "credits");
  await page.setViewportSize(PHONE);
  expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);
  await page.unroute(LEDGER);
});

test("a finished job's page fits a phone with its credits", async () => {
  await page.goto(extraitUrl);
  await page.getByText("Completed.").waitFor();
  await page.getByTestId("job-credits").waitFor();
  await page.setViewportSize(PHONE);
  expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);
  await screenshotBoth(page, "credits-job");
});
