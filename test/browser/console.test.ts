import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CORPUS, getJson, signIn, startStack, upload, waitFor, type Stack } from "../e2e/stack";
import { startFakeGemini, type FakeGemini } from "../fake-gemini/server";
import { DESKTOP, expectLegible, launch, openPage, PHONE, screenshotBoth, screenshotDark, scrollWidth, signInThroughUi } from "./browser";

// The operator console in Chromium, on real data: a reader's jobs run on the Gemini engine
// (played by the fake server), one of them left partial by SAFETY refusals; an operator
// (ADMIN_EMAILS) watches health and charts, finds the job, retries its failed pages, pauses
// and resumes intake, grants credits, and sees it all in the audit log. A reader who is not an
// operator gets "Operators only" and no Console link.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));
const FINAL = ["completed", "partial", "failed", "cancelled"];
const OPS = "ops@example.com";
const READER = "reader@example.com";

let fake: FakeGemini;
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let readerToken = "";
let partialId = "";
let partialFailed = 0;
const errors: string[] = [];

async function finished(id: string) {
  return waitFor(
    async () => {
      const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, readerToken);
      return FINAL.includes(body.status) ? body : undefined;
    },
    120_000,
    `job ${id} to end`,
  );
}

async function uploadAs(name: string) {
  const res = await upload(stack.url, readerToken, new Uint8Array(EXTRAIT), name);
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  fake = await startFakeGemini();
  stack = await startStack({
    ADMIN_EMAILS: OPS,
    CHUNK_CHARS: "600",
    GEMINI_CHUNK_CHARS: "600",
    GEMINI_API_KEY: "console-test-key",
    GEMINI_BASE_URL: fake.url,
    RETRY_BASE_SECONDS: "1",
  });
  readerToken = await signIn(stack.url, READER);

  // Real data: a whole job, then one whose first chunks Gemini refuses (SAFETY fails a chunk
  // at once, without retries), so it ends partial.
  const whole = await uploadAs("une-vie-entiere.pdf");
  expect((await finished(whole)).status).toBe("completed");
  fake.control({ sequence: ["safety", "safety", "safety"] });
  partialId = await uploadAs("une-vie-partielle.pdf");
  const partial = await finished(partialId);
  expect(partial.status).toBe("partial");
  partialFailed = partial.failed_chunks;
  expect(partialFailed).toBeGreaterThan(0);

  browser = await launch();
  context = await browser.newContext({ viewport: DESKTOP });
  page = await openPage(context, errors);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

afterEach(() => {
  expect(errors.splice(0), "console errors and uncaught exceptions").toEqual([]);
});

test("an operator's console shows health, charts, failures and spend from real data", async () => {
  await signInThroughUi(page, stack.url, OPS);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Console" }).click();
  await page.waitForURL(/\/admin$/);
  await page.getByRole("heading", { name: "Console", level: 1 }).waitFor();

  // Health: queues (backlog and age, or "not available"), intake, running jobs, D1/R2.
  await page.getByTestId("intake").getByText("Open").waitFor();
  const queues = page.locator("tr[data-queue]");
  await expect.poll(() => queues.count()).toBe(4);
  const chunkQueue = (await page.locator('tr[data-queue="fnt-chunks"]').textContent())!;
  expect(chunkQueue).toMatch(/not available|\d/);
  expect(chunkQueue).toMatch(/ago/); // its consumer ran
  expect(await page.locator('tr[data-queue="fnt-chunks-dlq"]').textContent()).toContain("not available");
  expect(await page.getByRole("region", { name: "Health" }).textContent()).toMatch(/D1\s*OK/);

  // uPlot charts drawn on canvases of real size, with the pages done in the last hour.
  await page.locator(".uplot canvas").first().waitFor();
  const box = await page.locator(".uplot canvas").first().boundingBox();
  expect(box!.width).toBeGreaterThan(100);
  expect(box!.height).toBeGreaterThan(100);
  expect(await page.locator(".uplot").count()).toBeGreaterThanOrEqual(3); // throughput, latency, spend
  const summary = (await page.getByTestId("throughput-summary").textContent())!;
  expect(Number(/([\d,]+) pages/.exec(summary)![1]!.replace(/,/g, ""))).toBeGreaterThan(0);
  expect(await page.getByTestId("latency-table").textContent()).toContain("gemini-2.5-flash");

  // Failures by class, linking to the job hit.
  const safety = page.locator('li[data-error-class="safety"]');
  await safety.waitFor();
  expect(await safety.textContent()).toMatch(/safety reasons/);
  expect(await safety.locator(`a[href="/admin/jobs/${partialId}"]`).count()).toBe(1);

  // Spend: per day and engine/model, and the reader at the top.
  expect(await page.getByTestId("spend-table").textContent()).toContain("gemini · gemini-2.5-flash");
  expect(await page.getByTestId("top-users").textContent()).toContain(READER);

  // The range switch reloads the panels.
  await page.getByRole("radio", { name: "Week" }).check();
  await expect.poll(() => page.getByTestId("throughput-summary").textContent()).toContain("2 h");
  await page.getByRole("radio", { name: "Hour" }).check();
  await expect.poll(() => page.getByTestId("throughput-summary").textContent()).toContain("1 min");

  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshotBoth(page, "console");
  // The charts, further down.
  await page.getByRole("group", { name: /Panels below/ }).evaluate((el) => el.scrollIntoView());
  await screenshotBoth(page, "console-charts");
  await screenshotDark(page, "console-charts", "fieldset.range");
  await expectLegible(page, "console");
  await page.setViewportSize(PHONE);
  expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);
});

test("the jobs list finds a job by file name; its page shows the chunk grid", async () => {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Jobs" }).click();
  await page.getByRole("heading", { name: "Jobs", level: 1 }).waitFor();
  const items = page.getByRole("list", { name: "Jobs" }).getByRole("listitem");
  await expect.poll(() => items.count()).toBe(2);
  // Newest first.
  expect(await items.first().textContent()).toContain("une-vie-partielle.pdf");

  await page.getByLabel("Search").fill("partielle");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/q=partielle/);
  await expect.poll(() => items.count()).toBe(1);
  expect(await items.first().textContent()).toContain(READER);
  await page.getByRole("link", { name: "une-vie-partielle.pdf" }).click();

  await page.waitForURL(new RegExp(`/admin/jobs/${partialId}$`));
  await page.getByRole("heading", { name: "une-vie-partielle.pdf" }).waitFor();
  const grid = page.getByTestId("chunk-grid");
  await grid.waitFor();
  const job = (await getJson(`${stack.url}/api/v1/jobs/${partialId}`, readerToken)).body;
  expect(await grid.locator("button").count()).toBe(job.total_chunks);
  expect(await grid.locator('button[data-state="failed"]').count()).toBe(partialFailed);
  expect(await page.getByText(READER).first().isVisible()).toBe(true);
  expect(await page.getByTestId("event-log").locator("tbody tr").count()).toBeGreaterThan(2);

  // A failed cell tells its error; the grid is one tab stop, moved through with the arrow keys.
  const failed = grid.locator('button[data-state="failed"]').first();
  await failed.click();
  const detail = page.getByTestId("chunk-detail");
  await detail.waitFor();
  expect(await detail.textContent()).toContain("safety");
  expect(await grid.locator('button[tabindex="0"]').count()).toBe(1);
  await failed.press("End");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-chunk"))).toBe(String(job.total_chunks - 1));
  await page.keyboard.press("Home");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-chunk"))).toBe("0");

  // The job's files are links: the uploaded PDF downloads byte for byte, with the operator's cookie.
  const sourceLink = page.getByTestId("file-link").filter({ hasText: "source.pdf" });
  const [download] = await Promise.all([page.waitForEvent("download"), sourceLink.click()]);
  expect(download.suggestedFilename()).toBe("source.pdf");
  expect(new Uint8Array(readFileSync((await download.path())!))).toEqual(new Uint8Array(EXTRAIT));

  await screenshotBoth(page, "console-job");
  await expectLegible(page, "console, a job");
  await page.setViewportSize(PHONE);
  expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  await page.setViewportSize(DESKTOP);
});

test("Retry failed pages completes the partial job", async () => {
  // Gemini answers again.
  fake.control({ sequence: [], always: null });
  await page.getByRole("button", { name: "Retry failed pages" }).click();
  await page.getByText(/Retrying \d+ failed chunks?\./).waitFor();
  // The page follows the job while it runs.
  await page.locator(".title").getByText("Completed").waitFor({ timeout: 90_000 });
  const job = (await getJson(`${stack.url}/api/v1/jobs/${partialId}`, readerToken)).body;
  expect(job.status).toBe("completed");
  expect(job.failed_chunks).toBe(0);
  await expect.poll(() => page.getByTestId("chunk-grid").locator('button[data-state="failed"]').count()).toBe(0);
  expect(await page.getByRole("button", { name: "Retry failed pages" }).isDisabled()).toBe(true);
});

test("Cancel, behind a confirmation, stops a running job", async () => {
  fake.control({ latencyMs: 1500 }); // slow Gemini: the job is still running when we look
  const id = await uploadAs("a-annuler.pdf");
  try {
    await page.goto(`${stack.url}/admin/jobs/${id}`);
    const cancel = page.getByRole("button", { name: "Cancel job" });
    await cancel.click();
    const dialog = page.getByRole("dialog", { name: "Cancel this job?" });
    await dialog.getByRole("button", { name: "Keep it running" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect((await getJson(`${stack.url}/api/v1/jobs/${id}`, readerToken)).body.status).not.toBe("cancelled");
    await cancel.click();
    await dialog.getByRole("button", { name: "Cancel job" }).click();
    await page.getByText("The job was cancelled.").waitFor();
    await page.locator(".title").getByText("Cancelled").waitFor();
    expect((await getJson(`${stack.url}/api/v1/jobs/${id}`, readerToken)).body.status).toBe("cancelled");
    expect(await page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);
  } finally {
    fake.control({ latencyMs: 0 });
  }
});

test("pausing intake refuses uploads with 503 until it is resumed", async () => {
  await page.goto(`${stack.url}/admin`);
  const intake = page.getByTestId("intake");
  await intake.getByText("Open").waitFor();
  await intake.getByRole("button", { name: "Pause intake" }).click();
  const dialog = page.getByRole("dialog", { name: "Pause intake?" });
  await dialog.getByRole("button", { name: "Pause intake" }).click();
  await intake.getByText("Paused").waitFor();

  const refused = await upload(stack.url, readerToken, new Uint8Array(EXTRAIT), "refused.pdf");
  expect(refused.status).toBe(503);

  await intake.getByRole("button", { name: "Resume intake" }).click();
  await page.getByRole("dialog", { name: "Resume intake?" }).getByRole("button", { name: "Resume intake" }).click();
  await intake.getByText("Open").waitFor();
  const taken = await upload(stack.url, readerToken, new Uint8Array(EXTRAIT), "after-resume.pdf");
  expect(taken.status).toBe(202);

  const audit = page.getByTestId("audit-log");
  await expect.poll(() => audit.locator('tr[data-action="intake.pause"]').count()).toBe(1);
  await expect.poll(() => audit.locator('tr[data-action="intake.resume"]').count()).toBe(1);
  expect(await audit.locator('tr[data-action="job.retry"]').textContent()).toContain(OPS);
  expect(await audit.locator('tr[data-action="job.cancel"]').textContent()).toMatch(/→ cancelled/);
});

test("a grant of credits shows up in the audit log", async () => {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Users" }).click();
  await page.getByLabel("User's email").fill(READER);
  await page.getByRole("button", { name: "Find user" }).click();
  expect(await page.getByRole("radio", { name: new RegExp(READER) }).isChecked()).toBe(true);
  await page.getByLabel("Credits", { exact: true }).fill("25");
  await page.getByLabel("Note", { exact: true }).fill("Sorry for the refused pages");
  await page.getByRole("button", { name: `Grant credits to ${READER}` }).click();
  await page.getByText(`Granted 25 credits to ${READER}.`).waitFor();
  await expectLegible(page, "console, users");

  const ledger = (await getJson(`${stack.url}/api/v1/credits/ledger`, readerToken)).body;
  expect(JSON.stringify(ledger)).toContain("Sorry for the refused pages");

  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Overview" }).click();
  const row = page.getByTestId("audit-log").locator('tr[data-action="credits.grant"]');
  await row.waitFor();
  expect(await row.textContent()).toContain("25 credits: “Sorry for the refused pages”");
  expect(await row.textContent()).toContain(OPS);
});

test("a reader who is not an operator sees no Console link, and /admin says Operators only", async () => {
  const other = await browser.newContext({ viewport: DESKTOP });
  const readerPage = await openPage(other, errors);
  try {
    await signInThroughUi(readerPage, stack.url, READER);
    expect(await readerPage.getByRole("link", { name: "Console" }).count()).toBe(0);
    await readerPage.goto(`${stack.url}/admin`);
    await readerPage.getByRole("heading", { name: "Operators only" }).waitFor();
    expect(await readerPage.locator("table, .uplot").count()).toBe(0);
    await expectLegible(readerPage, "console, operators only");
    expect(await readerPage.getByText(OPS).count()).toBe(0);
    await readerPage.goto(`${stack.url}/admin/jobs/${partialId}`);
    await readerPage.getByRole("heading", { name: "Operators only" }).waitFor();
    // The API itself refuses them.
    const res = await readerPage.evaluate(async () => (await fetch("/api/v1/admin/overview")).status);
    expect(res).toBe(403);
    errors.splice(0); // Chromium logs that 403: expected here
  } finally {
    await other.close();
  }
});
