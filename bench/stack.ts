/**
 * The whole job through the local stack (`npm start`: wrangler, queues, Durable Object),
 * upload to `completed`, with the local engine and with Gemini played by the fake server
 * under a few conditions. Reported as time ratios against the local engine in this run.
 * Beside the novel, a generated 1,000-page book with the local engine: time per page against
 * the novel's, and the memory of the workerd process while each job runs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { signIn, startStack, upload, waitFor, getJson, type Stack } from "../test/e2e/stack";
import { startFakeGemini, type ControlPatch } from "../test/fake-gemini/server";
import { textBook } from "./memory-inputs";

const FINAL = ["completed", "partial", "failed", "cancelled"];

interface Run {
  label: string;
  ms: number;
  status: string;
  chunks: number;
  requests: number | null;
}

async function runJob(stack: Stack, token: string, pdf: Uint8Array): Promise<{ ms: number; job: any }> {
  const t0 = performance.now();
  const res = await upload(stack.url, token, pdf, "bench.pdf");
  if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
  const { id } = (await res.json()) as { id: string };
  const job = await waitFor(
    async () => {
      const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
      return FINAL.includes(body.status) ? body : undefined;
    },
    600_000,
    "the bench job",
  );
  return { ms: performance.now() - t0, job };
}

// ---- the workerd process's memory (Linux /proc) ----

/** The process ids under `root` (its children, theirs, …). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** Resident memory of the stack's workerd processes, in MiB (0 when not on Linux). */
export function workerdRssMiB(stack: Stack): number {
  if (!existsSync("/proc/self/stat")) return 0;
  let kib = 0;
  for (const pid of descendants(stack.pid)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "workerd") continue;
      kib += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      /* gone meanwhile */
    }
  }
  return kib / 1024;
}

interface ScaleRun {
  label: string;
  pages: number;
  ms: number;
  status: string;
  chunks: number;
  idleMiB: number;
  peakMiB: number;
  /** From the job's own timestamps: reading the PDF (created → started), then the chunks (→ completed). */
  planMs: number;
  chunksMs: number;
}

/** A local-engine job, timed with a 100 ms poll, the workerd RSS sampled every 100 ms meanwhile. */
async function scaleRun(stack: Stack, token: string, label: string, pdf: Uint8Array): Promise<ScaleRun> {
  const idle = workerdRssMiB(stack);
  let peak = idle;
  const timer = setInterval(() => (peak = Math.max(peak, workerdRssMiB(stack))), 100);
  try {
    const t0 = performance.now();
    const res = await upload(stack.url, token, pdf, "bench.pdf");
    if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
    const { id } = (await res.json()) as { id: string };
    const deadline = Date.now() + 600_000;
    for (;;) {
      const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
      if (FINAL.includes(body.status)) {
        peak = Math.max(peak, workerdRssMiB(stack));
        const at = (k: string) => Date.parse(body[k]);
        return {
          label,
          pages: body.page_count,
          ms: performance.now() - t0,
          status: body.status,
          chunks: body.total_chunks,
          idleMiB: idle,
          peakMiB: peak,
          planMs: at("started_at") - at("created_at"),
          chunksMs: at("completed_at") - at("started_at"),
        };
      }
      if (Date.now() > deadline) throw new Error(`${label}: no final status after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(timer);
  }
}

const SCALE_PAGES = 1000;
const SCALE_RUNS = 3;

/**
 * The novel, then generated books of the novel's length and of 1,000 pages (same generator,
 * so only the length differs), in turn on one warm local-engine stack: the best of each.
 */
export async function benchScale(stack: Stack, token: string, novel: Uint8Array, novelPages: number): Promise<string> {
  const inputs = [
    { label: "the novel", pdf: novel },
    { label: `generated book, ${novelPages} pages`, pdf: new Uint8Array(readFileSync(await textBook(novelPages))) },
    {
      label: `generated book, ${SCALE_PAGES.toLocaleString("en-US")} pages`,
      pdf: new Uint8Array(readFileSync(await textBook(SCALE_PAGES))),
    },
  ];
  const runs: ScaleRun[] = [];
  for (let i = 0; i < SCALE_RUNS; i++) for (const { label, pdf } of inputs) runs.push(await scaleRun(stack, token, label, pdf));
  const best = (label: string) => {
    const mine = runs.filter((r) => r.label === label);
    const fastest = mine.reduce((a, b) => (b.ms < a.ms ? b : a));
    return { ...fastest, peakMiB: Math.max(...mine.map((r) => r.peakMiB)), idleMiB: Math.min(...mine.map((r) => r.idleMiB)) };
  };
  const [novelRow, shortRow, longRow] = inputs.map((i) => best(i.label)) as [ScaleRun, ScaleRun, ScaleRun];
  const perPage = (r: ScaleRun) => r.ms / r.pages;
  const mib = (v: number) => (v > 0 ? `${v.toFixed(0)} MiB` : "n/a");
  const onLinux = novelRow.idleMiB > 0;
  const row = (r: ScaleRun, vsShort: string) =>
    `| ${r.label} | ${r.pages} | ${(r.ms / 1000).toFixed(1)} s | ${(r.planMs / 1000).toFixed(1)} s / ${(r.chunksMs / 1000).toFixed(1)} s | ${r.status} | ${r.chunks} | ` +
    `${perPage(r).toFixed(1)} ms | ${(perPage(r) / perPage(novelRow)).toFixed(2)}× | ${vsShort} | ${mib(r.idleMiB)} → ${mib(r.peakMiB)} |`;
  return [
    `Past one book, through the same local stack (local engine; best of ${SCALE_RUNS} runs each, the inputs taking turns). ` +
      "The goal of issue 14: time grows no worse than linearly with pages, so the time per page stays near that of the novel, and near that of a generated book of the novel's length (same generator as the 1,000-page one: only the length differs). " +
      (onLinux
        ? "Memory is the resident set (RSS) of the stack's workerd processes (the Workers, and wrangler's dev proxy), sampled every 100 ms while the job runs: every isolate (the API Worker, the Durable Objects, the web app), V8's heaps with their garbage (nothing limits them locally) and workerd's own SQLite and R2 caches, so an upper bound of what the job holds, not the isolate heap the 128 MB limit counts (`npm run bench:memory` measures that). workerd keeps much of what it has freed, so the idle figure before a job includes earlier jobs."
        : "Memory: n/a (read from /proc, Linux only)."),
    "",
    "| whole job through the local stack (upload → final), local engine | pages | time | of which reading the PDF / the chunks | status | chunks | time per page | per page ÷ the novel's | per page ÷ the generated book of its length | workerd RSS: idle before → peak during |",
    "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    row(novelRow, "—"),
    row(shortRow, "1.00×"),
    row(longRow, `${(perPage(longRow) / perPage(shortRow)).toFixed(2)}×`),
  ].join("\n");
}

export async function benchStack(pdfPath: string): Promise<string> {
  const pdf = new Uint8Array(readFileSync(pdfPath));
  const runs: Run[] = [];

  let scale = "";
  const local = await startStack({ GEMINI_API_KEY: "" });
  try {
    const token = await signIn(local.url, "bench@example.com");
    await runJob(local, token, pdf); // warm-up: first build and first isolate
    const { ms, job } = await runJob(local, token, pdf);
    runs.push({ label: "local engine", ms, status: job.status, chunks: job.total_chunks, requests: null });
    scale = await benchScale(local, token, pdf, job.page_count);
  } finally {
    await local.stop();
  }

  const fake = await startFakeGemini();
  const gemini = await startStack({ GEMINI_API_KEY: "bench-key", GEMINI_BASE_URL: fake.url, RETRY_BASE_SECONDS: "1" });
  try {
    const token = await signIn(gemini.url, "bench@example.com");
    const cases: Array<[string, ControlPatch]> = [
      ["gemini (fake), instant answers", { reset: true }],
      ["gemini (fake), 400 ms per call", { reset: true, latencyMs: 400 }],
      ["gemini (fake), 25% 429 (RetryInfo 1 s) + 10% 503", { reset: true, rates: { "429": 0.25, "503": 0.1 }, retryDelay: "1s", seed: 11 }],
    ];
    for (const [label, patch] of cases) {
      fake.control(patch);
      const { ms, job } = await runJob(gemini, token, pdf);
      runs.push({ label, ms, status: job.status, chunks: job.total_chunks, requests: fake.stats().total });
    }
  } finally {
    await gemini.stop();
    await fake.close();
  }

  const base = runs[0]!.ms;
  const note =
    "The Gemini runs are paced by the shared rate limiter at its defaults (GEMINI_RPM 300, GEMINI_TPM " +
    "1,000,000: a burst of a sixth of a minute, then ~16.7k tokens/s), as they would be against Google; " +
    "the fake itself answers at once unless told otherwise.";
  return [
    scale,
    "",
    note,
    "",
    "| whole job through the local stack (upload → final) | time | status | chunks | model requests | time ÷ local engine |",
    "|---|---:|---|---:|---:|---:|",
    ...runs.map(
      (r) =>
        `| ${r.label} | ${(r.ms / 1000).toFixed(1)} s | ${r.status} | ${r.chunks} | ${r.requests ?? "—"} | ${(r.ms / base).toFixed(2)}× |`,
    ),
  ].join("\n");
}
