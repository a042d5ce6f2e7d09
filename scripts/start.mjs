#!/usr/bin/env node
// `npm start`: the whole platform locally under wrangler (workerd): the web app, the API,
// queues, Durable Objects, D1 and R2, with state in .wrangler/state (or $PERSIST_DIR).
// Builds the web app (unless its build is newer than its sources), applies the D1
// migrations, then serves both Workers on one URL, 127.0.0.1:$PORT (default 8787).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWebIfStale } from "./build-web.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Node ${process.versions.node} is too old for wrangler; run through npm (npm start), which uses the project's Node.`);
  process.exit(1);
}

const port = process.env.PORT || "8787";
const persist = path.resolve(root, process.env.PERSIST_DIR || ".wrangler/state");
const config = path.join(root, "wrangler.toml");
const webConfig = path.join(root, "web/wrangler.toml");

const build = buildWebIfStale(root);
if (build !== 0) {
  console.error("Building the web app failed.");
  process.exit(build);
}

const migrate = spawnSync(
  process.execPath,
  [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", config],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CI: "true" } },
);
if (migrate.status !== 0) {
  console.error("Applying the D1 migrations failed.");
  process.exit(migrate.status ?? 1);
}

// The API Worker reads its secrets and [vars] overrides from this process's environment
// (the `secrets` section of wrangler.toml). Sign-in tokens need a key: a random one is
// made once per state folder, so tokens stay valid across restarts.
mkdirSync(persist, { recursive: true });
const secretFile = path.join(persist, "jwt-secret");
if (!process.env.JWT_SECRET) {
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString("hex"), { mode: 0o600 });
  process.env.JWT_SECRET = readFileSync(secretFile, "utf8").trim();
}

// The first config is the primary Worker, served on the port (the web app); the API Worker
// runs in the same session and is reached through the web app's API service binding.
const child = spawn(
  process.execPath,
  [
    wrangler, "dev", "-c", webConfig, "-c", config, "--ip", "127.0.0.1", "--port", port, "--persist-to", persist,
    "--show-interactive-dev-session=false",
    ...(process.env.INSPECTOR_PORT ? ["--inspector-port", process.env.INSPECTOR_PORT] : []),
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit" },
);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
