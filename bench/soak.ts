/**
 * The soak: many small jobs through one local stack (`npm start`), one after another, and after
 * every few finished jobs what the stack holds: the resident memory of its workerd processes and
 * what the JobTracker Durable Objects keep on disk. Twice, on fresh stacks: with finished trackers
 * letting go of their storage (EVENT_LOG_SECONDS=2, worker/jobs/release.ts) and with them keeping
 * it (EVENT_LOG_SECONDS one day: what every finished tracker did before). Reported as trends and
 * ratios beside each other: the machines are shared and noisy.
 *
 *   npm run bench:soak                       # 120 jobs a run, a reading every 20
 *   npm run bench:soak -- --jobs 60 --every 10 --idle 30 --no-write
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FINAL_STATUSES } from "../schema/api";
import { CORPUS, getJson, signIn, startStack, upload, type Stack } from "../test/e2e/stack";
import { objectDatabases } from "../test/e2e/state";
import { writeSection } from "./doc";
import { workerdRssMiB } from "./stack";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const JOBS = arg("jobs", 120);
const EVERY = arg("every", 20);
const BOOK = "maupassant-une-vie-extrait.pdf";
const PDF = readFileSync(path.join(CORPUS, "novels", BOOK));
/** The let-go run's event log (s); readings wait this long and a bit, so the last jobs' trackers had their time. */
const LET_GO_SECONDS = 2;
/** After the last job, a last reading this long after it, nothing running: what stays once workerd has evicted idle objects. */
const IDLE_SECONDS = arg("idle", 120);

interface Reading {
  jobs: number;
  /** A reading after IDLE_SECONDS with nothing running. */
  idle?: boolean;
  /** A reading after the control: as many plain reads of a job as the jobs made requests. */
  control?: boolean;
  /** HTTP requests made so far (uploads, polls). */
  requests: number;
  /** Tracker databases holding tables (a tracker that let go holds none). */
  holding: number;
  /** Their bytes on disk (database and WAL), KiB. */
  holdingKiB: number;
  /** Every tracker database file, empty ones included (miniflare keeps a 4 KiB file per object). */
  files: number;
  filesKiB: number;
  rssMiB: number;
  seconds: number;
}

function read(stack: Stack, jobs: number, requests: number, t0: number): Reading {
  const dbs = objectDatabases(stack.state, "JobTracker");
  const held = dbs.filter((d) => d.tables > 0);
  const kib = (list: typeof dbs) => list.reduce((n, d) => n + d.bytes, 0) / 1024;
  return {
    jobs,
    requests,
    holding: held.length,
    holdingKiB: kib(held),
    files: dbs.length,
    filesKiB: kib(dbs),
    rssMiB: workerdRssMiB(stack),
    seconds: (performance.now() - t0) / 1000,
  };
}

async function soak(label: string, eventLogSeconds: number): Promise<Reading[]> {
  // Local observability off (wrangler's trace store of every request, a dev tool): it grows with requests.
  const stack = await startStack({
    EVENT_LOG_SECONDS: String(eventLogSeconds),
    MAX_JOBS_PER_HOUR: "100000",
    STORAGE_QUOTA_BYTES: String(10 * 1024 ** 3),
    X_LOCAL_OBSERVABILITY: "false",
  });
  try {
    const token = await signIn(stack.url, "soak@example.com");
    let requests = 0;
    let last = "";
    const get = async (p: string) => {
      requests++;
      return (await getJson(`${stack.url}${p}`, token)).body;
    };
    const run = async () => {
      requests++;
      const res = await upload(stack.url, token, PDF, BOOK);
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      last = ((await res.json()) as { id: string }).id;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        const job = await get(`/api/v1/jobs/${last}`);
        if (!FINAL_STATUSES.includes(job.status)) continue;
        if (job.status !== "completed") throw new Error(`a soak job ended ${job.status}`);
        return;
      }
      throw new Error("a soak job did not end in 2 minutes");
    };
    await run(); // warm-up: first isolates, first build of every path
    await new Promise((r) => setTimeout(r, (LET_GO_SECONDS + 2) * 1000));
    requests = 0;
    const t0 = performance.now();
    const readings = [read(stack, 0, 0, t0)];
    for (let done = 1; done <= JOBS; done++) {
      await run();
      if (done % EVERY === 0) {
        await new Promise((r) => setTimeout(r, (LET_GO_SECONDS + 2) * 1000));
        readings.push(read(stack, done, requests, t0));
        const r = readings.at(-1)!;
        process.stderr.write(
          `${label}: ${done} jobs, ${r.holding} trackers holding ${r.holdingKiB.toFixed(0)} KiB, workerd ${r.rssMiB.toFixed(0)} MiB\n`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    readings.push({ ...read(stack, JOBS, requests, t0), idle: true });
    // The control: the same number of requests again, each a read of the last job, no new job.
    for (let i = readings.at(-1)!.requests; i > 0; i--) await get(`/api/v1/jobs/${last}`);
    readings.push({ ...read(stack, JOBS, requests, t0), control: true });
    return readings;
  } finally {
    await stack.stop();
  }
}

/** Least-squares slope of y against x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}

const letGo = await soak("letting go", LET_GO_SECONDS);
const keep = await soak("keeping", 86_400);

const f0 = (v: number) => v.toFixed(0);
const label = (r: Reading) =>
  r.control ? `control: ${r.requests} more reads, no job` : r.idle ? `${r.jobs}, then ${IDLE_SECONDS} s idle` : String(r.jobs);
const rows = letGo.map((a, i) => {
  const b = keep[i]!;
  return `| ${label(a)} | ${a.holding} / ${b.holding} | ${f0(a.holdingKiB)} / ${f0(b.holdingKiB)} | ${a.files} / ${b.files} (${f0(a.filesKiB)} / ${f0(b.filesKiB)} KiB) | ${f0(a.rssMiB)} / ${f0(b.rssMiB)} |`;
});
const jobReadings = (rs: Reading[]) => rs.filter((r) => !r.idle && !r.control);
const per100 = (rs: Reading[], k: keyof Reading) => slope(jobReadings(rs).map((r) => [r.jobs, r[k] as number])) * 100;
const last = (rs: Reading[]) => jobReadings(rs).at(-1)!;
const idle = (rs: Reading[]) => rs.find((r) => r.idle)!;
const control = (rs: Reading[]) => rs.find((r) => r.control)!;
/** MiB of workerd RSS per 1,000 requests: while the jobs ran, and over the control's plain reads. */
const perKRequests = (rs: Reading[]) => ({
  jobs: ((last(rs).rssMiB - rs[0]!.rssMiB) / last(rs).requests) * 1000,
  reads: ((control(rs).rssMiB - idle(rs).rssMiB) / (control(rs).requests - idle(rs).requests)) * 1000,
});
const [a, b] = [perKRequests(letGo), perKRequests(keep)];
const load = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(", ");
const section = [
  "## Soak",
  "",
  `Generated by \`npm run bench:soak\` (${new Date().toISOString().slice(0, 10)}), Node ${process.version} on ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores shared with other work. ` +
    `${JOBS} jobs one after another through one local stack (\`npm start\`, local engine, wrangler's local trace store off: it keeps every request), each the ${BOOK} (6 pages, ~100 sentences) uploaded and polled every 250 ms until it ends, after one warm-up job; ` +
    `a reading every ${EVERY} finished jobs, ${LET_GO_SECONDS + 2} s after the last; one more ${IDLE_SECONDS} s after the last job; then a **control**: as many requests again as the jobs made, each a plain read of the last job (\`GET /api/v1/jobs/:id\`, what the polls are), and no job. ` +
    `Twice, each on a fresh stack: finished trackers **letting go** of their storage ${LET_GO_SECONDS} s after the job ended (EVENT_LOG_SECONDS=${LET_GO_SECONDS}; 600 by default) and **keeping** it (EVENT_LOG_SECONDS one day: as every finished tracker did before). ` +
    "Trackers holding storage: JobTracker databases with any table. Memory: the resident set of the stack's workerd processes (every isolate and workerd's own caches, garbage V8 has not collected yet included; workerd keeps much of what it frees). " +
    "miniflare leaves a 4 KiB empty file for every object that ever existed (its own bookkeeping; Cloudflare keeps nothing for an empty object), shown apart.",
  "",
  "| finished jobs | trackers holding storage: letting go / keeping | their KiB on disk: letting go / keeping | tracker database files (empty ones included) | workerd RSS MiB: letting go / keeping |",
  "|---|---:|---:|---:|---:|",
  ...rows,
  "",
  `**Storage**: the trackers keep ${per100(letGo, "holdingKiB").toFixed(0)} KiB per 100 finished jobs letting go, ${per100(keep, "holdingKiB").toFixed(0)} KiB keeping (least squares over the readings): ` +
    `after ${JOBS} jobs ${last(letGo).holding} trackers hold storage against ${last(keep).holding} (${f0(last(letGo).holdingKiB)} KiB against ${f0(last(keep).holdingKiB)} KiB). ` +
    `**Memory**: workerd's RSS grows ${per100(letGo, "rssMiB").toFixed(0)} MiB per 100 jobs letting go and ${per100(keep, "rssMiB").toFixed(0)} MiB keeping, ` +
    `${(last(letGo).rssMiB / last(keep).rssMiB).toFixed(2)}× the keeping run's after ${JOBS} jobs (${(idle(letGo).rssMiB / idle(keep).rssMiB).toFixed(2)}× after ${IDLE_SECONDS} s idle): ` +
    "the same, so the finished trackers' data is not what it holds. It grows with no job at all too: " +
    `${a.reads.toFixed(0)} MiB per 1,000 plain reads in the control (keeping: ${b.reads.toFixed(0)}), against ${a.jobs.toFixed(0)} per 1,000 requests while the jobs ran (keeping: ${b.jobs.toFixed(0)}; each job also runs the plan and chunk consumers, R2 and Durable Object calls behind them). ` +
    "RSS counts garbage V8 has not collected yet and memory workerd keeps once freed, so it cannot tell what stays live; the isolate's heap after a full GC could, but workerd's inspector answered no DevTools protocol call here. " +
    "What these figures show: the trackers' storage flat in the number of finished jobs, and no memory that letting go saves or costs at this scale. " +
    `Time for the ${JOBS} jobs: ${f0(last(letGo).seconds)} s letting go, ${f0(last(keep).seconds)} s keeping. Load average at the end: ${load} (1, 5, 15 min).`,
  "",
].join("\n");
process.stdout.write(`${section}\n`);
if (!process.argv.includes("--no-write")) writeSection("## Soak", section);
