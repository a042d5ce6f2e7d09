import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { createLocalOidc } from "./scripts/local-oidc.ts";
import { createLocalSheets, tokeninfoVerifier } from "./scripts/local-sheets.ts";

// Seven kinds of test, by concern:
// - unit: pure pipeline code in Node (same code the CLI and benchmarks run);
// - cli: the command line, spawned as a child process;
// - gemini: the Gemini engine through the real SDK against the local fake server;
// - workers: API, queues and the Durable Object inside workerd, real migrations;
// - workers-production: the same Worker with the production configuration;
// - e2e: the real `npm start` stack (wrangler dev) driven over HTTP and WebSocket;
// - browser: the web app in Chromium on that same stack.
const migrations = await readD1Migrations("schema/migrations");
// wrangler.toml requires this secret (the OAuth client of the local stand-in provider in tests).
process.env.GOOGLE_CLIENT_SECRET ??= "workers-test-client-secret";
process.env.WEBHOOK_SIGNING_KEY ??= "workers-test-webhook-key";
process.env.TOKEN_ENCRYPTION_KEY ??= "workers-test-token-encryption-key";
// Tests never reach Google: a key exported in a developer's shell must not leak into them
// (the e2e stacks that want Gemini set their own key and fake endpoint).
process.env.GEMINI_API_KEY = "";
process.env.METRICS_TOKEN ??= "";
process.env.GEMINI_BASE_URL = "";

// Workers tests sign in with Google through the local provider: the Worker's outbound fetches
// to http://oidc.test reach it here in Node (the same code `npm start` serves), faults included.
export const TEST_OIDC_ISSUER = "http://oidc.test";
const oidc = await createLocalOidc({
  issuer: TEST_OIDC_ISSUER,
  clients: [
    {
      id: "workers-test-client",
      secret: process.env.GOOGLE_CLIENT_SECRET,
      redirectUris: ["http://localhost/api/v1/auth/google/callback", "http://localhost/api/v1/integrations/google-sheets/callback"],
    },
  ],
  controls: true,
});
// The Google Sheets API stand-in at http://sheets.test, checking bearer tokens at the provider's
// tokeninfo (in process), with its controls (/__sheets/{id}, /__faults).
const sheets = createLocalSheets({
  base: "http://sheets.test",
  verifyToken: tokeninfoVerifier(TEST_OIDC_ISSUER, (url) => Promise.resolve(oidc.app.fetch(new Request(url)))),
  controls: true,
});
// Webhook deliveries to https://hooks.test/… reach this receiver: it records what it gets,
// fails the next N deliveries on request (POST /__control {"fail": N}), and tells (GET /__received).
// Its state is per delivery path (`?path=`, default /hook): test files running at the same time
// deliver to their own paths and never take each other's failures or records.
const hooks = new Map<string, { fail: number; received: Array<{ headers: Record<string, string>; body: string }> }>();
const hookState = (path: string) => {
  let h = hooks.get(path);
  if (!h) hooks.set(path, (h = { fail: 0, received: [] }));
  return h;
};
async function receiver(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === "/__control") {
    const c = (await request.json()) as { fail?: number; reset?: boolean };
    const h = hookState(url.searchParams.get("path") ?? "/hook");
    if (c.reset) h.received = [];
    h.fail = c.fail ?? 0;
    return Response.json({ ok: true });
  }
  if (path === "/__received") return Response.json(hookState(url.searchParams.get("path") ?? "/hook").received);
  const h = hookState(path);
  if (h.fail > 0) {
    h.fail--;
    return new Response("not now", { status: 503 });
  }
  h.received.push({ headers: Object.fromEntries(request.headers), body: await request.text() });
  return new Response(null, { status: 204 });
}
const outbound = (request: Request) => {
  const host = new URL(request.url).host;
  if (host === "oidc.test") return oidc.app.fetch(request);
  if (host === "hooks.test") return receiver(request);
  if (host === "sheets.test") return sheets.app.fetch(request);
  return new Response("tests have no network", { status: 502 });
};

// Two test files at a time, whatever the machine: vitest's default is one fewer than the cores,
// which on a 2-core machine ran the whole suite one file after another (most of its time is
// waiting: workerd starting, stacks coming up, queues draining). The projects that start a
// whole stack (e2e, browser) run after the others, as a group of their own, two files at a time
// (each stack has its own ports and state; the web build takes a lock).
const MAX_WORKERS = 2;

export default defineConfig({
  test: {
    maxWorkers: MAX_WORKERS,
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "cli",
          environment: "node",
          include: ["test/cli/**/*.test.ts"],
          testTimeout: 60_000,
          // A run loads the tagger (worker/lang, a 7 MB lexicon) before its first line.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "gemini",
          environment: "node",
          include: ["test/gemini/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Retries without waiting, so retry paths run in test time.
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                RETRY_BASE_SECONDS: "0",
                WEBHOOK_RETRY_BASE_SECONDS: "0",
                GOOGLE_CLIENT_ID: "workers-test-client",
                OIDC_ISSUER: TEST_OIDC_ISSUER,
                GOOGLE_SHEETS_API_URL: "http://sheets.test",
                GOOGLE_REVOKE_URL: `${TEST_OIDC_ISSUER}/revoke`,
                // Every job costs something here: the local engine at 1 credit per 1,000 tokens.
                CREDIT_PRICES: JSON.stringify({ local: 1, "gemini-2.5-flash": 1, "gemini-2.5-flash-lite": 0.4, "gemini-2.5-pro": 4 }),
                MONTHLY_CREDITS: "100",
                ADMIN_EMAILS: "ops@example.com, Second.Op@example.com",
                METRICS_TOKEN: "test-metrics-token",
                LOCAL_CRON_TOKEN: "workers-test-cron-token",
              },
              outboundService: outbound,
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          deps: {
            optimizer: {
              ssr: { enabled: true, include: ["unpdf", "pdf-lib", "hono", "zod", "drizzle-orm", "@google/genai", "jose", "fflate"] },
            },
          },
          setupFiles: ["./test/workers/setup.ts"],
          testTimeout: 120_000,
        },
      },
      {
        // The production configuration (`--env production`) in workerd: what must not exist there.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml", environment: "production" },
            // DEV_AUTH forced on: the development sign-in must stay absent in production anyway.
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                DEV_AUTH: "on",
                OIDC_ISSUER: TEST_OIDC_ISSUER,
                LOCAL_CRON_TOKEN: "production-test-cron-token",
              },
            },
          }),
        ],
        test: {
          name: "workers-production",
          include: ["test/workers-production/**/*.test.ts"],
          setupFiles: ["./test/workers/setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
      // browser: real Chromium against the real stack (its own config, runnable alone).
      "test/browser/vitest.config.ts",
    ],
  },
});
