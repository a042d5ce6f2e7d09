import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { FINAL_STATUSES } from "../../schema/api";
import { migrationNames } from "../../scripts/migrations-state.mjs";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const CORPUS = path.resolve(ROOT, "../shared/corpus");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Stack {
  url: string;
  /** The `npm start` process; wrangler and workerd are its descendants (its process group). */
  pid: number;
  /** The local OpenID provider standing in for Google (fault controls on). */
  oidc: string;
  /** Its wrangler state folder (PERSIST_DIR), removed by stop(). */
  state: string;
  output: () => string;
  stop: () => Promise<void>;
  /** Ends the stack at once (SIGKILL, as a crash would), its state folder kept for a restart. */
  kill: () => Promise<void>;
}

/**
 * A state folder with every D1 migration applied, made once per set of migrations (and wrangler
 * version) and copied into each stack's fresh state: `npm start` then finds nothing to apply
 * instead of running wrangler over eleven migrations (~9 s) for every stack.
 */
async function migratedState(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.parse(readFileSync(path.join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version);
  for (const name of migrationNames(ROOT)) hash.update(name).update(readFileSync(path.join(ROOT, "schema/migrations", name)));
  const dir = path.join(tmpdir(), `fnt-migrated-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(path.join(dir, "ready"))) return dir;
  const work = mkdtempSync(path.join(tmpdir(), "fnt-migrating-"));
  const wrangler = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  const args = [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", work, "-c", path.join(ROOT, "wrangler.toml")];
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: "ignore", env: { ...process.env, CI: "true" } });
    p.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`applying the migrations to a template state failed (exit ${code})`);
  writeFileSync(path.join(work, "ready"), "");
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another test file made it meanwhile
  }
  return dir;
}

/** Starts the real local platform exactly as `npm start` does, on a free port with fresh state. */
export async function startStack(
  extraEnv: Record<string, string> = {},
  options: { freshState?: boolean; state?: string } = {},
): Promise<Stack> {
  // Two stacks starting at once can race for a port (ours are free when picked, and wrangler picks
  // some of its own the same way): a start that fails on "Address already in use" is tried again
  // with new ports, up to twice.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(extraEnv, options);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("Address already in use")) throw err;
    }
  }
}

async function startStackOnce(extraEnv: Record<string, string>, options: { freshState?: boolean; state?: string }): Promise<Stack> {
  const port = await freePort();
  // Stacks of several test files may start at once: each needs its own inspector port too.
  const inspector = String(await freePort());
  const oidcPort = String(await freePort());
  const sheetsPort = String(await freePort());
  // `state`: a killed stack's folder, started again as it was left.
  const state = options.state ?? mkdtempSync(path.join(tmpdir(), "fnt-state-"));
  // freshState: an empty state folder, as a first `npm start` finds it (wrangler applies every migration).
  if (!options.freshState && !options.state)
    cpSync(await migratedState(), state, { recursive: true, filter: (src) => path.basename(src) !== "ready" });
  let log = "";
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs")], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      PERSIST_DIR: state,
      INSPECTOR_PORT: inspector,
      OIDC_PORT: oidcPort,
      SHEETS_PORT: sheetsPort,
      LOCAL_OIDC_CONTROLS: "1",
      // Tests make many jobs as one user; the limit itself is tested where it is set low.
      MAX_JOBS_PER_HOUR: "1000",
      GOOGLE_CLIENT_ID: "",
      GOOGLE_CLIENT_SECRET: "",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() ends wrangler and workerd together
  });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* gone */
      }
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* gone */
          }
          r(null);
        }, 5000);
        child.once("exit", () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    rmSync(state, { recursive: true, force: true });
  };
  const kill = async () => {
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    await exited;
  };
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) return { url, pid: child.pid!, oidc: `http://127.0.0.1:${oidcPort}`, state, output: () => log, stop, kill };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`the local stack did not come up:\n${log.slice(-4000)}`);
}

export async function signIn(url: string, email: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/auth/dev`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

export async function upload(
  url: string,
  token: string,
  bytes: Uint8Array,
  filename: string,
  fields: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set("pdf_file", new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), filename);
  return fetch(`${url}/api/v1/jobs`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
}

export async function getJson<T = any>(url: string, token: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: (await r.json()) as T };
}

export async function waitFor<T>(f: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls a job until it ends (completed, partial, failed or cancelled); its last state. */
export async function finalJob(stack: Stack, token: string, id: string, timeoutMs: number, what = `job ${id} to end`): Promise<any> {
  return waitFor(
    async () => {
      const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
      return FINAL_STATUSES.includes(body.status) ? body : undefined;
    },
    timeoutMs,
    what,
  );
}
