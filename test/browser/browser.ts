import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterEach, expect } from "vitest";
import { ROOT } from "../e2e/stack";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, "docs/screenshots");
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page that records every console error and uncaught exception into `errors`. */
export async function openPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return page;
}

/** After each test of the file: no console error or uncaught exception was recorded in `errors`. */
export function failOnPageErrors(errors: string[]) {
  afterEach(() => {
    const seen = errors.splice(0);
    expect(seen, "console errors and uncaught exceptions").toEqual([]);
  });
}

/** Signs in the way a reader does: "Sign in with Google", then the provider's page (locally,
 *  the stand-in for Google that `npm start` runs), then back in the app. */
export async function signInThroughUi(page: Page, url: string, email: string) {
  await page.goto(url);
  await page.getByRole("button", { name: "Sign in with Google" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/**
 * Saves the page at desktop and phone widths as docs/screenshots/<name>-{desktop,phone}.png;
 * with `scrollTo` (a selector), that element is scrolled to the top at each width.
 */
export async function screenshotBoth(page: Page, name: string, scrollTo?: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.evaluate(() => document.fonts.ready);
    if (scrollTo) await page.locator(scrollTo).evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`) });
  }
  await page.setViewportSize(before);
}

/** The dark theme's screenshots, as `screenshotBoth` takes them, named <name>-dark-{desktop,phone}.png. */
export async function screenshotDark(page: Page, name: string, scrollTo?: string) {
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshotBoth(page, `${name}-dark`, scrollTo);
  await page.emulateMedia({ colorScheme: "light" });
}

export const scrollWidth = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth);

/** Records every WebSocket the page opens, so a test can read its URL or drop it. */
export const recordWebSockets = (page: Page) =>
  page.addInitScript(() => {
    const Native = window.WebSocket;
    const sockets: WebSocket[] = [];
    const received = { count: 0 };
    Object.assign(window, { __sockets: sockets, __received: received });
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
        this.addEventListener("message", () => received.count++);
      }
    };
  });

const AXE = fileURLToPath(import.meta.resolve("axe-core/axe.min.js"));
export type Theme = "light" | "dark";
export const THEMES: Theme[] = ["light", "dark"];

/**
 * Text on the page that fails WCAG 2 AA contrast (axe-core's color-contrast rule: 4.5:1, 3:1 for
 * large text), as "selector: fg on bg = ratio" lines. The theme is the system's: the page should
 * have no choice of its own stored (see `expectLegible`).
 */
export async function contrastFailures(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  // Transitions settled, fonts in: axe reads the colours as they are painted.
  await page.evaluate(() => document.fonts.ready);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<AxeResult> } }).axe.run(document, {
      runOnly: { type: "rule", values: ["color-contrast"] },
      resultTypes: ["violations"],
    }),
  );
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => {
      const d = n.any[0]?.data;
      return `${n.target.join(" ")}: ${d ? `${d.fgColor} on ${d.bgColor} = ${d.contrastRatio}:1 (needs ${d.expectedContrastRatio})` : n.failureSummary}`;
    }),
  );
}
interface AxeResult {
  violations: {
    nodes: {
      target: string[];
      failureSummary: string;
      any: { data?: { fgColor: string; bgColor: string; contrastRatio: number; expectedContrastRatio: string } }[];
    }[];
  }[];
}

/**
 * Checks the page as it stands in both themes, the system's light then dark
 * (`prefers-color-scheme`, emulated), and leaves it in the light one: every text passes WCAG 2 AA
 * contrast. `label` names the page in the failure.
 */
export async function expectLegible(page: Page, label: string) {
  const found: Record<string, string[]> = {};
  for (const colorScheme of THEMES) {
    await page.emulateMedia({ colorScheme });
    const failures = await contrastFailures(page);
    if (failures.length) found[`${label} (${colorScheme})`] = failures;
  }
  await page.emulateMedia({ colorScheme: "light" });
  expect(found, "text below WCAG AA contrast").toEqual({});
}
