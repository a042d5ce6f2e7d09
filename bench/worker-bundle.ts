/**
 * A bench's child process as the API Worker's code runs in an isolate: one script, built by
 * esbuild as `wrangler deploy` builds the Worker (minified, names kept, the `workerd` export
 * conditions), that also evaluates every module of worker/index.ts. What the child measures then
 * includes what an isolate holds before any request: the whole Worker's code and data, its
 * source text too (held at one byte a character when it is all Latin-1, see
 * scripts/check-bundles.ts), not tsx's transpiler.
 *
 * Node runs it as CommonJS: its loader reads the file into a string as workerd does a module's
 * source (UTF-8, one byte a character when Latin-1 allows), where Node's ES module loader may keep
 * the source another way. `cloudflare:workers` (the base classes the Worker's entry extends) is
 * stood in for by bench/cloudflare-workers.ts; nothing here calls into it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { CACHE_DIR } from "./memory-inputs";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Builds worker/index.ts then `entry` (a bench child) into one script in the cache dir; returns the
 * file to run with `node`.
 */
export async function bundleChild(entry: string): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const outfile = path.join(CACHE_DIR, `${path.basename(entry, ".ts")}.bundle.cjs`);
  const root = path.join(here, "..");
  await build({
    // Every module of the Worker first, evaluated as an isolate does before its first request.
    stdin: {
      contents: `import "./worker/index.ts";\nimport ${JSON.stringify(`./${path.relative(root, entry)}`)};\n`,
      resolveDir: root,
      sourcefile: "bench-entry.ts",
      loader: "ts",
    },
    outfile,
    bundle: true,
    // As wrangler.toml's `minify = true` and wrangler's own defaults.
    minify: true,
    keepNames: true,
    conditions: ["workerd", "worker", "browser"],
    platform: "node",
    format: "cjs",
    target: "es2024",
    alias: { "cloudflare:workers": path.join(here, "cloudflare-workers.ts") },
    // The SQLite module the Anki export loads (a file beside the script, as wrangler uploads it).
    loader: { ".wasm": "file" },
    logLevel: "error",
  });
  return outfile;
}
