import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { scan, SCAN_PAGE_BYTES, textBook } from "../../bench/memory-inputs";
import { startStack, waitFor, type Stack } from "../e2e/stack";
import { scanPageSentences, startFakeGemini, type FakeGemini } from "../fake-gemini/server";
import { statSync } from "node:fs";
import { launch, openPage, signInThroughUi } from "./browser";

// Issue 14's big book in a real browser: a 200 MB scan (400 pages of noise, nothing
// compresses away) is more than the server opens in one file (MAX_PART_BYTES, 24 MiB), so the
// web app cuts it into parts in the page (pdf-lib) and sends them as one job with one upload
// progress bar; the server reads each part within its memory budget and Gemini (the fake
// server) reads the pages, numbered across the parts.

const MIB = 1024 * 1024;
let fake: FakeGemini;
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let file = "";
const errors: string[] = [];

beforeAll(async () => {
  file = await scan(200);
  fake = await startFakeGemini();
  stack = await startStack({ GEMINI_API_KEY: "big-book-key", GEMINI_BASE_URL: fake.url, RETRY_BASE_SECONDS: "1" });
  browser = await launch();
  context = await browser.newContext();
  page = await openPage(context, errors);
  await signInThroughUi(page, stack.url, "big-book@example.com");
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

test("a 200 MB scan is cut into parts in the browser, sent as one job and read whole", async () => {
  const size = statSync(file).size;
  expect(size).toBeGreaterThan(200 * MIB);
  const pages = Math.round(size / SCAN_PAGE_BYTES);

  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(file);
  await page.getByRole("button", { name: "Upload" }).click();
  // First the cutting, then one progress bar for all the parts.
  const status = page.getByTestId("upload-status");
  await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/in \d+ parts/);
  const parts = Number(/in (\d+) parts/.exec((await status.textContent()) ?? "")?.[1]);
  expect(parts).toBeGreaterThanOrEqual(9);
  const progress = page.getByLabel("Upload progress");
  const seen = new Set<string>();
  const sampler = setInterval(
    () =>
      void progress.getAttribute("value").then(
        (v) => v && seen.add(v),
        () => undefined,
      ),
    200,
  );
  await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/, { timeout: 300_000 });
  clearInterval(sampler);
  // The bar moved through the upload, not only at its end.
  expect([...seen].filter((v) => Number(v) > 0 && Number(v) < 100).length).toBeGreaterThan(2);

  const id = page.url().split("/").pop()!;
  // As the signed-in reader: the browser context's session cookie (the dev sign-in would be another user).
  const get = async (p: string) => (await context.request.get(`${stack.url}${p}`)).json();
  let last: any = null;
  const job = await waitFor(
    async () => {
      last = await get(`/api/v1/jobs/${id}`);
      return ["completed", "partial", "failed", "cancelled"].includes(last.status) ? last : undefined;
    },
    600_000,
    "the big book to end",
  ).catch((err) => {
    throw new Error(`${err.message}: last seen ${JSON.stringify(last)}`);
  });
  expect(job).toMatchObject({ status: "completed", engine: "gemini", page_count: pages, part_count: parts, parts_received: parts });
  // What was stored is the parts, written anew: about the book's size, not a second copy of it.
  expect(job.file_size).toBeGreaterThan(0.95 * size);
  expect(job.file_size).toBeLessThan(1.05 * size);
  const result = await get(`/api/v1/jobs/${id}/result`);
  const got = (result.sentences as Array<{ text: string; page: number }>).map((s) => [s.text, s.page]);
  expect(got).toEqual(Array.from({ length: pages }, (_, i) => i + 1).flatMap((p) => scanPageSentences(p).map((t) => [t, p])));
  // The page shows the finished book.
  await page.getByText("Ceci est la page 1 du livre.").first().waitFor({ timeout: 60_000 });
  expect(errors).toEqual([]);
}, 1_200_000);

test("a book of more pages than one job holds is refused in the page, before anything is sent", async () => {
  // 2,000 pages of text: 4.2 MiB, so the page reads it before sending (over 3.75 MiB, TEXT_LIMITS).
  const book = await textBook(2000);
  const count = async () => ((await (await context.request.get(`${stack.url}/api/v1/jobs?limit=100`)).json()).jobs as unknown[]).length;
  const before = await count();
  const uploads: string[] = [];
  page.on("request", (r) => r.method() !== "GET" && r.url().includes("/api/v1/jobs") && uploads.push(r.url()));
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(book);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByText(/This book has 2,000 pages; the server reads at most 1,500 pages in one job/).waitFor({ timeout: 60_000 });
  expect(uploads).toEqual([]);
  expect(await count()).toBe(before);
  expect(page.url()).not.toMatch(/\/jobs\//);
}, 300_000);
