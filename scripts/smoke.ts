// `npm run smoke -- https://your.domain`: checks a deployed service from outside, one line per check.
//   health    GET /api/health answers {status: "ok"}
//   sign-in   GET /api/v1/auth/google answers 302 to the OpenID provider
//   app       GET / answers 200 HTML
//   api key   GET /api/v1/me with the key answers auth "api_key"
//   job       a one-page PDF (made here with pdf-lib) uploaded with the key ends `completed`,
//             its sentences come back
//   events    the job's WebSocket (GET /api/v1/jobs/:id/events, Authorization: Bearer <key>)
//             delivers its progress events, in order, up to the final one
//   cleanup   the job is deleted
// The key: SMOKE_API_KEY or --api-key (create one in the app under Account); --no-job checks only
// the first three. Exit status: 0 when every check passed, 1 when one failed, 2 on a bad command line.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument, StandardFonts } from "pdf-lib";

export const SMOKE_TEXT = [
  "Le matin du départ, Marie ouvrit la fenêtre et regarda la rue encore vide.",
  "Un chien traversa la place sans se presser.",
  "« Nous partirons avant midi », dit-elle à son frère.",
];

/** A one-page PDF holding SMOKE_TEXT, one paragraph. */
export async function tinyPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle("French Novel Tool smoke test");
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const page = doc.addPage([420, 595]);
  page.drawText(SMOKE_TEXT.join(" "), { x: 50, y: 520, size: 12, font, maxWidth: 320, lineHeight: 16 });
  return doc.save();
}

export interface SmokeOptions {
  url: string;
  apiKey?: string;
  job: boolean;
  timeoutMs: number;
  log?: (line: string) => void;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

class CheckFailed extends Error {}
const fail = (message: string): never => {
  throw new CheckFailed(message);
};

/** Runs the checks; returns them (ok or not), logging one line each as it ends. */
export async function smoke(o: SmokeOptions): Promise<Check[]> {
  const log = o.log ?? ((l: string) => console.log(l));
  const base = o.url.replace(/\/+$/, "");
  const checks: Check[] = [];
  const check = async (name: string, f: () => Promise<string>): Promise<boolean> => {
    let c: Check;
    try {
      c = { name, ok: true, detail: await f() };
    } catch (err) {
      c = {
        name,
        ok: false,
        detail:
          err instanceof CheckFailed
            ? err.message
            : `${(err as Error).name}: ${(err as Error).message}${(err as Error).cause ? ` (${String((err as { cause?: unknown }).cause)})` : ""}`,
      };
    }
    checks.push(c);
    log(`${c.ok ? "ok  " : "FAIL"} ${name.padEnd(8)} ${c.detail}`);
    return c.ok;
  };
  const request = (p: string, init: RequestInit = {}) =>
    fetch(`${base}${p}`, { redirect: "manual", signal: AbortSignal.timeout(30_000), ...init });
  const auth = { authorization: `Bearer ${o.apiKey}` };
  const json = async (r: Response): Promise<any> => {
    const text = await r.text();
    try {
      return JSON.parse(text);
    } catch {
      return fail(`HTTP ${r.status}, not JSON: ${text.slice(0, 200)}`);
    }
  };

  await check("health", async () => {
    const r = await request("/api/health");
    const body = await json(r);
    if (r.status !== 200 || body.status !== "ok") fail(`HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
    return `ok (version ${body.version}, d1 ${body.d1}, r2 ${body.r2}, engine ${body.engine})`;
  });

  await check("sign-in", async () => {
    const r = await request("/api/v1/auth/google");
    const location = r.headers.get("location") ?? "";
    if (r.status !== 302) fail(`HTTP ${r.status} (expected 302 to the provider) ${(await r.text()).slice(0, 200)}`);
    let to: URL;
    try {
      to = new URL(location);
    } catch {
      return fail(`302 to "${location}", not an absolute URL`);
    }
    const q = to.searchParams;
    if (q.get("response_type") !== "code" || !q.get("client_id") || !q.get("redirect_uri")?.endsWith("/api/v1/auth/google/callback")) {
      fail(`302 to ${to.origin}${to.pathname} without an authorization request (response_type, client_id, redirect_uri)`);
    }
    return `302 to ${to.origin}${to.pathname} (client ${q.get("client_id")}, back to ${q.get("redirect_uri")})`;
  });

  await check("app", async () => {
    const r = await request("/");
    const type = r.headers.get("content-type") ?? "";
    const body = await r.text();
    if (r.status !== 200 || !type.includes("text/html") || !/<html/i.test(body)) fail(`HTTP ${r.status} ${type}: ${body.slice(0, 200)}`);
    return `200 ${type.split(";")[0]}, ${body.length} bytes`;
  });

  if (!o.job) return checks;

  const keyOk = await check("api key", async () => {
    const r = await request("/api/v1/me", { headers: auth });
    const body = await json(r);
    if (r.status !== 200 || body.auth !== "api_key") fail(`HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
    return `accepted for ${body.user?.email} (engine ${body.engine})`;
  });
  if (!keyOk) return checks;

  let jobId = "";
  let events: Promise<string> | undefined;
  await check("job", async () => {
    const form = new FormData();
    form.set("pdf_file", new Blob([(await tinyPdf()) as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), "smoke-test.pdf");
    const started = Date.now();
    const r = await request("/api/v1/jobs", { method: "POST", headers: auth, body: form });
    const created = await json(r);
    if (r.status !== 202 || !created.id) fail(`upload: HTTP ${r.status} ${JSON.stringify(created).slice(0, 300)}`);
    jobId = created.id;
    events = watchEvents(base, jobId, o.apiKey!, o.timeoutMs);
    events.catch(() => {}); // judged by its own check below
    let job = created;
    while (!["completed", "partial", "failed", "cancelled"].includes(job.status)) {
      if (Date.now() - started > o.timeoutMs) fail(`still ${job.status} (${job.progress_percent}%) after ${o.timeoutMs / 1000} s`);
      await new Promise((res) => setTimeout(res, 1000));
      const p = await request(`/api/v1/jobs/${jobId}`, { headers: auth });
      job = await json(p);
      if (p.status !== 200) fail(`GET /api/v1/jobs/${jobId}: HTTP ${p.status} ${JSON.stringify(job).slice(0, 300)}`);
    }
    if (job.status !== "completed") fail(`job ${jobId} ended ${job.status}: ${job.error_code ?? ""} ${job.error_message ?? ""}`);
    const res = await request(`/api/v1/jobs/${jobId}/result?format=json`, { headers: auth });
    const result = await json(res);
    const text = (result.sentences ?? []).map((s: { text: string }) => s.text).join(" ");
    if (res.status !== 200 || !text.includes("Marie ouvrit la fenêtre"))
      fail(`result: HTTP ${res.status}, sentences ${JSON.stringify(result.sentences ?? result).slice(0, 300)}`);
    return `${jobId} completed in ${((Date.now() - started) / 1000).toFixed(1)} s, ${result.sentences.length} sentences (engine ${job.engine})`;
  });

  if (events) await check("events", () => events!);
  else await check("events", async () => fail("no job to follow"));

  if (jobId) {
    await check("cleanup", async () => {
      const r = await request(`/api/v1/jobs/${jobId}`, { method: "DELETE", headers: auth });
      if (r.status !== 204) fail(`DELETE /api/v1/jobs/${jobId}: HTTP ${r.status} ${(await r.text()).slice(0, 200)}`);
      return `job ${jobId} deleted`;
    });
  }
  return checks;
}

/** Follows a job's events over its WebSocket from the start (after=0) to a final status. */
function watchEvents(base: string, jobId: string, key: string, timeoutMs: number): Promise<string> {
  const url = `${base.replace(/^http/, "ws")}/api/v1/jobs/${jobId}/events?after=0`;
  // Node's WebSocket (undici) takes request headers in its second argument.
  const Socket = WebSocket as unknown as new (url: string, init: { headers: Record<string, string> }) => WebSocket;
  return new Promise((resolve, reject) => {
    const seqs: number[] = [];
    let last = "";
    let opened = false;
    const ws = new Socket(url, { headers: { authorization: `Bearer ${key}` } });
    const timer = setTimeout(() => {
      ws.close();
      reject(new CheckFailed(`${seqs.length} events in ${timeoutMs / 1000} s and no final one (last status ${last || "none"})`));
    }, timeoutMs);
    ws.onopen = () => (opened = true);
    ws.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as { seq?: number; status?: string; type?: string };
      if (typeof e.seq === "number") seqs.push(e.seq);
      if (e.status) last = e.status;
      if (["completed", "partial", "failed", "cancelled"].includes(e.status ?? "")) {
        clearTimeout(timer);
        ws.close();
        const ordered = seqs.every((s, i) => i === 0 || s > seqs[i - 1]);
        if (!ordered) reject(new CheckFailed(`events out of order: seq ${seqs.join(", ")}`));
        else if (e.status !== "completed") reject(new CheckFailed(`final event ${e.status}`));
        else resolve(`${seqs.length} events over the WebSocket, seq ${seqs[0]}…${seqs.at(-1)}, the last one ${e.status}`);
      }
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new CheckFailed(opened ? "the WebSocket failed" : `could not open ${url.replace(/\?.*/, "")} (upgrade refused?)`));
    };
    ws.onclose = (c) => {
      clearTimeout(timer);
      reject(
        new CheckFailed(
          `the WebSocket closed (code ${c.code}${c.reason ? `, ${c.reason}` : ""}) after ${seqs.length} events, before a final one`,
        ),
      );
    };
  });
}

export async function main(argv: string[]): Promise<number> {
  let url: string | undefined;
  let apiKey = process.env.SMOKE_API_KEY || undefined;
  let job = true;
  let timeoutMs = 180_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--api-key") apiKey = argv[++i];
    else if (a === "--no-job") job = false;
    else if (a === "--timeout") timeoutMs = Number(argv[++i]) * 1000;
    else if (a === "--help" || a === "-h") {
      console.log("usage: npm run smoke -- <https://your.domain> [--api-key KEY (or SMOKE_API_KEY)] [--no-job] [--timeout SECONDS]");
      return 0;
    } else if (!a.startsWith("-") && !url) url = a;
    else {
      console.error(`unknown argument: ${a} (see --help)`);
      return 2;
    }
  }
  if (!url || !/^https?:\/\/[^/]/.test(url)) {
    console.error("usage: npm run smoke -- <https://your.domain> [--api-key KEY] [--no-job] [--timeout SECONDS]");
    return 2;
  }
  if (job && !apiKey) {
    console.error(
      "No API key: set SMOKE_API_KEY or pass --api-key (create one in the app under Account), or --no-job to skip the job checks.",
    );
    return 2;
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error("--timeout needs a number of seconds");
    return 2;
  }
  console.log(`smoke test of ${url}`);
  const checks = await smoke({ url, apiKey, job, timeoutMs });
  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed ? `smoke: ${failed} of ${checks.length} checks FAILED` : `smoke: all ${checks.length} checks ok`);
  return failed ? 1 : 0;
}

if (fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? "")) {
  process.exitCode = await main(process.argv.slice(2));
}
