import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Six kinds of test, by concern:
// - unit: pure pipeline code in Node (same code the CLI and benchmarks run);
// - cli: the command line, spawned as a child process;
// - gemini: the Gemini engine through the real SDK against the local fake server;
// - workers: API, queues and the Durable Object inside workerd, real migrations;
// - e2e: the real `npm start` stack (wrangler dev) driven over HTTP and WebSocket;
// - browser: the web app in Chromium on that same stack.
const migrations = await readD1Migrations("schema/migrations");
// wrangler.toml requires this secret; the workers tests sign their own tokens with it.
process.env.JWT_SECRET ??= "workers-test-secret";
// Tests never reach Google: a key exported in a developer's shell must not leak into them
// (the e2e stacks that want Gemini set their own key and fake endpoint).
process.env.GEMINI_API_KEY = "";
process.env.GEMINI_BASE_URL = "";

export default defineConfig({
  test: {
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
            miniflare: { bindings: { TEST_MIGRATIONS: migrations, RETRY_BASE_SECONDS: "0" } },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["./test/workers/setup.ts"],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // browser: real Chromium against the real stack (its own config, runnable alone).
      "test/browser/vitest.config.ts",
    ],
  },
});
