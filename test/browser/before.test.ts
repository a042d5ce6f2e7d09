import path from "node:path";
import type { Browser, Page, Response } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Estimate } from "../../schema/before";
import { CORPUS, startStack, type Stack } from "../e2e/stack";
import { DESKTOP, expectLegible, failOnPageErrors, launch, openPage, screenshotBoth, screenshotDark, signInThroughUi } from "./browser";

// Before and after a job (issue 24) in the app: the estimate shown as soon as a book is chosen
// (read in the browser, its counts sent), the Pages field, "Process again with other settings"
// on the result page, and the same book uploaded twice. The Verne novel runs with the local
// engine, whose tokens are its text's: the estimate must come within 10% of them.

const VERNE = path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf");

let stack: Stack;
let browser: Browser;
let page: Page;
const errors: string[] = [];
beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
  page = await openPage(await browser.newContext({ viewport: DESKTOP }), errors);
  await signInThroughUi(page, stack.url, "before@example.com");
});

afterAll(() => Promise.all([browser?.close(), stack?.stop()]));
failOnPageErrors(errors);

const estimates = (p: Page) => p.waitForResponse((r: Response) => r.url().endsWith("/api/v1/estimate") && r.request().method() === "POST");
const panel = () => page.getByTestId("estimate");
const job = (id: string) => page.evaluate(async (jobId) => (await fetch(`/api/v1/jobs/${jobId}`)).json(), id);
const jobId = () => page.url().split("/jobs/")[1]!;

let firstJob = "";

test("shows the estimate as soon as the book is chosen, before it is sent; within 10% of the job's tokens", async () => {
  await page.goto(stack.url);
  const asked = estimates(page);
  await page.getByLabel("PDF file").setInputFiles(VERNE);
  const answer = await asked;
  // The browser read the book: only its counts went to the server, as JSON.
  expect(answer.request().headers()["content-type"]).toMatch(/^application\/json/);
  const sent = answer.request().postDataJSON();
  expect(sent).toMatchObject({ pages: 325, book_pages: 325, scanned: false });
  expect(sent.text_chars).toBeGreaterThan(600_000);
  const estimate = (await answer.json()) as Estimate;
  expect(estimate).toMatchObject({ page_count: 325, engine: "local", credits: { local: 0 }, balance_covers: true, refusals: [] });

  await expect.poll(() => panel().getByTestId("estimate-pages").textContent()).toContain("325 pages");
  expect(await panel().getByTestId("estimate-credits").textContent()).toContain("free");
  expect(await panel().getByTestId("estimate-time").textContent()).toMatch(/^about \d+ (s|min)/);
  expect(await panel().getByTestId("estimate-balance").textContent()).toContain("enough");
  expect(await page.getByTestId("pages-hint").textContent()).toContain("This book has 325 pages.");
  await screenshotBoth(page, "estimate", "form");
  await screenshotDark(page, "estimate", "form");
  await expectLegible(page, "upload with its estimate");

  // Nothing was stored or counted by the estimate.
  const limits = await page.evaluate(async () => (await fetch("/api/v1/limits")).json());
  expect(limits.jobs_per_hour.remaining).toBe(limits.jobs_per_hour.limit);
  expect(limits.storage.used_bytes).toBe(0);

  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  await page.getByText("Completed.").waitFor({ timeout: 120_000 });
  firstJob = jobId();
  const done = await job(firstJob);
  const ratio = estimate.estimated_tokens / done.actual_tokens;
  console.log(`Verne: estimate ${estimate.estimated_tokens} tokens, job ${done.actual_tokens} (ratio ${ratio.toFixed(4)})`);
  expect(Math.abs(ratio - 1)).toBeLessThan(0.1);
});

test("the Pages field: the estimate follows it, a range past the book's end is said under it", async () => {
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(VERNE);
  await expect.poll(() => panel().getByTestId("estimate-pages").textContent()).toContain("325 pages");
  const asked = estimates(page);
  await page.getByLabel("Pages").fill("10-20");
  const some = (await (await asked).json()) as Estimate;
  expect(some).toMatchObject({ page_count: 11, book_page_count: 325 });
  await expect.poll(() => panel().getByTestId("estimate-pages").textContent()).toContain("11 of 325 pages");
  await page.getByLabel("Pages").fill("300-400");
  await expect
    .poll(() => page.getByRole("alert").filter({ hasText: "page 400 is past the end of this book, which has 325 pages" }).count())
    .toBe(1);
  expect(await page.getByLabel("Pages").getAttribute("aria-invalid")).toBe("true");
  await expectLegible(page, "upload, a page range refused");
});

test("Process again with other settings: a new job on the stored book, no upload; the same book again is recognised", async () => {
  await page.goto(`${stack.url}/jobs/${firstJob}`);
  const rerun = page.getByTestId("rerun");
  await rerun.getByText("Process again with other settings").click();
  await rerun.getByLabel("Pages").fill("10-20");
  await rerun.getByLabel("Longest sentence (words)").fill("8");
  await screenshotBoth(page, "rerun", "[data-testid=rerun]");
  await expectLegible(page, "result, process again");
  const uploads: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/api/v1/jobs")) uploads.push(r.url());
  });
  await rerun.getByRole("button", { name: "Process again", exact: true }).click();
  await page.waitForURL((u) => /\/jobs\/[0-9a-f-]+$/.test(u.pathname) && !u.pathname.endsWith(firstJob));
  await page.getByText("Completed.").waitFor({ timeout: 60_000 });
  expect(uploads).toEqual([]);
  const again = await job(jobId());
  expect(again).toMatchObject({
    rerun_of: firstJob,
    page_count: 11,
    book_page_count: 325,
    settings: { pages: "10-20", sentence_length_limit: 8 },
  });
  await expect.poll(() => page.getByTestId("same-book").textContent()).toContain("processes again the book of");
  await expect.poll(() => page.getByText("11 of 325 pages (10-20)").count()).toBe(1);

  // The same file uploaded again: answered as usual, and the app says when it was processed.
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(VERNE);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  const note = page.getByTestId("same-book");
  await expect.poll(() => note.textContent()).toMatch(/You processed this book on /);
  expect(await note.getByRole("link").getAttribute("href")).toMatch(/^\/jobs\/[0-9a-f-]+$/);
  await expectLegible(page, "job, the same book again");
});
