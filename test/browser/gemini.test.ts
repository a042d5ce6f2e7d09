import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CORPUS, startStack, type Stack } from "../e2e/stack";
import { startFakeGemini, type FakeGemini } from "../fake-gemini/server";
import { DESKTOP, expectLegible, launch, openPage, screenshotBoth, signInThroughUi } from "./browser";

// The app with the Gemini engine on (played by the fake server): the upload form names the
// engine and offers the model picker, and a rewritten sentence shows the book's original.

const EXTRAIT = path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf");

let fake: FakeGemini;
let stack: Stack;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  fake = await startFakeGemini();
  stack = await startStack({ GEMINI_API_KEY: "browser-test-key", GEMINI_BASE_URL: fake.url, RETRY_BASE_SECONDS: "1" });
  browser = await launch();
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await openPage(context, errors);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

afterEach(() => {
  const seen = errors.splice(0);
  expect(seen, "console errors and uncaught exceptions").toEqual([]);
});

const signIn = (email: string) => signInThroughUi(page, stack.url, email);

const sentenceItems = () =>
  page
    .getByRole("list")
    .filter({ has: page.getByText(/^#\d+/) })
    .getByRole("listitem");

test("the upload form names the Gemini engine and offers its models", async () => {
  await signIn("gemini-reader@example.com");
  await expect.poll(() => page.getByText("Engine: Google Gemini.").count()).toBe(1);
  const picker = page.getByLabel("Model", { exact: true });
  expect(await picker.evaluate((el) => el.tagName)).toBe("SELECT");
  expect(await picker.locator("option").allTextContents()).toEqual(["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"]);
  expect(await picker.inputValue()).toBe("gemini-2.5-flash");
  await screenshotBoth(page, "gemini-upload");
});

test("a job with a length limit shows its engine and model, and the original of a rewritten sentence", async () => {
  await page.getByLabel("PDF file").setInputFiles(EXTRAIT);
  await page.getByLabel("Longest sentence (words)").fill("20");
  await page.getByLabel("Model", { exact: true }).selectOption("gemini-2.5-flash-lite");
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  await page.getByText("Completed.").waitFor({ timeout: 90_000 });
  await page.getByText("Engine: Gemini (gemini-2.5-flash-lite)").waitFor();
  expect(fake.stats().by_model).toEqual({ "gemini-2.5-flash-lite": fake.stats().total });

  // The API's result: which sentence was rewritten, and from what.
  const id = page.url().split("/jobs/")[1]!;
  const result = await page.evaluate(async (jobId) => (await fetch(`/api/v1/jobs/${jobId}/result`)).json(), id);
  expect(result.rewritten_count).toBeGreaterThan(0);
  const first = result.sentences.find((s: { original?: string }) => s.original) as { index: number; text: string; original: string };
  expect(first.original).not.toBe(first.text);
  await page.getByText(/sentences? (was|were) rewritten by the engine/).waitFor();

  const item = sentenceItems().nth(first.index);
  await expect.poll(() => item.textContent()).toContain(first.text);
  const marker = item.getByRole("button", { name: /^rewritten/ });
  expect(await marker.getAttribute("aria-expanded")).toBe("false");
  expect(await item.getByText("Original:").count()).toBe(0);
  await marker.click();
  expect(await marker.getAttribute("aria-expanded")).toBe("true");
  const original = item.locator(".original");
  await original.waitFor();
  expect((await original.textContent())!.replace(/\s+/g, " ").trim()).toBe(`Original: ${first.original}`);
  await item.scrollIntoViewIfNeeded();
  await screenshotBoth(page, "gemini-result");
  await expectLegible(page, "a rewritten sentence's original");
  // A sentence that was not rewritten has no marker.
  const plain = result.sentences.find((s: { original?: string }) => !s.original) as { index: number };
  expect(
    await sentenceItems()
      .nth(plain.index)
      .getByRole("button", { name: /^rewritten/ })
      .count(),
  ).toBe(0);
  await marker.click();
  await original.waitFor({ state: "detached" });
});
