import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Browser flows: real Chromium (Debian's /usr/bin/chromium via playwright-core) against the
// real `npm start` stack. Slow and stateful, so one file at a time with long timeouts.
// Run alone: npx vitest run -c test/browser/vitest.config.ts
export default defineConfig({
  test: {
    name: "browser",
    root: fileURLToPath(new URL("../..", import.meta.url)),
    environment: "node",
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
