import { and, count, desc, eq, gte, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { auditLog, chunkAttempts, deadLetters, jobs, users } from "../../schema/db";
import { ApiError } from "../core/errors";
import { probe } from "../core/health";
import { toCredits } from "../credits/pricing";
import { db } from "../core/db";
import { jobPrefixes } from "../jobs/keys";
import { toPublicJob, tracker } from "../jobs/service";
import { heartbeats, intakePaused } from "./state";
import { releasedView } from "../jobs/release";
import { isFinal } from "../../schema/api";
import type { JobRow } from "../../schema/db";

// The console's read side: everything comes from stored records (D1 rows, the trackers'
// SQLite, R2 listings), so what it shows survives a restart of the stack.

export const RANGES = { hour: 3600_000, day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;

const since = (range: Range, now = Date.now()) => new Date(now - RANGES[range]).toISOString();

/** A queue's backlog as the runtime reports it, or null where it does not (said, not zeroed). */
async function queueMetrics(q: Queue<unknown>): Promise<{ backlog: number | null; oldest_age_seconds: number | null; available: boolean }> {
  try {
    const m = await q.metrics();
    const oldest = m.oldestMessageTimestamp
      ? Math.max(0, Math.round((Date.now() - new Date(m.oldestMessageTimestamp).getTime()) / 1000))
      : null;
    return { backlog: m.backlogCount, oldest_age_seconds: oldest, available: true };
  } catch {
    return { backlog: null, oldest_age_seconds: null, available: false };
  }
}

export async function overview(env: Env) {
  const d = db(env.DB);
  const [plan, chunks, dead, running, paused, beats, d1, r2] = await Promise.all([
    queueMetrics(env.PLAN_QUEUE),
    queueMetrics(env.CHUNK_QUEUE),
    d
      .select({ total: count(), unreplayed: sql<number>`SUM(CASE WHEN ${deadLetters.replayed_at} IS NULL THEN 1 ELSE 0 END)` })
      .from(deadLetters)
      .get(),
    d
      .select({ n: count() })
      .from(jobs)
      .where(inArray(jobs.status, ["queued", "planning", "processing"]))
      .get(),
    intakePaused(env),
    heartbeats(env),
    probe(() => env.DB.prepare("SELECT 1").first()),
    probe(() => env.FILES.head("health-probe")),
  ]);
  return {
    queues: [
      { name: "fnt-plan", ...plan, last_consumed_at: beats["fnt-plan"] ?? null },
      { name: "fnt-chunks", ...chunks, last_consumed_at: beats["fnt-chunks"] ?? null },
      { name: "fnt-plan-dlq", backlog: null, oldest_age_seconds: null, available: false, last_consumed_at: beats["fnt-plan-dlq"] ?? null },
      {
        name: "fnt-chunks-dlq",
        backlog: null,
        oldest_age_seconds: null,
        available: false,
        last_consumed_at: beats["fnt-chunks-dlq"] ?? null,
      },
    ],
    dead_letters: { total: dead?.total ?? 0, unreplayed: Number(dead?.unreplayed ?? 0) },
    jobs_running: running?.n ?? 0,
    intake: paused ? "paused" : "open",
    d1,
    r2,
  };
}

export interface JobFilter {
  status?: string;
  engine?: string;
  error_code?: string;
  user?: string;
  from?: string;
  to?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** Jobs of every user, newest first, filtered and searched; keyset-paged on (created_at, id). */
export async function searchJobs(env: Env, f: JobFilter) {
  const where: SQL[] = [];
  if (f.status) where.push(eq(jobs.status, f.status as never));
  if (f.engine) where.push(eq(jobs.engine, f.engine as never));
  if (f.error_code) where.push(eq(jobs.error_code, f.error_code));
  if (f.user) where.push(or(eq(users.id, f.user), eq(users.email, f.user.toLowerCase()))!);
  if (f.from) where.push(gte(jobs.created_at, f.from));
  if (f.to) where.push(lte(jobs.created_at, f.to));
  if (f.q) {
    const q = f.q.trim();
    const pattern = `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(
      or(eq(jobs.id, q), sql`${jobs.original_filename} LIKE ${pattern} ESCAPE '\\'`, sql`${users.email} LIKE ${pattern} ESCAPE '\\'`)!,
    );
  }
  if (f.cursor) {
    let after: { created_at: string; id: string };
    try {
      after = JSON.parse(atob(f.cursor));
    } catch {
      throw new ApiError(400, "invalid_cursor", "The cursor is not valid.", "cursor");
    }
    where.push(or(lt(jobs.created_at, after.created_at), and(eq(jobs.created_at, after.created_at), lt(jobs.id, after.id)))!);
  }
  const rows = await db(env.DB)
    .select({ job: jobs, email: users.email })
    .from(jobs)
    .innerJoin(users, eq(users.id, jobs.owner_id))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(jobs.created_at), desc(jobs.id))
    .limit(f.limit + 1)
    .all();
  const page = rows.slice(0, f.limit);
  const last = page.at(-1)?.job;
  return {
    jobs: page.map((r) => ({ ...toPublicJob(r.job), owner: { id: r.job.owner_id, email: r.email } })),
    next_cursor: rows.length > f.limit && last ? btoa(JSON.stringify({ created_at: last.created_at, id: last.id })) : null,
  };
}

/** One job, everything about it: events, chunk grid with attempts, credits, files. */
export async function jobDetail(env: Env, jobId: string) {
  const found = await db(env.DB)
    .select({ job: jobs, email: users.email })
    .from(jobs)
    .innerJoin(users, eq(users.id, jobs.owner_id))
    .where(eq(jobs.id, jobId))
    .get();
  if (!found) throw new ApiError(404, "not_found", "No such job.");
  const [inspected, attempts, files] = await Promise.all([
    // A reserved or uploading job has no tracker yet; an ended job's may have let go (its chunks are in R2).
    found.job.status === "reserved" || found.job.status === "uploading" ? Promise.resolve(null) : trackerView(env, found.job),
    db(env.DB).select().from(chunkAttempts).where(eq(chunkAttempts.job_id, jobId)).orderBy(chunkAttempts.id).limit(5000).all(),
    Promise.all(jobPrefixes(jobId, found.job.source_job_id).map((prefix) => env.FILES.list({ prefix, limit: 1000 }))),
  ]);
  const byChunk = new Map<number, typeof attempts>();
  for (const a of attempts) byChunk.set(a.chunk, [...(byChunk.get(a.chunk) ?? []), a]);
  const chunks = (inspected?.chunks ?? []).map((c) => {
    const tries = byChunk.get(c.n) ?? [];
    const last = tries.at(-1);
    const lastError = [...tries].reverse().find((t) => t.error_class);
    return {
      ...c,
      attempts: tries.length,
      engine: last?.engine ?? null,
      model: last?.model ?? null,
      latency_ms: last?.latency_ms ?? null,
      tokens: tries.reduce((s, t) => s + t.tokens, 0),
      last_error: c.error ?? lastError?.error_message ?? null,
      last_error_class: lastError?.error_class ?? null,
    };
  });
  return {
    job: { ...toPublicJob(found.job), owner: { id: found.job.owner_id, email: found.email } },
    events: inspected?.events ?? [],
    chunks,
    retries: inspected?.retries ?? 0,
    credits: {
      estimated: found.job.estimated_millicredits === null ? null : toCredits(found.job.estimated_millicredits),
      actual: found.job.actual_millicredits === null ? null : toCredits(found.job.actual_millicredits),
      pricing_version: found.job.pricing_version,
      pricing_rate: found.job.pricing_rate,
    },
    files: files.flatMap((l) => l.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded.toISOString() }))),
  };
}

async function trackerView(env: Env, job: JobRow) {
  const live = await tracker(env, job.id).inspect();
  return live.chunks.length || !isFinal(job.status) ? live : ((await releasedView(env, job.id)) ?? live);
}

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const BUCKETS: Record<Range, number> = { hour: 60, day: 15 * 60, week: 2 * 3600, month: 6 * 3600 };

/** Pages and chunks done per bucket (a minute over the last hour), latency percentiles per engine and model. */
export async function throughput(env: Env, range: Range) {
  const rows = await db(env.DB)
    .select({
      started_at: chunkAttempts.started_at,
      pages: chunkAttempts.pages,
      latency_ms: chunkAttempts.latency_ms,
      engine: chunkAttempts.engine,
      model: chunkAttempts.model,
    })
    .from(chunkAttempts)
    .where(and(eq(chunkAttempts.outcome, "done"), gte(chunkAttempts.started_at, since(range))))
    .limit(100_000)
    .all();
  const bucket = BUCKETS[range] * 1000;
  const start = Math.floor((Date.now() - RANGES[range]) / bucket) * bucket;
  const n = Math.ceil((Date.now() - start) / bucket);
  const series = Array.from({ length: n }, (_, i) => ({ t: new Date(start + i * bucket).toISOString(), chunks: 0, pages: 0 }));
  const latencies = new Map<string, { engine: string; model: string | null; values: number[] }>();
  for (const r of rows) {
    const i = Math.floor((Date.parse(r.started_at) - start) / bucket);
    if (series[i]) {
      series[i].chunks++;
      series[i].pages += r.pages;
    }
    const key = `${r.engine}\n${r.model ?? ""}`;
    const l = latencies.get(key) ?? { engine: r.engine, model: r.model, values: [] };
    l.values.push(r.latency_ms);
    latencies.set(key, l);
  }
  return {
    range,
    bucket_seconds: BUCKETS[range],
    series,
    latency: [...latencies.values()].map((l) => {
      const sorted = l.values.sort((a, b) => a - b);
      return { engine: l.engine, model: l.model, count: sorted.length, p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95) };
    }),
  };
}

/** Chunk failures by error class (with samples and the jobs hit), and jobs that failed, by code. */
export async function failures(env: Env, range: Range) {
  const d = db(env.DB);
  const from = since(range);
  const classes = await d
    .select({
      error_class: chunkAttempts.error_class,
      attempts: count(),
      jobs: sql<number>`COUNT(DISTINCT ${chunkAttempts.job_id})`,
      failed_for_good: sql<number>`SUM(CASE WHEN ${chunkAttempts.outcome} = 'failed' THEN 1 ELSE 0 END)`,
    })
    .from(chunkAttempts)
    .where(and(gte(chunkAttempts.started_at, from), inArray(chunkAttempts.outcome, ["retry", "failed", "deferred"])))
    .groupBy(chunkAttempts.error_class)
    .orderBy(desc(count()))
    .all();
  const groups = await Promise.all(
    classes.map(async (c) => {
      const samples = await d
        .select({
          job_id: chunkAttempts.job_id,
          chunk: chunkAttempts.chunk,
          message: chunkAttempts.error_message,
          at: chunkAttempts.started_at,
        })
        .from(chunkAttempts)
        .where(
          and(
            gte(chunkAttempts.started_at, from),
            c.error_class === null ? isNull(chunkAttempts.error_class) : eq(chunkAttempts.error_class, c.error_class),
          ),
        )
        .orderBy(desc(chunkAttempts.id))
        .limit(20)
        .all();
      return {
        error_class: c.error_class ?? "unknown",
        attempts: c.attempts,
        failed_for_good: Number(c.failed_for_good ?? 0),
        jobs_affected: c.jobs,
        samples: samples.slice(0, 3),
        job_ids: [...new Set(samples.map((s) => s.job_id))].slice(0, 10),
      };
    }),
  );
  const failedJobs = await d
    .select({ error_code: jobs.error_code, jobs: count() })
    .from(jobs)
    .where(and(eq(jobs.status, "failed"), gte(jobs.updated_at, from)))
    .groupBy(jobs.error_code)
    .orderBy(desc(count()))
    .all();
  return { range, chunk_failures: groups, failed_jobs: failedJobs.map((f) => ({ error_code: f.error_code ?? "unknown", jobs: f.jobs })) };
}

/** Tokens and credits per day and engine/model, and the users who spent most. */
export async function spend(env: Env, range: Range) {
  const d = db(env.DB);
  const from = since(range);
  const day = sql<string>`substr(${jobs.completed_at}, 1, 10)`;
  const perDay = await d
    .select({
      day,
      engine: jobs.engine,
      model: jobs.model,
      tokens: sql<number>`SUM(${jobs.actual_tokens})`,
      millicredits: sql<number>`COALESCE(SUM(${jobs.actual_millicredits}), 0)`,
      jobs: count(),
    })
    .from(jobs)
    .where(gte(jobs.completed_at, from))
    .groupBy(day, jobs.engine, jobs.model)
    .orderBy(day)
    .all();
  const top = await d
    .select({
      user_id: jobs.owner_id,
      email: users.email,
      tokens: sql<number>`SUM(${jobs.actual_tokens})`,
      millicredits: sql<number>`COALESCE(SUM(${jobs.actual_millicredits}), 0)`,
      jobs: count(),
    })
    .from(jobs)
    .innerJoin(users, eq(users.id, jobs.owner_id))
    .where(gte(jobs.completed_at, from))
    .groupBy(jobs.owner_id, users.email)
    .orderBy(desc(sql`COALESCE(SUM(${jobs.actual_millicredits}), 0)`), desc(sql`SUM(${jobs.actual_tokens})`))
    .limit(10)
    .all();
  return {
    range,
    per_day: perDay.map((r) => ({
      day: r.day,
      engine: r.engine,
      model: r.model,
      tokens: Number(r.tokens),
      credits: toCredits(Number(r.millicredits)),
      jobs: r.jobs,
    })),
    top_users: top.map((r) => ({
      user_id: r.user_id,
      email: r.email,
      tokens: Number(r.tokens),
      credits: toCredits(Number(r.millicredits)),
      jobs: r.jobs,
    })),
  };
}

export async function listDeadLetters(env: Env, limit: number) {
  return db(env.DB).select().from(deadLetters).orderBy(desc(deadLetters.received_at)).limit(limit).all();
}

export async function listAudit(env: Env, limit: number, before?: number) {
  const rows = await db(env.DB)
    .select()
    .from(auditLog)
    .where(before ? lt(auditLog.id, before) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  return {
    entries: page.map((r) => ({ ...r, detail: r.detail ? JSON.parse(r.detail) : null })),
    next_cursor: rows.length > limit ? String(page.at(-1)!.id) : null,
  };
}

export async function findUsers(env: Env, q: string) {
  const pattern = `%${q
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return db(env.DB)
    .select({ id: users.id, email: users.email, name: users.name, created_at: users.created_at })
    .from(users)
    .where(or(eq(users.id, q.trim()), sql`${users.email} LIKE ${pattern} ESCAPE '\\'`))
    .limit(20)
    .all();
}
