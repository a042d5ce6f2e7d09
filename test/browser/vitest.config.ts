import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Browser flows: real Chromium (Debian's /usr/bin/chromium via playwright-core) against the
// real `npm start` stack. Slow and stateful: long timeouts, each file its own stack.
// Run alone: npx vitest run -c test/browser/vitest.config.ts
export default defineConfig({
  test: {
    name: "browser",
    root: fileURLToPath(new URL("../..", import.meta.url)),
    environment: "node",
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // With the e2e project, after the rest of the suite, two files at a time (see ../../vitest.config.ts).
    maxWorkers: 2,
    // A page may take a while to answer on a loaded machine: expect.poll waits up to 15 s (not 1).
    expect: { poll: { timeout: 15_000 } },
    sequence: { groupOrder: 1 },
  },
});
