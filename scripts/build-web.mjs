// Builds the web app (web/, SvelteKit + adapter-cloudflare) unless its output is newer than
// every source file. Used by `npm start` before it runs wrangler dev.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const SOURCES = ["src", "static", "svelte.config.js", "vite.config.ts", "wrangler.toml"];
// Longer than any real build: a lock this old was left by a build that crashed.
const STALE_LOCK_MS = 5 * 60_000;

function newestSource(web) {
  let newest = 0;
  const walk = (p) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of SOURCES) if (existsSync(path.join(web, p))) walk(path.join(web, p));
  return newest;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Returns the build's exit status (0 when nothing needed building). */
export function buildWebIfStale(root) {
  const web = path.join(root, "web");
  const output = path.join(web, ".svelte-kit/cloudflare/_worker.js");
  // Test runs start several stacks at once and a build replaces its output in place:
  // one build at a time (mkdir is atomic), the others wait and then find it fresh.
  const lock = path.join(web, ".svelte-kit/build.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      else sleep(250);
    }
  }
  try {
    // Scalar's bundle for the API reference is copied in by the build (vite.config.ts): a build
    // made before that existed lacks it.
    const scalar = path.join(web, ".svelte-kit/cloudflare/vendor/scalar/api-reference.js");
    if (existsSync(output) && existsSync(scalar) && statSync(output).mtimeMs >= newestSource(web)) return 0;
    const vite = path.join(root, "node_modules/vite/bin/vite.js");
    return (
      spawnSync(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: web, stdio: ["ignore", "inherit", "inherit"] }).status ?? 1
    );
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
