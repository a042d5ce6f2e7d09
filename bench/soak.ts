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
import { CORPUS, finalJob, signIn, startStack, upload, type Stack } from "../test/e2e/stack";
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

function read(stack: Stack, jobs: number, t0: number): Reading {
  const dbs = objectDatabases(stack.state, "JobTracker");
  const held = dbs.filter((d) => d.tables > 0);
  const kib = (list: typeof dbs) => list.reduce((n, d) => n + d.bytes, 0) / 1024;
  return { jobs, holding: held.length, holdingKiB: kib(held), files: dbs.length, filesKiB: kib(dbs), rssMiB: workerdRssMiB(stack), seconds: (performance.now() - t0) / 1000 };
}

async function soak(label: string, eventLogSeconds: number): Promise<Reading[]> {
  const stack = await startStack({ EVENT_LOG_SECONDS: String(eventLogSeconds), MAX_JOBS_PER_HOUR: "100000", STORAGE_QUOTA_BYTES: String(10 * 1024 ** 3) });
  try {
    const token = await signIn(stack.url, "soak@example.com");
    const run = async () => {
      const res = await upload(stack.url, token, PDF, BOOK);
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      const job = await finalJob(stack, token, ((await res.json()) as { id: string }).id, 120_000);
      if (job.status !== "completed") throw new Error(`a soak job ended ${job.status}`);
    };
    await run(); // warm-up: first isolates, first build of every path
    await new Promise((r) => setTimeout(r, (LET_GO_SECONDS + 2) * 1000));
    const t0 = performance.now();
    const readings = [read(stack, 0, t0)];
    for (let done = 1; done <= JOBS; done++) {
      await run();
      if (done % EVERY === 0) {
        await new Promise((r) => setTimeout(r, (LET_GO_SECONDS + 2) * 1000));
        readings.push(read(stack, done, t0));
        const r = readings.at(-1)!;
        process.stderr.write(`${label}: ${done} jobs, ${r.holding} trackers holding ${r.holdingKiB.toFixed(0)} KiB, workerd ${r.rssMiB.toFixed(0)} MiB\n`);
      }
    }
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    readings.push({ ...read(stack, JOBS, t0), idle: true });
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
const rows = letGo.map((a, i) => {
  const b = keep[i]!;
  return `| ${a.idle ? `${a.jobs}, then ${IDLE_SECONDS} s idle` : a.jobs} | ${a.holding} / ${b.holding} | ${f0(a.holdingKiB)} / ${f0(b.holdingKiB)} | ${a.files} / ${b.files} (${f0(a.filesKiB)} / ${f0(b.filesKiB)} KiB) | ${f0(a.rssMiB)} / ${f0(b.rssMiB)} |`;
});
const per100 = (rs: Reading[], k: keyof Reading) => slope(rs.filter((r) => !r.idle).map((r) => [r.jobs, r[k] as number])) * 100;
const last = (rs: Reading[]) => rs.filter((r) => !r.idle).at(-1)!;
const idle = (rs: Reading[]) => rs.at(-1)!;
const trend = (k: keyof Reading, unit: string) =>
  `${per100(letGo, k).toFixed(1)} ${unit} per 100 jobs letting go, ${per100(keep, k).toFixed(1)} ${unit} keeping`;
const load = os.loadavg().map((l) => l.toFixed(1)).join(", ");
const section = [
  "## Soak",
  "",
  `Generated by \`npm run bench:soak\` (${new Date().toISOString().slice(0, 10)}), Node ${process.version} on ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores shared with other work. ` +
    `${JOBS} jobs one after another through one local stack (\`npm start\`, local engine), each the ${BOOK} (6 pages, ~100 sentences), after one warm-up job; ` +
    `a reading every ${EVERY} finished jobs, ${LET_GO_SECONDS + 2} s after the last, and one more ${IDLE_SECONDS} s after the last job. Twice, each on a fresh stack: finished trackers **letting go** of their storage ` +
    `${LET_GO_SECONDS} s after the job ended (EVENT_LOG_SECONDS=${LET_GO_SECONDS}; 600 by default) and **keeping** it (EVENT_LOG_SECONDS one day: as every finished tracker did before). ` +
    "Trackers holding storage: JobTracker databases with any table. Memory: the resident set of the stack's workerd processes (every isolate and workerd's own caches; an upper bound, and workerd keeps much of what it frees). " +
    "miniflare leaves a 4 KiB empty file for every object that ever existed (its own bookkeeping; Cloudflare keeps nothing for an empty object), shown apart.",
  "",
  "| finished jobs | trackers holding storage: letting go / keeping | their KiB on disk: letting go / keeping | tracker database files (empty ones included) | workerd RSS MiB: letting go / keeping |",
  "|---:|---:|---:|---:|---:|",
  ...rows,
  "",
  `Trend (least squares over the readings): trackers' storage ${trend("holdingKiB", "KiB")}; workerd RSS ${trend("rssMiB", "MiB")}. ` +
    `After ${JOBS} jobs, letting go holds ${last(letGo).holding} trackers' storage against ${last(keep).holding} (${f0(last(letGo).holdingKiB)} KiB against ${f0(last(keep).holdingKiB)} KiB), ` +
    `and the stack's memory is ${(last(letGo).rssMiB / last(keep).rssMiB).toFixed(2)}× the keeping run's (${(idle(letGo).rssMiB / idle(keep).rssMiB).toFixed(2)}× after ${IDLE_SECONDS} s idle; ` +
    `from the first reading: +${f0(idle(letGo).rssMiB - letGo[0]!.rssMiB)} MiB letting go, +${f0(idle(keep).rssMiB - keep[0]!.rssMiB)} MiB keeping). ` +
    `Time for the ${JOBS} jobs: ${f0(last(letGo).seconds)} s letting go, ${f0(last(keep).seconds)} s keeping. Load average at the end: ${load} (1, 5, 15 min).`,
  "",
].join("\n");
process.stdout.write(`${section}\n`);
if (!process.argv.includes("--no-write")) writeSection("## Soak", section);
