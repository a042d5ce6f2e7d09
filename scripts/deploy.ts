// The whole deploy to Cloudflare, first or later (`npm run deploy`, entry scripts/deploy.mjs):
// creates what is missing (D1 database, R2 bucket, queues), writes the D1 id into wrangler.toml,
// applies the D1 migrations remotely, deploys the API Worker with its secrets, builds the web app
// and deploys it. Every step looks first and skips what exists, so running it again is safe.
// `--dry-run` prints the plan (every command, in order, with what it checks) and runs nothing.
// `--check-config` only refuses placeholders and missing secrets (for CI, before wrangler-action).
//
// Commands go through a Runner, so tests replace wrangler and npm (in process, or with
// WRANGLER_BIN / NPM_BIN pointing at a fake program).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { parseRetentionDays, RetentionConfigError } from "../schema/retention.ts";

export interface Command {
  tool: "wrangler" | "npm";
  args: string[];
  /** How the command is shown (defaults to the tool and its args). */
  display?: string;
}
export interface RunResult {
  status: number;
  stdout: string;
}
/** Runs a command; `capture` returns its stdout instead of showing it. */
export type Runner = (command: Command, options: { capture: boolean }) => Promise<RunResult>;

/** What the deploy needs to know of one Worker's configuration (for one environment). */
export interface WorkerConfig {
  name: string;
  d1: { binding: string; database_name: string; database_id?: string }[];
  r2: { binding: string; bucket_name: string }[];
  queues: string[];
  services: { binding: string; service: string }[];
  vars: Record<string, unknown>;
  requiredSecrets: string[];
}
export type ConfigReader = (configPath: string, env: string) => WorkerConfig;

export interface DeployOptions {
  root: string;
  /** API Worker's config and the app's (absolute paths). */
  config: string;
  webConfig: string;
  env: string;
  mode: "deploy" | "dry-run" | "check-config";
  /** Where secrets are read from (never printed). */
  environment: Record<string, string | undefined>;
  run: Runner;
  readConfig?: ConfigReader;
  log?: (line: string) => void;
}

export const PLACEHOLDER_D1_ID = "00000000-0000-0000-0000-000000000000";
/** Secrets put when set in the environment, beside the config's required ones. */
export const OPTIONAL_SECRETS = ["GEMINI_API_KEY", "METRICS_TOKEN", "TOKEN_ENCRYPTION_KEY"];

const isPlaceholderId = (id: string | undefined) => !id || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(id);
const isPlaceholderClientId = (v: unknown) => typeof v !== "string" || v === "" || v.startsWith("set-me");

/** wrangler's own reading of a config file for one environment. */
export const readWranglerConfig: ConfigReader = (configPath, env) => {
  const require = createRequire(import.meta.url);
  const { unstable_readConfig } = require("wrangler") as typeof import("wrangler");
  const c = unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
  const queues: string[] = [];
  for (const p of c.queues?.producers ?? []) queues.push(p.queue);
  for (const q of c.queues?.consumers ?? []) {
    queues.push(q.queue);
    if (q.dead_letter_queue) queues.push(q.dead_letter_queue);
  }
  return {
    name: c.name ?? "",
    d1: (c.d1_databases ?? []).map((d: { binding: string; database_name?: string; database_id?: string }) => ({
      binding: d.binding,
      database_name: d.database_name ?? "",
      database_id: d.database_id,
    })),
    r2: (c.r2_buckets ?? []).map((b: { binding: string; bucket_name?: string }) => ({
      binding: b.binding,
      bucket_name: b.bucket_name ?? "",
    })),
    queues: [...new Set(queues)],
    services: (c.services ?? []).map((s: { binding: string; service: string }) => ({ binding: s.binding, service: s.service })),
    vars: { ...(c.vars ?? {}) },
    requiredSecrets: [...(c.secrets?.required ?? [])],
  };
};

/** The TOML text with `database_id` of the [[env.<env>.d1_databases]] of `binding` set to `id`. */
export function setD1DatabaseId(toml: string, env: string, binding: string, id: string): string {
  const lines = toml.split("\n");
  const table = `env.${env}.d1_databases`;
  let inBlock = false;
  let blockBinding: string | undefined;
  let idLine = -1;
  let nameLine = -1;
  const apply = (): string | null => {
    if (!inBlock || blockBinding !== binding) return null;
    if (idLine >= 0) lines[idLine] = lines[idLine].replace(/=\s*"[^"]*"/, `= "${id}"`);
    else if (nameLine >= 0) lines.splice(nameLine + 1, 0, `database_id = "${id}"`);
    else throw new Error(`[[${table}]] with binding "${binding}" has no database_name`);
    return lines.join("\n");
  };
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i].match(/^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/);
    if (header) {
      const done = apply();
      if (done !== null) return done;
      inBlock = lines[i].trim().startsWith("[[") && header[1] === table;
      blockBinding = undefined;
      idLine = nameLine = -1;
      continue;
    }
    if (!inBlock) continue;
    const kv = lines[i].match(/^\s*([\w-]+)\s*=\s*"([^"]*)"/);
    if (kv?.[1] === "binding") blockBinding = kv[2];
    if (kv?.[1] === "database_id") idLine = i;
    if (kv?.[1] === "database_name") nameLine = i;
  }
  const done = apply();
  if (done !== null) return done;
  throw new Error(`no [[${table}]] with binding = "${binding}"`);
}

/** Names in `wrangler r2 bucket list` output ("name: …" lines). */
export function parseR2Buckets(output: string): string[] {
  return [...stripVTControlCharacters(output).matchAll(/^\s*name:\s+(\S+)\s*$/gm)].map((m) => m[1]);
}

/** Names in `wrangler queues list` output (a table with a "name" column). */
export function parseQueues(output: string): string[] {
  const names: string[] = [];
  let column = -1;
  for (const line of stripVTControlCharacters(output).split(/\r?\n/)) {
    if (!line.includes("│")) continue;
    const cells = line.split("│").map((c) => c.trim());
    if (column < 0) {
      column = cells.indexOf("name");
      continue;
    }
    if (cells[column]) names.push(cells[column]);
  }
  return names;
}

/** The databases in `wrangler d1 list --json` output. */
export function parseD1List(output: string): { name: string; uuid: string }[] {
  const text = stripVTControlCharacters(output);
  const start = text.indexOf("[");
  const end = text.lastIndexOf("]");
  if (start < 0 || end < start) throw new Error(`wrangler d1 list --json printed no JSON list:\n${text.slice(0, 500)}`);
  const list = JSON.parse(text.slice(start, end + 1)) as { name?: string; uuid?: string }[];
  return list.filter((d) => d.name && d.uuid).map((d) => ({ name: d.name!, uuid: d.uuid! }));
}

interface Step {
  title: string;
  /** The plan: what it checks and what it runs, as printed by --dry-run. */
  plan: string[];
  execute: () => Promise<void>;
}

class StepError extends Error {}

/** Runs the deploy (or prints its plan); returns the exit status. */
export async function deploy(o: DeployOptions): Promise<number> {
  const log = o.log ?? ((line: string) => console.log(line));
  const readConfig = o.readConfig ?? readWranglerConfig;
  const rel = (p: string) => path.relative(o.root, p).split(path.sep).join("/") || ".";
  const configRel = rel(o.config);
  const webConfigRel = rel(o.webConfig);
  const envTable = `[env.${o.env}]`;

  let api = readConfig(o.config, o.env);
  const web = readConfig(o.webConfig, o.env);
  const secrets = [...new Set([...api.requiredSecrets, ...OPTIONAL_SECRETS])];
  const present = secrets.filter((s) => o.environment[s]);

  // What would stop the deploy before it touches anything.
  const problems: string[] = [];
  for (const s of api.requiredSecrets) {
    if (!o.environment[s])
      problems.push(`${s} is not set in the environment: it is a required secret of the API Worker (${configRel} [env.${o.env}.secrets]).`);
  }
  if (isPlaceholderClientId(api.vars.GOOGLE_CLIENT_ID)) {
    problems.push(
      `GOOGLE_CLIENT_ID in ${configRel} [env.${o.env}.vars] is the placeholder ${JSON.stringify(api.vars.GOOGLE_CLIENT_ID)}: put your OAuth client id there (README, "Google sign-in").`,
    );
  }
  try {
    parseRetentionDays(api.vars.RETENTION_DAYS === undefined ? undefined : String(api.vars.RETENTION_DAYS));
  } catch (err) {
    if (!(err instanceof RetentionConfigError)) throw err;
    problems.push(`${err.message.slice(0, -1)} in ${configRel} [env.${o.env}.vars].`);
  }
  const apiBinding = web.services.find((s) => s.binding === "API");
  if (apiBinding && apiBinding.service !== api.name) {
    problems.push(`${webConfigRel} binds API to the Worker "${apiBinding.service}" but ${configRel} ${envTable} deploys "${api.name}".`);
  }
  const d1 = api.d1[0];
  if (o.mode === "check-config") {
    for (const db of api.d1) {
      if (isPlaceholderId(db.database_id)) {
        problems.push(
          `database_id of D1 "${db.database_name}" in ${configRel} [[env.${o.env}.d1_databases]] is the placeholder ${PLACEHOLDER_D1_ID}: run \`npm run deploy\` once (it creates the database and writes its id), or put the id there.`,
        );
      }
    }
    for (const p of problems) log(`refused: ${p}`);
    if (problems.length === 0)
      log(`config: ${configRel} and ${webConfigRel} ${envTable} have no placeholder; secrets present: ${present.join(", ")}`);
    return problems.length ? 1 : 0;
  }

  const show = (c: Command) => c.display ?? [c.tool, ...c.args].join(" ");
  const exec = async (c: Command, capture = false): Promise<string> => {
    log(`  $ ${show(c)}`);
    const r = await o.run(c, { capture });
    if (r.status !== 0)
      throw new StepError(`\`${show(c)}\` failed (exit ${r.status})${capture && r.stdout ? `:\n${r.stdout.trim()}` : ""}`);
    return r.stdout;
  };
  const wrangler = (...args: string[]): Command => ({ tool: "wrangler", args });
  const withEnv = ["--env", o.env];

  const steps: Step[] = [];

  steps.push({
    title: "Cloudflare account",
    plan: ["check: wrangler whoami --json → signed in (CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID, or `npx wrangler login`)"],
    execute: async () => {
      const out = await exec(wrangler("whoami", "--json"), true);
      let who = "signed in";
      try {
        const j = JSON.parse(out.slice(out.indexOf("{"))) as { email?: string; accounts?: { name?: string }[] };
        who = `signed in${j.email ? ` as ${j.email}` : ""}${j.accounts?.length ? ` (accounts: ${j.accounts.map((a) => a.name).join(", ")})` : ""}`;
      } catch {
        // not JSON: the exit status said enough
      }
      log(`  ${who}`);
    },
  });

  for (const db of api.d1) {
    const where = `${configRel} [[env.${o.env}.d1_databases]] (binding ${db.binding})`;
    steps.push({
      title: `D1 database ${db.database_name}`,
      plan: [
        `check: wrangler d1 list --json → is "${db.database_name}" there?`,
        `if not: wrangler d1 create ${db.database_name}, then wrangler d1 list --json again for its id`,
        `then: if its id is not ${configRel}'s (now ${db.database_id}${isPlaceholderId(db.database_id) ? ", a placeholder" : ""}), write it into [[env.${o.env}.d1_databases]] binding ${db.binding} (commit the change)`,
      ],
      execute: async () => {
        let found = parseD1List(await exec(wrangler("d1", "list", "--json"), true)).find((d) => d.name === db.database_name);
        if (found) log(`  exists: ${found.uuid}`);
        else {
          await exec(wrangler("d1", "create", db.database_name));
          found = parseD1List(await exec(wrangler("d1", "list", "--json"), true)).find((d) => d.name === db.database_name);
          if (!found) throw new StepError(`created D1 "${db.database_name}" but wrangler d1 list does not show it`);
          log(`  created: ${found.uuid}`);
        }
        if (db.database_id === found.uuid) {
          log(`  ${where} already has this id`);
          return;
        }
        writeFileSync(o.config, setD1DatabaseId(readFileSync(o.config, "utf8"), o.env, db.binding, found.uuid));
        api = readConfig(o.config, o.env);
        const now = api.d1.find((d) => d.binding === db.binding)?.database_id;
        if (now !== found.uuid) throw new StepError(`wrote database_id ${found.uuid} into ${where} but wrangler reads ${now}`);
        log(`  wrote database_id = "${found.uuid}" into ${where}: commit it`);
      },
    });
  }

  for (const bucket of api.r2) {
    steps.push({
      title: `R2 bucket ${bucket.bucket_name}`,
      plan: [
        `check: wrangler r2 bucket list → is "${bucket.bucket_name}" there?`,
        `if not: wrangler r2 bucket create ${bucket.bucket_name}`,
      ],
      execute: async () => {
        if (parseR2Buckets(await exec(wrangler("r2", "bucket", "list"), true)).includes(bucket.bucket_name)) {
          log("  exists");
          return;
        }
        await exec(wrangler("r2", "bucket", "create", bucket.bucket_name));
      },
    });
  }

  if (api.queues.length) {
    steps.push({
      title: `Queues ${api.queues.join(", ")}`,
      plan: [
        `check: wrangler queues list --page 1 (then --page 2, 3… while pages list new queues) → which of ${api.queues.join(", ")} are there?`,
        ...api.queues.map((q) => `if "${q}" is not: wrangler queues create ${q}`),
      ],
      execute: async () => {
        const existing = new Set<string>();
        for (let page = 1; page <= 50; page++) {
          const names = parseQueues(await exec(wrangler("queues", "list", "--page", String(page)), true));
          const fresh = names.filter((n) => !existing.has(n));
          for (const n of fresh) existing.add(n);
          if (fresh.length === 0 || api.queues.every((q) => existing.has(q))) break;
        }
        for (const q of api.queues) {
          if (existing.has(q)) log(`  exists: ${q}`);
          else await exec(wrangler("queues", "create", q));
        }
      },
    });
  }

  if (d1) {
    steps.push({
      title: "D1 migrations",
      plan: [
        `run: wrangler d1 migrations apply ${d1.binding} --remote --env ${o.env} -c ${configRel}  (wrangler looks at what the remote database has applied and applies only the rest)`,
      ],
      execute: async () => {
        await exec(wrangler("d1", "migrations", "apply", d1.binding, "--remote", ...withEnv, "-c", configRel));
      },
    });
  }

  const secretsShown = `<temporary file, mode 600, removed after: ${present.length ? present.join(", ") : secrets.join(", ")}>`;
  steps.push({
    title: `API Worker ${api.name}, with its secrets`,
    plan: [
      `check: no placeholder left in ${configRel} ${envTable} (D1 database_id, GOOGLE_CLIENT_ID)`,
      `secrets: ${secrets.map((s) => `${s} (${api.requiredSecrets.includes(s) ? "required" : "optional"}${o.environment[s] ? ", set" : ", not set: kept as it is"})`).join(", ")}, read from the environment, never printed`,
      `run: wrangler deploy ${withEnv.join(" ")} -c ${configRel} --secrets-file ${secretsShown}`,
    ],
    execute: async () => {
      const left: string[] = [];
      for (const db of api.d1)
        if (isPlaceholderId(db.database_id)) left.push(`D1 database_id of "${db.database_name}" is ${PLACEHOLDER_D1_ID}`);
      if (isPlaceholderClientId(api.vars.GOOGLE_CLIENT_ID)) left.push(`GOOGLE_CLIENT_ID is ${JSON.stringify(api.vars.GOOGLE_CLIENT_ID)}`);
      if (left.length) throw new StepError(`refusing to deploy with placeholders in ${configRel} ${envTable}: ${left.join("; ")}`);
      const dir = mkdtempSync(path.join(tmpdir(), "fnt-deploy-"));
      try {
        const file = path.join(dir, "secrets.json");
        const values: Record<string, string> = {};
        for (const s of present) values[s] = o.environment[s]!;
        writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
        const args = ["deploy", ...withEnv, "-c", configRel, "--secrets-file", file];
        await exec({
          tool: "wrangler",
          args,
          display: `wrangler deploy ${withEnv.join(" ")} -c ${configRel} --secrets-file <${present.join(", ")}>`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });

  steps.push({
    title: "Build the web app",
    plan: ["run: npm run build:web"],
    execute: async () => {
      await exec({ tool: "npm", args: ["run", "build:web"] });
    },
  });

  steps.push({
    title: `App Worker ${web.name}`,
    plan: [
      `run: wrangler deploy ${withEnv.join(" ")} -c ${webConfigRel}  (after the API Worker: its service binding API → ${apiBinding?.service ?? api.name})`,
    ],
    execute: async () => {
      await exec(wrangler("deploy", ...withEnv, "-c", webConfigRel));
    },
  });

  if (o.mode === "dry-run") {
    log(`Deploy plan for ${envTable} (dry run: nothing below is run, Cloudflare is not called):`);
    steps.forEach((s, i) => {
      log(`${i + 1}. ${s.title}`);
      for (const line of s.plan) log(`   ${line}`);
    });
    log(`Afterwards: npm run smoke -- https://<your domain>`);
    if (problems.length) {
      log("A real run would stop before step 1:");
      for (const p of problems) log(`  - ${p}`);
      return 1;
    }
    return 0;
  }

  if (problems.length) {
    for (const p of problems) log(`refused: ${p}`);
    log("Nothing was run.");
    return 1;
  }
  for (const [i, s] of steps.entries()) {
    log(`${i + 1}/${steps.length} ${s.title}`);
    try {
      await s.execute();
    } catch (err) {
      log(`step ${i + 1} (${s.title}) failed: ${err instanceof StepError ? err.message : String(err)}`);
      log("Fix it and run `npm run deploy` again: the steps done are skipped.");
      return 1;
    }
  }
  log(`Deployed ${api.name} and ${web.name} (${envTable}). Check it: npm run smoke -- https://<your domain>`);
  return 0;
}

/** The real runner: wrangler from node_modules (or $WRANGLER_BIN), npm (or $NPM_BIN). */
export function processRunner(root: string, environment: NodeJS.ProcessEnv = process.env): Runner {
  const childEnv: NodeJS.ProcessEnv = { ...environment };
  // Secrets reach wrangler only through the secrets file.
  for (const s of ["GOOGLE_CLIENT_SECRET", ...OPTIONAL_SECRETS, "SMOKE_API_KEY"]) delete childEnv[s];
  const program = (bin: string, args: string[]): [string, string[], boolean] =>
    /\.[cm]?[jt]s$/.test(bin) ? [process.execPath, [bin, ...args], false] : [bin, args, process.platform === "win32"];
  return (c, { capture }) => {
    let argv: [string, string[], boolean];
    if (c.tool === "wrangler") {
      argv = program(environment.WRANGLER_BIN || path.join(root, "node_modules/wrangler/bin/wrangler.js"), c.args);
    } else if (environment.NPM_BIN) {
      argv = program(environment.NPM_BIN, c.args);
    } else if (environment.npm_execpath && /\.[cm]?js$/.test(environment.npm_execpath)) {
      argv = [process.execPath, [environment.npm_execpath, ...c.args], false];
    } else {
      argv = ["npm", c.args, process.platform === "win32"];
    }
    const [command, args, shell] = argv;
    return new Promise((resolve) => {
      const child = spawn(command, args, { cwd: root, env: childEnv, shell, stdio: ["inherit", capture ? "pipe" : "inherit", "inherit"] });
      let stdout = "";
      child.stdout?.on("data", (d) => (stdout += d));
      child.on("error", (err) => resolve({ status: 127, stdout: String(err) }));
      child.on("close", (code) => resolve({ status: code ?? 1, stdout }));
    });
  };
}

/** `npm run deploy [-- --dry-run | --check-config] [--env NAME] [--config PATH] [--web-config PATH]` */
export async function main(argv: string[], root: string): Promise<number> {
  let mode: DeployOptions["mode"] = "deploy";
  let env = "production";
  let config = path.join(root, "wrangler.toml");
  let webConfig = path.join(root, "web/wrangler.toml");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--dry-run") mode = "dry-run";
    else if (a === "--check-config") mode = "check-config";
    else if (a === "--env") env = argv[++i];
    else if (a === "--config" || a === "-c") config = path.resolve(argv[++i]);
    else if (a === "--web-config") webConfig = path.resolve(argv[++i]);
    else if (a === "--help" || a === "-h") {
      console.log(
        "usage: npm run deploy [-- --dry-run | --check-config] [--env production] [--config wrangler.toml] [--web-config web/wrangler.toml]",
      );
      return 0;
    } else {
      console.error(`unknown argument: ${a} (see --help)`);
      return 2;
    }
  }
  if (!env) {
    console.error("--env needs a name");
    return 2;
  }
  return deploy({ root, config, webConfig, env, mode, environment: process.env, run: processRunner(root) });
}
