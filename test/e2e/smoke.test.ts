// `npm run smoke` (scripts/smoke.ts) against the real local stack, as it runs against a deployed
// service: an API key made through the API, every check passing; a revoked key and a dead
// address failing with exit status 1; a missing key refused with 2.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, ROOT, signIn, startStack, waitFor, type Stack } from "./stack";

let stack: Stack;
let cronSession: string;
let lapsingJob: string;

beforeAll(async () => {
  // The one stack of the suite that starts from an empty state, as a first `npm start` does
  // (the others copy a state with the migrations already applied).
  // Its cron runs every 2 s (LOCAL_CRON) and a book in parts lapses after 5 s (the least
  // PARTS_TTL_SECONDS allows): the last test sees npm start run the cron by itself.
  stack = await startStack({ LOCAL_CRON: "*/2 * * * * *", PARTS_TTL_SECONDS: "5" }, { freshState: true });
  cronSession = await signIn(stack.url, "cron@example.com");
  const created = await fetch(`${stack.url}/api/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${cronSession}`, "content-type": "application/json" },
    body: JSON.stringify({ parts: 2, filename: "never-sent.pdf" }),
  });
  expect(created.status).toBe(201);
  lapsingJob = ((await created.json()) as { id: string }).id;
});
afterAll(async () => {
  await stack?.stop();
});

function smoke(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const tsx = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
  const child = spawn(process.execPath, [tsx, path.join(ROOT, "scripts/smoke.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, SMOKE_API_KEY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? 1, out })));
}

async function newKey(session: string): Promise<{ id: string; key: string }> {
  const r = await fetch(`${stack.url}/api/v1/api-keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${session}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "smoke test" }),
  });
  expect(r.status).toBe(201);
  return (await r.json()) as { id: string; key: string };
}

describe("npm run smoke against the local stack", () => {
  it("a first npm start applies every D1 migration (a restart's check finds them all applied)", async () => {
    const { migrationNames, migrationsUpToDate } = await import("../../scripts/migrations-state.mjs");
    const out = stack.output();
    expect(out).not.toContain("every migration is applied already");
    for (const name of migrationNames(ROOT)) expect(out).toContain(name);
    // The state folder it made now passes the check npm start makes before calling wrangler;
    // an empty one does not.
    expect(await migrationsUpToDate(ROOT, stack.state)).toBe(true);
    expect(await migrationsUpToDate(ROOT, path.join(stack.state, "nothing-here"))).toBe(false);
  });
  it("every check passes with an API key: health, sign-in, app, key, job, its WebSocket events, cleanup", async () => {
    const session = await signIn(stack.url, "smoke@example.com");
    const { key } = await newKey(session);
    const r = await smoke([stack.url, "--api-key", key, "--timeout", "120"]);
    expect(r.code, r.out).toBe(0);
    const lines = r.out.split("\n");
    for (const name of ["health", "sign-in", "app", "api key", "job", "events", "cleanup"]) {
      expect(
        lines.some((l) => l.startsWith(`ok   ${name} `)),
        `${name} in:\n${r.out}`,
      ).toBe(true);
    }
    expect(r.out).toMatch(/^ok {3}sign-in +302 to http:\/\/127\.0\.0\.1:\d+\/authorize /m);
    expect(r.out).toMatch(/^ok {3}events +\d+ events over the WebSocket, seq 1…\d+, the last one completed$/m);
    expect(r.out).toContain("smoke: all 7 checks ok");
    expect(r.out).not.toContain(key);
    // It cleaned up after itself.
    const jobs = await getJson(`${stack.url}/api/v1/jobs`, session);
    expect(jobs.body.jobs).toEqual([]);
  });

  it("a revoked key (from SMOKE_API_KEY) fails the key check: exit 1, the rest skipped", async () => {
    const session = await signIn(stack.url, "smoke-revoked@example.com");
    const { id, key } = await newKey(session);
    const del = await fetch(`${stack.url}/api/v1/api-keys/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${session}` } });
    expect(del.status).toBe(204);
    const r = await smoke([stack.url], { SMOKE_API_KEY: key });
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/^FAIL api key +HTTP 401 /m);
    expect(r.out).not.toMatch(/^(ok {3}|FAIL) job/m);
    expect(r.out).toContain("smoke: 1 of 4 checks FAILED");
  });

  it("nothing listening: health fails; no key: refused before any request", async () => {
    const dead = await smoke(["http://127.0.0.1:9", "--no-job"]);
    expect(dead.code, dead.out).toBe(1);
    expect(dead.out).toMatch(/^FAIL health /m);
    const nokey = await smoke([stack.url]);
    expect(nokey.code).toBe(2);
    expect(nokey.out).toContain("No API key: set SMOKE_API_KEY or pass --api-key");
  });
  it("npm start runs the cron itself: a book in parts whose parts never came is ended without a manual call", async () => {
    // Only the cron moves an `uploading` job whose deadline passed to failed (GET does not).
    const job = await waitFor(
      async () => {
        const r = await getJson(`${stack.url}/api/v1/jobs/${lapsingJob}`, cronSession);
        return r.body.status === "failed" ? r.body : undefined;
      },
      90_000,
      "the lapsed upload to be ended by the cron",
    );
    expect(job.error_code ?? job.error?.code).toBe("upload_incomplete");
    // The route the cron goes through is not open to anyone else.
    const anon = await fetch(`${stack.url}/api/__local/scheduled`, { method: "POST", headers: { authorization: "Bearer guess" } });
    expect(anon.status).toBe(404);
    // The start output ends with a summary, and nothing in it reads like a failure offline.
    const out = stack.output();
    expect(out).toContain(`French Novel Tool is running: ${stack.url}`);
    expect(out).toMatch(/Cron: \*\/2 \* \* \* \* \* \(UTC\), run by npm start/);
    expect(out).not.toMatch(/ENOTFOUND|Unable to fetch the `Request.cf`/);
  });
});
