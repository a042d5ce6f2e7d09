import { readFileSync } from "node:fs";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import { subsetPdf } from "../../worker/pipeline/scan";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { CORPUS, startStack, type Stack } from "../e2e/stack";
import type { JobResult } from "../../schema/api";
import {
  contrastFailures,
  DESKTOP,
  expectLegible,
  launch,
  openPage,
  PHONE,
  recordWebSockets,
  screenshotBoth,
  screenshotDark,
  scrollWidth,
  signInThroughUi,
} from "./browser";
import { csvRows, downloadFrom, expectPackage, expectWorkbook, html, readAnkiText, text, tsvRows } from "./files";

const EXTRAIT = path.join(CORPUS, "novels/maupassant-une-vie-extrait.pdf");
const VERNE = path.join(CORPUS, "novels/verne-deux-ans-de-vacances.pdf");
const SCAN = path.join(CORPUS, "novels/maupassant-une-vie-extrait.scan.pdf");
const FIRST_SENTENCE = "Jeanne, ayant fini ses malles, s’approcha de la fenêtre, mais la pluie ne cessait pas.";

let stack: Stack;
let browser: Browser;
let page: Page;
let resultUrl = "";
const errors: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    // Small chunks: the 325-page novel then takes several seconds, long enough to watch and cancel.
    CHUNK_CHARS: "600",
    GEMINI_CHUNK_CHARS: "600",
  });
  browser = await launch();
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  page = await openPage(context, errors);
  await recordWebSockets(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  const seen = errors.splice(0);
  expect(seen, "console errors and uncaught exceptions").toEqual([]);
});

const sentenceItems = () =>
  page
    .getByRole("list")
    .filter({ has: page.getByText(/^#\d+/) })
    .getByRole("listitem");

test("signs in through Google's sign-in (the local provider), with no credential a script can read", async () => {
  await page.goto(stack.url);
  await page.getByRole("button", { name: "Sign in with Google" }).waitFor();
  await screenshotBoth(page, "signin");
  await expectLegible(page, "sign-in");
  await signInThroughUi(page, stack.url, "reader@example.com");
  expect(new URL(page.url()).origin).toBe(stack.url);
  const cookies = await page.context().cookies(stack.url);
  const sessionCookie = cookies.find((c) => c.name === "fnt_session");
  expect(sessionCookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
  expect(sessionCookie!.value).toMatch(/^fnts_/);
  // The session is an HttpOnly cookie: no script can read it, and no storage holds a credential.
  const readable = await page.evaluate(() => ({
    cookie: document.cookie,
    stored: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
  }));
  expect(readable.cookie).toBe("");
  expect(readable.stored).not.toContain(sessionCookie!.value);
  expect(readable.stored).not.toMatch(/fnts?_/);
  await page.reload();
  await expect.poll(() => page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
  await expect.poll(() => page.getByLabel("PDF file").count()).toBe(1);
});

test("uploads a novel, follows it to completed and shows its first sentence", async () => {
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(EXTRAIT);
  await page.getByText("maupassant-une-vie-extrait.pdf").waitFor();
  await screenshotBoth(page, "upload");
  await screenshotDark(page, "upload");
  await expectLegible(page, "upload");
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  await page.getByText("Completed.").waitFor({ timeout: 60_000 });
  await expect.poll(() => sentenceItems().first().textContent()).toContain(FIRST_SENTENCE);
  await expect.poll(() => sentenceItems().first().textContent()).toContain("p. 1");
  resultUrl = page.url();
  await screenshotBoth(page, "result");
  await screenshotDark(page, "result");
  await expectLegible(page, "result");
  // A search's hits are highlighted: legible too.
  await page.getByLabel("Search sentences").fill("fenêtre");
  await page.locator("mark").first().waitFor();
  await expectLegible(page, "result, searched");
  await page.getByLabel("Search sentences").fill("");
});

/** The GUIDs of the Anki export before the edit below. */
let ankiGuids: string[] = [];

const exportMenu = () => page.getByRole("group", { name: "Export" });
const exported = (label: string) => downloadFrom(page, exportMenu().getByRole("button", { name: label, exact: true }));

test("the Export menu: every format it offers downloads a file that reads back as the API's result", async () => {
  const jobId = resultUrl.split("/jobs/")[1]!;
  const { sentences } = await page.evaluate(async (id) => (await fetch(`/api/v1/jobs/${id}/result`)).json() as Promise<JobResult>, jobId);
  expect(sentences.length).toBeGreaterThan(50);
  expect((await exportMenu().getByRole("button").allTextContents()).map((l) => l.trim())).toEqual([
    "CSV",
    "TSV",
    "TXT",
    "JSON",
    "Excel (.xlsx)",
    "Anki (.txt)",
    "Anki package (.apkg)",
  ]);
  // The table the README documents, every row from the API's JSON, in order.
  const table = [
    ["index", "sentence", "page", "chunk", "original", "word_count", "has_verb"],
    ...sentences.map((s) => [
      String(s.index + 1),
      s.text,
      String(s.page),
      String(s.chunk),
      s.original ?? "",
      String(s.word_count),
      s.has_verb ? "yes" : "no",
    ]),
  ];

  const csv = await exported("CSV");
  expect(csv.name).toBe("maupassant-une-vie-extrait.csv");
  expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(text(csv.bytes).split("\n")[1]).toBe(`1,"${FIRST_SENTENCE}",1,0,,16,yes`);
  expect(csvRows(csv.bytes)).toEqual(table);
  const tsv = await exported("TSV");
  expect(tsv.name).toBe("maupassant-une-vie-extrait.tsv");
  expect(tsvRows(tsv.bytes)).toEqual(table);
  const txt = await exported("TXT");
  expect(txt.name).toBe("maupassant-une-vie-extrait.txt");
  expect(text(txt.bytes).split("\n").filter(Boolean)).toEqual(sentences.map((s) => s.text));
  const json = await exported("JSON");
  expect(json.name).toBe("maupassant-une-vie-extrait.json");
  expect(JSON.parse(text(json.bytes)).sentences).toEqual(sentences);

  // The workbook opens: one sheet named after the book, the header bold and frozen, every cell the table's text.
  const xlsx = await exported("Excel (.xlsx)");
  expect(xlsx.name).toBe("maupassant-une-vie-extrait.xlsx");
  expectWorkbook(xlsx.bytes, "maupassant-une-vie-extrait", table);

  // Anki's text file: the headers that set note type, deck, GUID and tags; a note a sentence.
  const anki = await exported("Anki (.txt)");
  expect(anki.name).toBe("maupassant-une-vie-extrait.anki.txt");
  const notes = readAnkiText(anki.bytes);
  expect(Object.fromEntries(notes.headers)).toEqual({
    separator: "tab",
    html: "false",
    notetype: "French Novel Tool",
    "deck column": "4",
    "guid column": "5",
    "tags column": "6",
    columns: "Sentence\tOriginal\tPage\tDeck\tGUID\tTags",
  });
  expect(notes.column("Sentence")).toEqual(sentences.map((s) => s.text));
  expect(notes.column("Page")).toEqual(sentences.map((s) => String(s.page)));
  expect(new Set(notes.column("Deck"))).toEqual(new Set(["maupassant-une-vie-extrait"]));
  expect(new Set(notes.column("Tags"))).toEqual(new Set(["fnt maupassant-une-vie-extrait"]));
  ankiGuids = notes.column("GUID");
  expect(ankiGuids.filter((g) => /^[0-9a-f]{16}$/.test(g))).toHaveLength(sentences.length);
  expect(new Set(ankiGuids).size).toBe(sentences.length);

  // The package: a collection with one note and card a sentence, the text file's GUIDs.
  const apkg = await exported("Anki package (.apkg)");
  expect(apkg.name).toBe("maupassant-une-vie-extrait.apkg");
  const packaged = await expectPackage(apkg.bytes, "maupassant-une-vie-extrait", ankiGuids);
  expect(packaged.map((n) => [n.fields[0], n.fields[2]])).toEqual(sentences.map((s) => [html(s.text), String(s.page)]));
});

test("edits a sentence inline, and the edit is still there after a reload; the exports carry it, Anki's under the same GUIDs", async () => {
  const edited = "L’averse avait sonné toute la nuit contre les carreaux.";
  await page.getByRole("button", { name: "Edit sentence 2", exact: true }).click();
  const box = page.getByLabel("Sentence 2", { exact: true });
  await box.fill(edited);
  await page.getByRole("button", { name: "Save" }).click();
  await expect.poll(() => sentenceItems().nth(1).textContent()).toContain(edited);
  await page.reload();
  await expect.poll(() => sentenceItems().nth(1).textContent()).toContain(edited);
  expect(await sentenceItems().nth(1).textContent()).toContain("edited");

  const lines = text((await exported("TXT")).bytes).split("\n");
  expect(lines[0]).toBe(FIRST_SENTENCE);
  expect(lines[1]).toBe(edited);
  // Importing again updates the notes: the same GUIDs, the edited text in its note.
  const notes = readAnkiText((await exported("Anki (.txt)")).bytes);
  expect(notes.column("GUID")).toEqual(ankiGuids);
  expect(notes.column("Sentence")[1]).toBe(edited);
});

test("follows a long novel live, reconnects without losing events, and cancels it", async () => {
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(VERNE);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  const bar = page.getByRole("progressbar", { name: "Job progress" });
  await bar.waitFor();
  expect(await bar.getAttribute("aria-valuemin")).toBe("0");
  expect(await bar.getAttribute("aria-valuemax")).toBe("100");

  const seen = new Set<number>();
  const nextIntermediate = async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const v = Number(await bar.getAttribute("aria-valuenow", { timeout: 1000 }));
      if (v > 0 && v < 100 && !seen.has(v)) {
        seen.add(v);
        return v;
      }
      await page.waitForTimeout(50);
    }
    throw new Error(`no new intermediate progress value; seen ${[...seen]}`);
  };

  const first = await nextIntermediate();
  // The bar may first move from the job's REST state: wait for events on the socket itself.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __received: { count: number } }).__received.count))
    .toBeGreaterThan(0);
  // Drop the live connection: the page must reconnect by itself from the last seq it saw.
  await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)!.close());
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.map((s) => s.url)), { timeout: 15_000 })
    .toHaveLength(2);
  const urls = await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.map((s) => s.url));
  expect(Number(new URL(urls[1]).searchParams.get("after"))).toBeGreaterThan(0);
  // The new socket is live again: events arrive on it and the notice is gone.
  const receivedNow = () => page.evaluate(() => (window as unknown as { __received: { count: number } }).__received.count);
  const before = await receivedNow();
  await expect.poll(receivedNow, { timeout: 15_000 }).toBeGreaterThan(before);
  await page.getByText("Connection lost").waitFor({ state: "detached", timeout: 15_000 });
  const second = await nextIntermediate();
  expect(second).toBeGreaterThan(first);

  // The finished part of the book can be read while the rest is processed.
  await page.getByRole("heading", { name: "Sentences so far" }).waitFor({ timeout: 10_000 });
  await page.getByText("Pendant la nuit du 9 mars 1860", { exact: false }).first().waitFor();
  expect(await bar.count()).toBe(1);
  await screenshotBoth(page, "progress");
  await expectLegible(page, "progress");

  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel this job?" });
  await dialog.waitFor();
  await expectLegible(page, "confirmation dialog");
  await dialog.getByRole("button", { name: "Cancel job" }).click();
  await page.getByText("Cancelled.").waitFor({ timeout: 30_000 });
  expect(await bar.count()).toBe(0);
});

test("shows upload progress while a big file is sent", async () => {
  await page.goto(stack.url);
  const cdp = await page.context().newCDPSession(page);
  // ~830 KB at 300 KB/s: long enough to see the upload progress move.
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 300 * 1024,
  });
  try {
    await page.getByLabel("PDF file").setInputFiles(VERNE);
    await page.getByRole("button", { name: "Upload" }).click();
    const progress = page.getByLabel("Upload progress");
    await progress.waitFor();
    const seen = new Set<number>();
    while (!page.url().includes("/jobs/")) {
      // A short timeout: once the upload ends the bar goes away, and waiting for it would let the job finish.
      const v = await progress.evaluate((el) => (el as HTMLProgressElement).value, undefined, { timeout: 200 }).catch(() => -1);
      if (v > 0 && v < 100) seen.add(v);
      await page.waitForTimeout(100);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
  } finally {
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
  // Stop the job at once through the API (the Cancel button is tested above): a slow run
  // must not let it finish first, since History expects it cancelled.
  const cancelled = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/jobs/${id}/cancel`, { method: "POST" });
    return (await r.json()).status;
  }, page.url().split("/jobs/")[1]);
  expect(cancelled).toBe("cancelled");
  await page.getByText("Cancelled.").waitFor({ timeout: 30_000 });
});

test("shows the API's error in words next to the file picker for a text file named .pdf", async () => {
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles({
    name: "notes.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("Chapitre premier. These are notes, not a PDF.\n"),
  });
  await page.getByRole("button", { name: "Upload" }).click();
  const message = page.locator("#pdf-file-error");
  await message.waitFor();
  expect(await message.textContent()).toMatch(/not a PDF/i);
  expect(await page.getByLabel("PDF file").getAttribute("aria-describedby")).toContain("pdf-file-error");
  expect(new URL(page.url()).pathname).toBe("/");
  await expectLegible(page, "upload refused");
  // Chromium itself logs every 4xx response; this one was provoked on purpose.
  const expected = errors.findIndex((e) => e.includes("status of 415"));
  if (expected >= 0) errors.splice(expected, 1);
});

test("a PDF without a text layer ends failed, with the reason in words", async () => {
  await page.goto(stack.url);
  await page.getByLabel("PDF file").setInputFiles(SCAN);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+$/);
  const outcome = page.getByRole("status").filter({ hasText: "Failed." });
  await outcome.waitFor({ timeout: 60_000 });
  expect((await outcome.textContent())!.replace("Failed.", "").trim().length).toBeGreaterThan(10);
  await expectLegible(page, "failed job");
});

test("History lists the jobs, opens one and deletes one after confirmation", async () => {
  await page.goto(`${stack.url}/jobs`);
  const items = page.locator("li.job");
  // Newest first: the scan, the novel whose upload was watched, the novel cancelled live, the extract.
  await expect.poll(() => items.count()).toBe(4);
  expect(await items.nth(0).textContent()).toContain("Failed");
  expect(await items.nth(1).textContent()).toContain("Cancelled");
  expect(await items.nth(2).textContent()).toContain("verne-deux-ans-de-vacances.pdf");
  expect(await items.nth(2).textContent()).toContain("Cancelled");
  expect(await items.nth(3).textContent()).toContain("Completed");
  expect(await items.nth(3).textContent()).toContain("6 pages");
  await screenshotBoth(page, "history");
  await expectLegible(page, "history");

  await page.getByRole("link", { name: "Open maupassant-une-vie-extrait.pdf" }).click();
  await page.waitForURL(resultUrl);
  await page.goBack();

  const doomed = (await items.nth(2).getAttribute("data-job-id"))!;
  await items.nth(2).getByRole("button", { name: "Delete verne-deux-ans-de-vacances.pdf" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this book?" });
  await dialog.getByRole("button", { name: "Delete", exact: true }).click();
  // Deleting removes the job's files and its tracker too: give a loaded machine more than the default second.
  await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(3);
  await page.reload();
  await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(3);
  expect(await page.locator(`li.job[data-job-id="${doomed}"]`).count()).toBe(0);
});

test("the theme follows the system; the header's toggle keeps the reader's choice in this browser, set before first paint", async () => {
  const toggle = page.getByRole("button", { name: /^Theme:/ });
  const state = () =>
    page.evaluate(() => ({
      attribute: document.documentElement.dataset.theme ?? null,
      stored: localStorage.getItem("fnt-theme"),
      meta: document.querySelector('meta[name="color-scheme"]')!.getAttribute("content"),
      // The page's background, dark or light.
      dark: (() => {
        const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g)!.map(Number);
        return r! + g! + b! < 3 * 128;
      })(),
    }));
  await page.goto(resultUrl);
  await sentenceItems().first().waitFor();
  // No choice: the system's theme, either way.
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await toggle.getAttribute("aria-label")).toBe("Theme: as the system");
  expect(await state()).toEqual({ attribute: null, stored: null, meta: "light dark", dark: true });
  await page.emulateMedia({ colorScheme: "light" });
  expect((await state()).dark).toBe(false);

  // The reader's choice overrides the system's and is kept: light on a dark system…
  await page.emulateMedia({ colorScheme: "dark" });
  await toggle.click();
  expect(await toggle.getAttribute("aria-label")).toBe("Theme: light");
  expect(await state()).toEqual({ attribute: "light", stored: "light", meta: "light", dark: false });
  await expectLegibleAsChosen();
  // …then dark on a light system, through a reload: app.html's script sets it before the app runs.
  await page.emulateMedia({ colorScheme: "light" });
  await toggle.click();
  expect(await state()).toEqual({ attribute: "dark", stored: "dark", meta: "dark", dark: true });
  await page.reload({ waitUntil: "commit" });
  await page.waitForFunction(() => document.body !== null);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
  await sentenceItems().first().waitFor();
  expect(await state()).toEqual({ attribute: "dark", stored: "dark", meta: "dark", dark: true });
  expect(await toggle.getAttribute("aria-label")).toBe("Theme: dark");
  await expectLegibleAsChosen();

  // Round again: back to the system's, nothing kept.
  await toggle.click();
  expect(await state()).toEqual({ attribute: null, stored: null, meta: "light dark", dark: false });
});

/** The page in the theme the reader chose (the system's is emulated the other way): no text below AA. */
async function expectLegibleAsChosen() {
  expect(await contrastFailures(page), "text below WCAG AA contrast").toEqual([]);
}

test("a page that does not exist says so, legibly in both themes", async () => {
  await page.goto(`${stack.url}/no-such-page`);
  await page.getByRole("heading", { name: "This page does not exist" }).waitFor();
  await expectLegible(page, "not found");
  // Chromium logs the 404 response and SvelteKit the error it shows: provoked on purpose.
  expect(errors.splice(0).filter((e) => !/status of 404|Not found: \/no-such-page/.test(e))).toEqual([]);
});

test("every page fits a 390 px wide screen without sideways scrolling", async () => {
  await page.setViewportSize(PHONE);
  for (const url of [stack.url, `${stack.url}/jobs`, resultUrl]) {
    await page.goto(url);
    await page.locator("h1").first().waitFor();
    await page.waitForLoadState("networkidle");
    expect(await scrollWidth(page), url).toBeLessThanOrEqual(390);
  }
  await page.setViewportSize(DESKTOP);
});

test("the upload form can be used with the keyboard alone", async () => {
  await page.goto(stack.url);
  await page.getByRole("button", { name: "Upload" }).waitFor();
  const reached = new Set<string>();
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ""));
  }
  for (const id of ["pdf-file", "sentence_length_limit", "min_sentence_length", "fix_hyphenation", "Upload"]) {
    expect([...reached]).toContain(id);
  }
});

test("a book a program sends in parts: the job page shows the parts arriving, then follows the job to its sentences", async () => {
  const src = await PDFDocument.load(readFileSync(EXTRAIT));
  const pages = src.getPageCount();
  const half = Math.ceil(pages / 2);
  const parts = [Array.from(await subsetPdf(src, 0, half)), Array.from(await subsetPdf(src, half, pages - half))];
  await page.goto(stack.url);
  // The program's requests, made from this signed-in page (same origin, the session's cookie).
  const id = await page.evaluate(async () => {
    const r = await fetch("/api/v1/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ parts: 2, filename: "une vie en deux.pdf" }),
    });
    return ((await r.json()) as { id: string }).id;
  });
  const put = (n: number) =>
    page.evaluate(
      async ({ id, n, bytes }) =>
        (
          await fetch(`/api/v1/jobs/${id}/parts/${n}`, {
            method: "PUT",
            headers: { "content-type": "application/pdf" },
            body: new Uint8Array(bytes),
          })
        ).status,
      { id, n, bytes: parts[n - 1]! },
    );
  await page.goto(`${stack.url}/jobs/${id}`);
  const received = page.getByTestId("parts-received");
  await expect.poll(() => received.textContent()).toMatch(/0 of 2 parts received/);
  // Marks this document: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));
  expect(await put(1)).toBe(200);
  await expect.poll(() => received.textContent(), { timeout: 15_000 }).toMatch(/1 of 2 parts received/);
  expect(await put(2)).toBe(202);
  await page.getByText("Completed.").waitFor({ timeout: 60_000 });
  await expect.poll(() => sentenceItems().first().textContent()).toContain(FIRST_SENTENCE);
  expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);
});

test("Save as my defaults: the upload form starts from them after a reload", async () => {
  await page.goto(stack.url);
  await page.waitForLoadState("networkidle");
  const longest = page.getByLabel("Longest sentence (words)");
  const dialogue = page.getByLabel("Leave dialogue whole");
  expect(await longest.inputValue()).toBe("0");
  expect(await dialogue.isChecked()).toBe(false);
  await longest.fill("25");
  await dialogue.check();
  await page.getByRole("button", { name: "Save as my defaults" }).click();
  await expect.poll(() => page.getByTestId("defaults-status").textContent()).toContain("Saved as your defaults");
  await page.reload();
  await page.waitForLoadState("networkidle");
  await expect.poll(() => longest.inputValue()).toBe("25");
  expect(await dialogue.isChecked()).toBe(true);
  // Saved on the server, for the API too; then back to the built-in defaults for what follows.
  const saved = await page.evaluate(async () => (await fetch("/api/v1/settings")).json());
  expect(saved.saved).toEqual({ settings: expect.objectContaining({ sentence_length_limit: 25, ignore_dialogue: true }) });
  const reset = await page.evaluate(
    async () => (await fetch("/api/v1/settings", { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" })).status,
  );
  expect(reset).toBe(200);
});

test("signing out returns to the sign-in page and ends the session on the server", async () => {
  const before = (await page.context().cookies(stack.url)).find((c) => c.name === "fnt_session")!.value;
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in with Google" }).waitFor();
  expect((await page.context().cookies(stack.url)).some((c) => c.name === "fnt_session")).toBe(false);
  // The old cookie value is no credential any more.
  const r = await fetch(`${stack.url}/api/v1/me`, { headers: { authorization: `Bearer ${before}` } });
  expect(r.status).toBe(401);
});
