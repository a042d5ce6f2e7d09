import { sveltekit } from "@sveltejs/kit/vite";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

/** Where the API reference (GET /api/docs, worker/api/docs.ts) loads Scalar from. */
const SCALAR_SCRIPT = "vendor/scalar/api-reference.js";

/**
 * Scalar's standalone browser bundle, copied from node_modules into the app's static assets at
 * build time: the API reference page loads it from this origin (no CDN, works offline), and the
 * multi-MB file is neither committed nor part of either Worker's script.
 */
function scalarStandalone(): Plugin {
  let ssr = false;
  return {
    name: "fnt:scalar-standalone",
    apply: "build",
    configResolved(config) {
      ssr = Boolean(config.build.ssr);
    },
    generateBundle() {
      if (ssr) return;
      const entry = fileURLToPath(import.meta.resolve("@scalar/api-reference"));
      const file = path.join(path.dirname(entry), "browser/standalone.js");
      this.emitFile({ type: "asset", fileName: SCALAR_SCRIPT, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  plugins: [sveltekit(), scalarStandalone()],
});
