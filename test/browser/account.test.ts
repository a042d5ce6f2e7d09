import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CORPUS, startStack, upload, type Stack } from "../e2e/stack";
import { DESKTOP, expectLegible, launch, openPage, screenshotBoth, screenshotDark, signInThroughUi } from "./browser";

// The account page in Chromium: a reader signs in through "Sign in with Google" (the local
// provider), makes an API key, a program uses it, the reader revokes it; sessions end.

const EXTRAIT = readFileSync(path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf"));

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let apiKey = "";
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
  expect(errors.splice(0), "console errors and uncaught exceptions").toEqual([]);
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

test("the account page shows who I am and this device's session", async () => {
  await signInThroughUi(page, stack.url, "marie.curie@example.com");
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByRole("heading", { name: "Your account", exact: true }).waitFor();
  await expect.poll(() => page.getByLabel("Profile").textContent()).toContain("Marie Curie");
  await expect.poll(() => page.getByLabel("Profile").textContent()).toContain("marie.curie@example.com");
  const sessions = page.getByRole("list", { name: "Your sessions" }).getByRole("listitem");
  await expect.poll(() => sessions.count()).toBe(1);
  expect(await sessions.first().textContent()).toContain("this device");
  expect(await sessions.first().textContent()).toContain("Chrome on Linux");
});

test("creates an API key shown once, which a program then uses", async () => {
  await page.getByLabel("Key name").fill("nightly export");
  await page.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByTestId("new-api-key");
  await shown.waitFor();
  apiKey = (await shown.textContent())!.trim();
  expect(apiKey).toMatch(/^fnt_[A-Za-z0-9]{40}$/);
  // Credits and their history come first on the page: the screenshot shows the keys' card.
  await screenshotBoth(page, "account", "#keys-title");
  await screenshotDark(page, "account", "#keys-title");
  await expectLegible(page, "account, a new key");
  const row = page.getByRole("list", { name: "Your API keys" }).getByRole("listitem");
  await expect.poll(() => row.count()).toBe(1);
  expect(await row.first().textContent()).toContain(`${apiKey.slice(0, 10)}…${apiKey.slice(-4)}`);

  // A program, from Node: who am I, upload, list.
  const me = await fetch(`${stack.url}/api/v1/me`, { headers: bearer(apiKey) });
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ user: { email: "marie.curie@example.com" }, auth: "api_key" });
  const created = await upload(stack.url, apiKey, EXTRAIT, "extrait.pdf");
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as { id: string };
  const list = (await (await fetch(`${stack.url}/api/v1/jobs`, { headers: bearer(apiKey) })).json()) as any;
  expect(list.jobs.map((j: any) => j.id)).toContain(id);

  // After a reload the key is never shown again, only its prefix and last four.
  await page.reload();
  await page.getByRole("list", { name: "Your API keys" }).waitFor();
  expect(await page.getByTestId("new-api-key").count()).toBe(0);
  expect(await page.content()).not.toContain(apiKey);
  await expect.poll(() => row.first().textContent()).toContain("last used");
});

test("revoking the key refuses the program at once", async () => {
  await page.getByRole("button", { name: "Revoke nightly export" }).click();
  await page.getByRole("button", { name: "Revoke key" }).click();
  await page.getByText("No API keys yet.").waitFor();
  expect((await fetch(`${stack.url}/api/v1/me`, { headers: bearer(apiKey) })).status).toBe(401);
  expect((await fetch(`${stack.url}/api/v1/jobs`, { headers: bearer(apiKey) })).status).toBe(401);
});

test("sets a default webhook URL (checked), shows and rotates the signing secret", async () => {
  await page.getByLabel("Default webhook URL").fill("https://10.0.0.1/hook");
  await page.getByRole("button", { name: "Save webhook" }).click();
  await expect.poll(() => page.getByRole("alert").first().textContent()).toContain("public address");
  await expectLegible(page, "account, a refused webhook");
  // The 400 the API answered is expected here.
  errors.splice(0);
  await page.getByLabel("Default webhook URL").fill("https://example.com/hooks/novels");
  await page.getByLabel("Progress every (%)").fill("25");
  await page.getByRole("button", { name: "Save webhook" }).click();
  await page.getByText("Saved: new jobs will call this URL.").waitFor();
  await page.reload();
  await expect.poll(() => page.getByLabel("Default webhook URL").inputValue()).toBe("https://example.com/hooks/novels");
  const settings = await page.evaluate(async () => (await fetch("/api/v1/webhooks/settings")).json());
  expect(settings).toEqual({ default_url: "https://example.com/hooks/novels", progress_every: 25 });
  await page.getByRole("button", { name: "Show secret" }).click();
  const first = (await page.getByTestId("webhook-secret").textContent())!.trim();
  expect(first).toMatch(/^whsec_/);
  await page.getByRole("button", { name: "Rotate" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
  await expect.poll(async () => (await page.getByTestId("webhook-secret").textContent())!.trim()).not.toBe(first);
  const now = await page.evaluate(async () => (await (await fetch("/api/v1/webhooks/secret")).json()).secret);
  expect(now).toBe((await page.getByTestId("webhook-secret").textContent())!.trim());
  await expectLegible(page, "account, the webhook's secret");
});

test("sign out everywhere ends the sessions of every browser", async () => {
  const other = await browser.newContext({ viewport: DESKTOP });
  const otherPage = await openPage(other, errors);
  try {
    await signInThroughUi(otherPage, stack.url, "marie.curie@example.com");
    await page.reload();
    const sessions = page.getByRole("list", { name: "Your sessions" }).getByRole("listitem");
    await expect.poll(() => sessions.count()).toBe(2);
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("button", { name: "Sign in with Google" }).waitFor();
    // The other browser finds itself signed out at its next look.
    await otherPage.reload();
    await otherPage.getByRole("button", { name: "Sign in with Google" }).waitFor();
  } finally {
    await other.close();
  }
});

test("a refused sign-in lands on a plain error page, signed out", async () => {
  await fetch(`${stack.oidc}/__faults`, { method: "POST", body: JSON.stringify({ fault: "email_unverified" }) });
  try {
    await page.goto(stack.url);
    await page.getByRole("button", { name: "Sign in with Google" }).click();
    await page.getByLabel("Email").fill("unverified@example.com");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Sign-in failed" }).waitFor();
    expect(await page.textContent("body")).toContain("not verified");
    await expectLegible(page, "refused sign-in");
    // The page is a 400 (Chromium logs it): expected here, not an error of the app.
    errors.splice(0);
    expect((await context.cookies(stack.url)).some((c) => c.name === "fnt_session")).toBe(false);
  } finally {
    await fetch(`${stack.oidc}/__faults`, { method: "POST", body: JSON.stringify({ fault: null }) });
  }
  await page.getByRole("link", { name: "Back to French Novel Tool" }).click();
  await page.getByRole("button", { name: "Sign in with Google" }).waitFor();
});

test("deleting the account: the reader types their email to confirm; signed out everywhere, the next sign-in is a new, empty account", async () => {
  const email = "leaving.soon@example.com";
  const mine = await browser.newContext({ viewport: DESKTOP });
  const other = await browser.newContext({ viewport: DESKTOP });
  try {
    const p = await openPage(mine, errors);
    const elsewhere = await openPage(other, errors);
    await signInThroughUi(p, stack.url, email);
    await signInThroughUi(elsewhere, stack.url, email);
    const made = await p.evaluate(async () => {
      const r = await fetch("/api/v1/wordlists", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Mes mots secrets", words: ["chat"] }),
      });
      return r.status;
    });
    expect(made).toBe(201);
    // The upload page says how long books are kept.
    await expect.poll(() => p.getByTestId("retention-note").textContent()).toContain("kept 30 days after they finish");

    await p.getByRole("link", { name: "Account" }).click();
    await expect.poll(() => p.getByTestId("account-retention").textContent()).toContain("kept 30 days");
    const remove = p.getByRole("button", { name: "Delete my account" });
    const confirm = p.getByLabel(`Type your email, ${email}, to confirm`);
    expect(await remove.isDisabled()).toBe(true);
    await confirm.fill("someone.else@example.com");
    expect(await remove.isDisabled()).toBe(true);
    await confirm.fill("Leaving.Soon@example.com");
    await expect.poll(() => remove.isDisabled()).toBe(false);
    await screenshotBoth(p, "account-delete", "#data-title");
    await screenshotDark(p, "account-delete", "#data-title");
    await expectLegible(p, "account, deleting it");
    await remove.click();

    await p.getByRole("button", { name: "Sign in with Google" }).waitFor();
    await expect.poll(() => p.getByTestId("signin-notice").textContent()).toContain("signed out everywhere");
    expect((await mine.cookies(stack.url)).some((c) => c.name === "fnt_session")).toBe(false);
    await elsewhere.reload();
    await elsewhere.getByRole("button", { name: "Sign in with Google" }).waitFor();

    // The same Google account signs in again: a new account, nothing of the old one.
    await signInThroughUi(p, stack.url, email);
    const lists = await p.evaluate(async () =>
      (await (await fetch("/api/v1/wordlists")).json()).wordlists.map((l: { name: string }) => l.name),
    );
    expect(lists).toHaveLength(1);
    expect(lists).not.toContain("Mes mots secrets");
  } finally {
    await mine.close();
    await other.close();
  }
});
