#!/usr/bin/env node
// `npm start`: the whole platform locally under wrangler (workerd): the web app, the API,
// queues, Durable Objects, D1 and R2, with state in .wrangler/state (or $PERSIST_DIR), and a
// local OpenID provider standing in for Google sign-in.
// Builds the web app (unless its build is newer than its sources), applies the D1
// migrations, then serves both Workers on one URL, 127.0.0.1:$PORT (default 8787).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWebIfStale } from "./build-web.mjs";
import { configuredCrons, startLocalCron } from "./local-cron.mjs";
import { migrationsUpToDate } from "./migrations-state.mjs";

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

if (await migrationsUpToDate(root, persist)) {
  console.log("D1: every migration is applied already.");
} else {
  const migrate = spawnSync(
    process.execPath,
    [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", config],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CI: "true" } },
  );
  if (migrate.status !== 0) {
    console.error("Applying the D1 migrations failed.");
    process.exit(migrate.status ?? 1);
  }
}

// A bad RETENTION_DAYS would keep the cron from deleting anything: said now, not at the first run.
if (process.env.RETENTION_DAYS !== undefined) {
  const { parseRetentionDays } = await import("../schema/retention.ts");
  try {
    parseRetentionDays(process.env.RETENTION_DAYS);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

// The API Worker reads its secrets and [vars] overrides from this process's environment
// (the `secrets` section of wrangler.toml).
mkdirSync(persist, { recursive: true });

/** A random secret made once per state folder, so it survives restarts. */
function stateSecret(name) {
  const file = path.join(persist, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

// Webhook signing secrets are derived from this key (one per state folder locally).
process.env.WEBHOOK_SIGNING_KEY ||= stateSecret("webhook-signing-key");
// Google refresh tokens (Sheets export) are encrypted at rest under this key.
process.env.TOKEN_ENCRYPTION_KEY ||= stateSecret("token-encryption-key");

// Sign-in with Google: with no Google client configured, a local OpenID provider stands in
// for Google (its own port, OIDC_PORT, default PORT+1), so the real sign-in flow runs offline.
/** The local provider's port, when it runs. */
let oidcPort;
if (process.env.GOOGLE_CLIENT_ID) {
  if (!process.env.GOOGLE_CLIENT_SECRET) {
    console.error("GOOGLE_CLIENT_ID is set but GOOGLE_CLIENT_SECRET is not: set both, or neither for the local provider.");
    process.exit(1);
  }
} else {
  oidcPort = Number(process.env.OIDC_PORT || Number(port) + 1);
  const issuer = `http://127.0.0.1:${oidcPort}`;
  const client = {
    id: "french-novel-tool-local",
    secret: stateSecret("oidc-client-secret"),
    redirectUris: ["127.0.0.1", "localhost"].flatMap((h) =>
      ["/api/v1/auth/google/callback", "/api/v1/integrations/google-sheets/callback"].map((p) => `http://${h}:${port}${p}`),
    ),
  };
  const { serveLocalOidc } = await import("./local-oidc.ts");
  try {
    await serveLocalOidc({ issuer, port: oidcPort, clients: [client], controls: process.env.LOCAL_OIDC_CONTROLS === "1" });
  } catch (err) {
    console.error(`The local sign-in provider could not listen on ${issuer} (${err.code ?? err}); set OIDC_PORT to a free port.`);
    process.exit(1);
  }
  console.log(`Local sign-in provider (standing in for Google) on ${issuer}`);
  process.env.GOOGLE_CLIENT_ID = client.id;
  process.env.GOOGLE_CLIENT_SECRET = client.secret;
  process.env.OIDC_ISSUER = issuer;
  // Revoking a reader's Google grant (Disconnect, deleting the account) goes to the stand-in too.
  process.env.GOOGLE_REVOKE_URL ||= `${issuer}/revoke`;
}

// Google Sheets export: with the local provider (no Google client) and no GOOGLE_SHEETS_API_URL,
// a local Sheets API stand-in (SHEETS_PORT, default PORT+2) checks tokens at that provider.
if (oidcPort !== undefined && !process.env.GOOGLE_SHEETS_API_URL) {
  const sheetsPort = Number(process.env.SHEETS_PORT || Number(port) + 2);
  const base = `http://127.0.0.1:${sheetsPort}`;
  const { serveLocalSheets, tokeninfoVerifier } = await import("./local-sheets.ts");
  try {
    await serveLocalSheets({
      base,
      port: sheetsPort,
      verifyToken: tokeninfoVerifier(`http://127.0.0.1:${oidcPort}`),
      controls: process.env.LOCAL_OIDC_CONTROLS === "1",
    });
  } catch (err) {
    console.error(`The local Google Sheets stand-in could not listen on ${base} (${err.code ?? err}); set SHEETS_PORT to a free port.`);
    process.exit(1);
  }
  console.log(`Local Google Sheets API stand-in on ${base}`);
  process.env.GOOGLE_SHEETS_API_URL = base;
}

// GEMINI_API_KEY is a secret of wrangler.toml's [secrets] (so wrangler takes it from here):
// unset means the local engine, said explicitly so wrangler does not warn it is missing.
process.env.GEMINI_API_KEY ??= "";
// METRICS_TOKEN likewise (empty: only operators read /api/v1/admin/metrics).
process.env.METRICS_TOKEN ??= "";

// The cron: wrangler dev never fires it; this script does (scripts/local-cron.mjs), with a
// token made for this run that opens the API's local-only trigger route.
const crons = process.env.LOCAL_CRON === "off" ? [] : process.env.LOCAL_CRON ? [process.env.LOCAL_CRON] : configuredCrons(config);
process.env.LOCAL_CRON_TOKEN = crons.length > 0 ? randomBytes(24).toString("hex") : "";

// Offline, miniflare's fetch of the `Request.cf` sample (workers.cloudflare.com) would print a
// stack trace; its built-in placeholder is what it falls back to anyway.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

// The first config is the primary Worker, served on the port (the web app); the API Worker
// runs in the same session and is reached through the web app's API service binding.
const child = spawn(
  process.execPath,
  [
    wrangler,
    "dev",
    "-c",
    webConfig,
    "-c",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    port,
    "--persist-to",
    persist,
    "--show-interactive-dev-session=false",
    ...(process.env.INSPECTOR_PORT ? ["--inspector-port", process.env.INSPECTOR_PORT] : []),
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit" },
);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// Once the app answers: the cron's schedule starts, and a summary a newcomer can act on.
const url = `http://127.0.0.1:${port}`;
for (;;) {
  try {
    if ((await fetch(`${url}/api/health`)).ok) break;
  } catch {
    /* not up yet */
  }
  await new Promise((r) => setTimeout(r, 500));
}
if (crons.length > 0) startLocalCron({ url, token: process.env.LOCAL_CRON_TOKEN, crons });
const engine = process.env.GEMINI_API_KEY
  ? "Google Gemini (GEMINI_API_KEY is set)"
  : "the local rule engine (set GEMINI_API_KEY for Gemini)";
console.log(
  [
    "",
    `French Novel Tool is running: ${url}`,
    oidcPort !== undefined
      ? `  Sign in: "Sign in with Google", then type any email on the local stand-in's page (http://127.0.0.1:${oidcPort}).`
      : '  Sign in: "Sign in with Google" (your Google client, GOOGLE_CLIENT_ID).',
    `  Engine: ${engine}.`,
    `  Cron: ${crons.length > 0 ? `${crons.join(", ")} (UTC), run by npm start` : "off (LOCAL_CRON=off)"}.`,
    `  State: ${persist}`,
    "  Stop: Ctrl+C.",
    "",
  ].join("\n"),
);
