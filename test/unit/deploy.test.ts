// `npm run deploy` (scripts/deploy.ts) against a pretend Cloudflare account: the dry run's plan,
// the real path's calls and their order, idempotence (what exists is skipped), the D1 id written
// into wrangler.toml, the refusals (placeholders, missing secret) and secrets never printed.
// In process with an injected runner, and as the real program with a fake wrangler (WRANGLER_BIN).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deploy,
  parseD1List,
  parseQueues,
  parseR2Buckets,
  readWranglerConfig,
  setD1DatabaseId,
  type DeployOptions,
  type Runner,
} from "../../scripts/deploy.ts";
import { fakeCommand, newCloud, type Call, type FakeCloud } from "../fixtures/fake-wrangler.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLIENT_ID = "123456789-abc.apps.googleusercontent.com";
const SECRET = "google-secret-value-7f3a";
const GEMINI = "gemini-key-value-91bc";
const PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
const HOOKKEY = "webhook-signing-key-5e1d";
const QUEUES = ["fnt-plan", "fnt-chunks", "fnt-webhooks", "fnt-learning", "fnt-plan-dlq", "fnt-chunks-dlq"];

let dir: string;
let config: string;
let webConfig: string;

/** A copy of both configs, the client id filled in (as an operator does before deploying). */
function copyConfigs(clientId = CLIENT_ID) {
  mkdirSync(path.join(dir, "web"), { recursive: true });
  config = path.join(dir, "wrangler.toml");
  webConfig = path.join(dir, "web/wrangler.toml");
  writeFileSync(
    config,
    readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").replace(
      'GOOGLE_CLIENT_ID = "set-me.apps.googleusercontent.com"',
      `GOOGLE_CLIENT_ID = "${clientId}"`,
    ),
  );
  copyFileSync(path.join(ROOT, "web/wrangler.toml"), webConfig);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "fnt-deploy-test-"));
  copyConfigs();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function inProcess(cloud: FakeCloud) {
  const calls: Call[] = [];
  const out: string[] = [];
  const run: Runner = async (c) => {
    calls.push({ tool: c.tool, args: c.args });
    return fakeCommand(cloud, c.args);
  };
  const options = (over: Partial<DeployOptions> = {}): DeployOptions => ({
    root: dir,
    config,
    webConfig,
    env: "production",
    mode: "deploy",
    environment: { GOOGLE_CLIENT_SECRET: SECRET, WEBHOOK_SIGNING_KEY: HOOKKEY, GEMINI_API_KEY: GEMINI },
    run,
    readConfig: readWranglerConfig,
    log: (l) => out.push(l),
    ...over,
  });
  return { calls, out, options, lines: () => calls.map((c) => `${c.tool} ${c.args.join(" ")}`) };
}

const d1Id = () => readWranglerConfig(config, "production").d1[0].database_id;
/** A call line with the temporary secrets file's path left out. */
const shape = (line: string) => line.replace(/--secrets-file \S+/, "--secrets-file <file>");

describe("parsing wrangler's output", () => {
  it("reads d1 list --json, r2 bucket list and the queues table", () => {
    expect(parseD1List('[{"uuid":"u1","name":"a"},{"uuid":"u2","name":"b"}]')).toEqual([
      { name: "a", uuid: "u1" },
      { name: "b", uuid: "u2" },
    ]);
    expect(parseR2Buckets("Listing buckets...\nname:           one\ncreation_date:  x\n\nname:  two\ncreation_date: y\n")).toEqual([
      "one",
      "two",
    ]);
    const cloud = newCloud({ queues: ["fnt-plan", "other-queue"] });
    expect(parseQueues(fakeCommand(cloud, ["queues", "list"]).stdout)).toEqual(["fnt-plan", "other-queue"]);
    expect(parseQueues("\u001b[90m┌─────┬──────┐\u001b[39m\n│ id  │ name │\n├─────┼──────┤\n│ 1   │ q-a  │\n└─────┴──────┘")).toEqual([
      "q-a",
    ]);
    expect(parseQueues("┌┐\n└┘")).toEqual([]);
  });

  it("writes the D1 id into the production block only", () => {
    const toml = readFileSync(config, "utf8");
    const out = setD1DatabaseId(toml, "production", "DB", "abcd-1234");
    const changed = out.split("\n").filter((l, i) => l !== toml.split("\n")[i]);
    expect(changed).toEqual(['database_id = "abcd-1234"']);
    const top = out.slice(0, out.indexOf("[env.production]"));
    expect(top).toContain(`database_id = "${PLACEHOLDER}"`);
    expect(() => setD1DatabaseId(toml, "staging", "DB", "x")).toThrow(/env\.staging\.d1_databases/);
  });
});

describe("npm run deploy -- --dry-run", () => {
  it("prints every step in order and runs nothing", async () => {
    const cloud = newCloud();
    const t = inProcess(cloud);
    expect(await deploy(t.options({ mode: "dry-run" }))).toBe(0);
    expect(t.calls).toEqual([]);
    const plan = t.out.join("\n");
    const order = [
      "wrangler whoami --json",
      "wrangler d1 list --json",
      "wrangler d1 create french-novel-tool",
      "write it into [[env.production.d1_databases]] binding DB",
      "wrangler r2 bucket list",
      "wrangler r2 bucket create french-novel-tool-files",
      "wrangler queues list --page 1",
      ...QUEUES.map((q) => `wrangler queues create ${q}`),
      "wrangler d1 migrations apply DB --remote --env production -c wrangler.toml",
      "GOOGLE_CLIENT_SECRET (required, set), WEBHOOK_SIGNING_KEY (required, set), GEMINI_API_KEY (optional, set)",
      "wrangler deploy --env production -c wrangler.toml --secrets-file",
      "npm run build:web",
      "wrangler deploy --env production -c web/wrangler.toml",
    ];
    let at = -1;
    for (const s of order) {
      const i = plan.indexOf(s, at + 1);
      expect(i, `"${s}" after position ${at}`).toBeGreaterThan(at);
      at = i;
    }
    expect(plan).not.toContain(SECRET);
    expect(plan).not.toContain(GEMINI);
    expect(cloud).toEqual(newCloud());
  });

  it("names what a real run would refuse, and exits 1", async () => {
    copyConfigs("set-me.apps.googleusercontent.com");
    const t = inProcess(newCloud());
    expect(await deploy(t.options({ mode: "dry-run", environment: {} }))).toBe(1);
    expect(t.calls).toEqual([]);
    const plan = t.out.join("\n");
    expect(plan).toContain("A real run would stop before step 1:");
    expect(plan).toContain("GOOGLE_CLIENT_SECRET is not set in the environment");
    expect(plan).toContain(
      'GOOGLE_CLIENT_ID in wrangler.toml [env.production.vars] is the placeholder "set-me.apps.googleusercontent.com"',
    );
  });
});

describe("npm run deploy against a pretend account", () => {
  it("first deploy: creates everything, writes the D1 id, migrates, deploys API (with secrets) then the app", async () => {
    const cloud = newCloud({ queuePageSize: 2 });
    const t = inProcess(cloud);
    expect(await deploy(t.options())).toBe(0);
    expect(t.lines().map(shape)).toEqual([
      "wrangler whoami --json",
      "wrangler d1 list --json",
      "wrangler d1 create french-novel-tool",
      "wrangler d1 list --json",
      "wrangler r2 bucket list",
      "wrangler r2 bucket create french-novel-tool-files",
      "wrangler queues list --page 1",
      ...QUEUES.map((q) => `wrangler queues create ${q}`),
      "wrangler d1 migrations apply DB --remote --env production -c wrangler.toml",
      "wrangler deploy --env production -c wrangler.toml --secrets-file <file>",
      "npm run build:web",
      "wrangler deploy --env production -c web/wrangler.toml",
    ]);
    expect(d1Id()).toBe(cloud.d1[0].uuid);
    expect(cloud.r2).toEqual(["french-novel-tool-files"]);
    expect(cloud.queues).toEqual(QUEUES);
    expect(cloud.migrationsApplied).toBe(1);
    expect(cloud.deployed).toEqual([
      { config: "wrangler.toml", secrets: ["GEMINI_API_KEY", "GOOGLE_CLIENT_SECRET", "WEBHOOK_SIGNING_KEY"], secretValuesPresent: true },
      { config: "web/wrangler.toml", secrets: [], secretValuesPresent: true },
    ]);
    const out = t.out.join("\n");
    expect(out).toContain(
      `wrote database_id = "${cloud.d1[0].uuid}" into wrangler.toml [[env.production.d1_databases]] (binding DB): commit it`,
    );
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(GEMINI);
    // The secrets file is gone.
    const file = t.calls.find((c) => c.args.includes("--secrets-file"))!.args.at(-1)!;
    expect(existsSync(file)).toBe(false);

    // Run again: nothing is created, the id is not rewritten; migrations and deploys run again.
    const again = inProcess(cloud);
    const before = readFileSync(config, "utf8");
    expect(await deploy(again.options())).toBe(0);
    expect(again.lines().filter((l) => / create /.test(l))).toEqual([]);
    expect(readFileSync(config, "utf8")).toBe(before);
    expect(cloud.d1).toHaveLength(1);
    expect(cloud.migrationsApplied).toBe(2);
    // The five queues were on three pages of two: each looked at, then stopped.
    expect(again.lines().filter((l) => l.includes("queues list"))).toEqual([
      "wrangler queues list --page 1",
      "wrangler queues list --page 2",
      "wrangler queues list --page 3",
    ]);
  });

  it("some things exist: only the rest is created, the existing database's id is written", async () => {
    const cloud = newCloud({
      d1: [
        { name: "another-db", uuid: "aaaaaaaa-0000-4000-8000-000000000001" },
        { name: "french-novel-tool", uuid: "bbbbbbbb-0000-4000-8000-000000000002" },
      ],
      r2: ["french-novel-tool-files", "unrelated"],
      queues: ["unrelated-1", "fnt-plan", "unrelated-2", "fnt-chunks-dlq"],
      queuePageSize: 3,
    });
    const t = inProcess(cloud);
    expect(await deploy(t.options({ environment: { GOOGLE_CLIENT_SECRET: SECRET, WEBHOOK_SIGNING_KEY: HOOKKEY } }))).toBe(0);
    expect(
      t
        .lines()
        .filter((l) => / (create|apply) |^wrangler deploy|^npm/.test(l))
        .map(shape),
    ).toEqual([
      "wrangler queues create fnt-chunks",
      "wrangler queues create fnt-webhooks",
      "wrangler queues create fnt-learning",
      "wrangler queues create fnt-plan-dlq",
      "wrangler d1 migrations apply DB --remote --env production -c wrangler.toml",
      "wrangler deploy --env production -c wrangler.toml --secrets-file <file>",
      "npm run build:web",
      "wrangler deploy --env production -c web/wrangler.toml",
    ]);
    expect(d1Id()).toBe("bbbbbbbb-0000-4000-8000-000000000002");
    // No Gemini key in the environment: only the required secret is sent (the other is kept).
    expect(cloud.deployed[0].secrets).toEqual(["GOOGLE_CLIENT_SECRET", "WEBHOOK_SIGNING_KEY"]);
  });

  it("refuses before any command: a missing secret, the client id placeholder", async () => {
    const t = inProcess(newCloud());
    expect(await deploy(t.options({ environment: { GEMINI_API_KEY: GEMINI } }))).toBe(1);
    expect(t.calls).toEqual([]);
    expect(t.out.join("\n")).toContain("refused: GOOGLE_CLIENT_SECRET is not set in the environment");

    copyConfigs("set-me.apps.googleusercontent.com");
    const u = inProcess(newCloud());
    expect(await deploy(u.options())).toBe(1);
    expect(u.calls).toEqual([]);
    expect(u.out.join("\n")).toMatch(/refused: GOOGLE_CLIENT_ID .* placeholder/);

    const toml = readFileSync(config, "utf8");
    const production = toml.lastIndexOf('RETENTION_DAYS = "30"'); // [env.production.vars] comes after [vars]
    writeFileSync(
      config,
      `${toml.slice(0, production)}RETENTION_DAYS = "a month"${toml.slice(production + 'RETENTION_DAYS = "30"'.length)}`,
    );
    const v = inProcess(newCloud());
    expect(await deploy(v.options())).toBe(1);
    expect(v.calls).toEqual([]);
    expect(v.out.join("\n")).toContain(
      'refused: RETENTION_DAYS must be a whole number of days from 1 to 3650 (how long a finished job is kept); it is "a month" in wrangler.toml [env.production.vars].',
    );
  });

  it("--check-config refuses the D1 placeholder, and passes once the id is there", async () => {
    const t = inProcess(newCloud());
    expect(await deploy(t.options({ mode: "check-config" }))).toBe(1);
    expect(t.out.join("\n")).toContain(
      `database_id of D1 "french-novel-tool" in wrangler.toml [[env.production.d1_databases]] is the placeholder`,
    );
    writeFileSync(config, setD1DatabaseId(readFileSync(config, "utf8"), "production", "DB", "cccccccc-0000-4000-8000-000000000003"));
    const u = inProcess(newCloud());
    expect(await deploy(u.options({ mode: "check-config" }))).toBe(0);
    expect(t.calls).toEqual([]);
    expect(u.calls).toEqual([]);
  });

  it("stops at a failing step and runs nothing after it; the next run picks up", async () => {
    const cloud = newCloud({ fail: "r2 bucket create" });
    const t = inProcess(cloud);
    expect(await deploy(t.options())).toBe(1);
    expect(t.lines().at(-1)).toBe("wrangler r2 bucket create french-novel-tool-files");
    expect(t.out.join("\n")).toContain("step 3 (R2 bucket french-novel-tool-files) failed");
    expect(cloud.d1).toHaveLength(1);
    cloud.fail = undefined;
    const again = inProcess(cloud);
    expect(await deploy(again.options())).toBe(0);
    expect(again.lines().filter((l) => / create /.test(l))).toEqual([
      "wrangler r2 bucket create french-novel-tool-files",
      ...QUEUES.map((q) => `wrangler queues create ${q}`),
    ]);
  });

  it("not signed in: stops at the first step", async () => {
    const t = inProcess(newCloud({ signedOut: true }));
    expect(await deploy(t.options())).toBe(1);
    expect(t.lines()).toEqual(["wrangler whoami --json"]);
  });
});

describe("scripts/deploy.mjs as a program, with a fake wrangler (WRANGLER_BIN)", () => {
  const fake = path.join(ROOT, "test/fixtures/fake-wrangler.ts");
  function runScript(args: string[], cloud: FakeCloud, env: Record<string, string> = {}) {
    const state = path.join(dir, "cloud.json");
    const log = path.join(dir, "calls.jsonl");
    writeFileSync(state, JSON.stringify(cloud));
    writeFileSync(log, "");
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/deploy.mjs"), ...args, "--config", config, "--web-config", webConfig], {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        WRANGLER_BIN: fake,
        NPM_BIN: fake,
        FAKE_CLOUD: state,
        FAKE_CLOUD_LOG: log,
        GOOGLE_CLIENT_SECRET: SECRET,
        WEBHOOK_SIGNING_KEY: HOOKKEY,
        ...env,
      },
    });
    // The script runs wrangler from the project, so the copies' paths are relative to it.
    const local = (p: string) => p.split(`${path.relative(ROOT, dir)}/`).join("");
    const calls = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call)
      .map((c) => ({ ...c, args: c.args.map(local) }));
    const after = JSON.parse(readFileSync(state, "utf8")) as FakeCloud;
    for (const d of after.deployed) d.config = local(d.config);
    return { ...r, calls, cloud: after };
  }

  it("--dry-run: the plan, and no wrangler call", () => {
    const r = runScript(["--dry-run"], newCloud());
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual([]);
    const titles = [...r.stdout.matchAll(/^(\d+)\. (.*)$/gm)].map((m) => m[2]);
    expect(titles).toEqual([
      "Cloudflare account",
      "D1 database french-novel-tool",
      "R2 bucket french-novel-tool-files",
      "Queues fnt-plan, fnt-chunks, fnt-webhooks, fnt-learning, fnt-plan-dlq, fnt-chunks-dlq",
      "D1 migrations",
      "API Worker french-novel-tool, with its secrets",
      "Build the web app",
      "App Worker french-novel-tool-web",
    ]);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain(HOOKKEY);
  });

  it("the real path: calls recorded in order, resources made, id written; a second run creates nothing", () => {
    const first = runScript([], newCloud({ r2: ["french-novel-tool-files"] }), { GEMINI_API_KEY: GEMINI });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.calls.map((c) => `${c.tool} ${c.args.join(" ")}`).map(shape)).toEqual([
      "wrangler whoami --json",
      "wrangler d1 list --json",
      "wrangler d1 create french-novel-tool",
      "wrangler d1 list --json",
      "wrangler r2 bucket list",
      "wrangler queues list --page 1",
      ...QUEUES.map((q) => `wrangler queues create ${q}`),
      "wrangler d1 migrations apply DB --remote --env production -c wrangler.toml",
      "wrangler deploy --env production -c wrangler.toml --secrets-file <file>",
      "npm run build:web",
      "wrangler deploy --env production -c web/wrangler.toml",
    ]);
    expect(first.cloud.deployed[0]).toEqual({
      config: "wrangler.toml",
      secrets: ["GEMINI_API_KEY", "GOOGLE_CLIENT_SECRET", "WEBHOOK_SIGNING_KEY"],
      secretValuesPresent: true,
    });
    expect(d1Id()).toBe(first.cloud.d1[0].uuid);
    expect(first.stdout + first.stderr).not.toContain(SECRET);
    expect(first.stdout + first.stderr).not.toContain(GEMINI);

    const second = runScript([], first.cloud);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.calls.filter((c) => c.args.includes("create"))).toEqual([]);
  });
});

describe("the development configuration cannot replace production", () => {
  it("has Worker names of its own, and each web Worker binds the API Worker of its own environment", () => {
    const dev = {
      api: readWranglerConfig(path.join(ROOT, "wrangler.toml"), ""),
      web: readWranglerConfig(path.join(ROOT, "web/wrangler.toml"), ""),
    };
    const prod = {
      api: readWranglerConfig(path.join(ROOT, "wrangler.toml"), "production"),
      web: readWranglerConfig(path.join(ROOT, "web/wrangler.toml"), "production"),
    };
    // `wrangler deploy` without --env production makes the "-dev" Workers, never the production ones.
    expect(dev.api.name).toBe("french-novel-tool-dev");
    expect(dev.web.name).toBe("french-novel-tool-web-dev");
    expect(prod.api.name).toBe("french-novel-tool");
    expect(prod.web.name).toBe("french-novel-tool-web");
    expect(dev.web.services).toEqual([{ binding: "API", service: dev.api.name }]);
    expect(prod.web.services).toEqual([{ binding: "API", service: prod.api.name }]);
    expect(dev.api.vars.ENVIRONMENT).toBe("development");
    expect(prod.api.vars.ENVIRONMENT).toBe("production");
    expect(prod.api.vars.DEV_AUTH).toBe("off");
  });
});
