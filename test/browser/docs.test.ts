import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { startStack, type Stack } from "../e2e/stack";
import { DESKTOP, launch, openPage, screenshotBoth } from "./browser";

// The API reference (GET /api/docs) in Chromium with no network: every request to a host
// other than the stack's is aborted, and the reference still renders the OpenAPI document.

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];
const elsewhere: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
  context = await browser.newContext({ viewport: DESKTOP });
  const own = new URL(stack.url).host;
  await context.route("**/*", (route) => {
    if (new URL(route.request().url()).host === own) return route.continue();
    elsewhere.push(route.request().url());
    return route.abort("internetdisconnected");
  });
  page = await openPage(context, errors);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  expect(errors.splice(0), "console errors and uncaught exceptions").toEqual([]);
  expect(elsewhere.splice(0), "requests to other hosts").toEqual([]);
});

test("the reference renders offline, from our own script and document", async () => {
  const loaded: string[] = [];
  page.on("response", (r) => loaded.push(`${r.status()} ${new URL(r.url()).pathname}`));
  await page.goto(`${stack.url}/api/docs`);
  await page.getByRole("heading", { name: "French Novel Tool API" }).waitFor();
  expect(loaded).toEqual(expect.arrayContaining(["200 /api/docs", "200 /vendor/scalar/api-reference.js", "200 /api/v1/openapi.json"]));
  // The tags of the document, in the sidebar.
  for (const tag of ["Health", "Sign-in", "Account", "Jobs", "Credits", "Webhooks", "Console"]) {
    await expect.poll(() => page.getByText(tag, { exact: true }).count(), { message: tag }).toBeGreaterThan(0);
  }
});

test("lists the routes, and shows an operation with its multipart body", async () => {
  await page.getByText("Jobs", { exact: true }).first().click();
  for (const summary of ["Upload a book", "My jobs", "One job", "The sentences", "Live progress (WebSocket)"]) {
    await page.getByText(summary, { exact: true }).first().waitFor();
  }
  await page.getByText("Upload a book", { exact: true }).first().click();
  await expect.poll(() => page.getByText("/api/v1/jobs", { exact: true }).count()).toBeGreaterThan(0);
  await page.getByText("multipart/form-data").first().waitFor();
  await page.getByText("pdf_file", { exact: true }).first().waitFor();
  await page.getByText("page_images", { exact: true }).first().waitFor();
  // innerText, not textContent: the text as rendered (hidden parts left out), as a reader sees it.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is checked
  const paths = await page.locator("body").innerText();
  for (const p of ["/api/v1/health", "/api/v1/jobs/{id}", "/api/v1/jobs/{id}/result"]) expect(paths).toContain(p);
  await screenshotBoth(page, "api-docs");
});
