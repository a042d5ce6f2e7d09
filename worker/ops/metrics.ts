import { count, sql } from "drizzle-orm";
import { chunkAttempts, jobs } from "../../schema/db";
import { db } from "../core/db";
import { overview } from "./console";
import { getState } from "./state";

// GET /api/v1/admin/metrics in the Prometheus text exposition format (version 0.0.4).
// Counters come from stored rows that are never deleted (chunk attempts) or from counters
// kept in D1, so they never go backwards, also across restarts.

/** Chunk latency histogram buckets, in seconds. */
export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Record<string, string | number>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

class Exposition {
  private lines: string[] = [];

  family(name: string, type: "gauge" | "counter" | "histogram", help: string) {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, l: Record<string, string | number>, value: number) {
    this.lines.push(`${name}${labels(l)} ${Number.isFinite(value) ? value : 0}`);
    return this;
  }

  toString() {
    return `${this.lines.join("\n")}\n`;
  }
}

export async function renderMetrics(env: Env): Promise<string> {
  const d = db(env.DB);
  const [ov, byStatus, outcomes, latencyRows, tokens, credits] = await Promise.all([
    overview(env),
    d.select({ status: jobs.status, n: count() }).from(jobs).groupBy(jobs.status).all(),
    d
      .select({ engine: chunkAttempts.engine, outcome: chunkAttempts.outcome, error_class: chunkAttempts.error_class, n: count() })
      .from(chunkAttempts)
      .groupBy(chunkAttempts.engine, chunkAttempts.outcome, chunkAttempts.error_class)
      .all(),
    d
      .select({
        engine: chunkAttempts.engine,
        n: count(),
        sum: sql<number>`SUM(${chunkAttempts.latency_ms})`,
        ...Object.fromEntries(
          LATENCY_BUCKETS.map((b, i) => [
            `b${i}`,
            sql<number>`SUM(CASE WHEN ${chunkAttempts.latency_ms} <= ${b * 1000} THEN 1 ELSE 0 END)`,
          ]),
        ),
      })
      .from(chunkAttempts)
      .where(sql`${chunkAttempts.outcome} = 'done'`)
      .groupBy(chunkAttempts.engine)
      .all(),
    d
      .select({ engine: chunkAttempts.engine, model: chunkAttempts.model, t: sql<number>`SUM(${chunkAttempts.tokens})` })
      .from(chunkAttempts)
      .groupBy(chunkAttempts.engine, chunkAttempts.model)
      .all(),
    getState(env, "counter:credits_charged_millis"),
  ]);
  const out = new Exposition();
  out.family("fnt_queue_backlog_messages", "gauge", "Messages waiting in a queue, where the runtime reports it.");
  for (const q of ov.queues) if (q.backlog !== null) out.sample("fnt_queue_backlog_messages", { queue: q.name }, q.backlog);
  out.family(
    "fnt_queue_oldest_message_age_seconds",
    "gauge",
    "Age of the oldest message waiting in a queue, where the runtime reports it.",
  );
  for (const q of ov.queues)
    if (q.oldest_age_seconds !== null) out.sample("fnt_queue_oldest_message_age_seconds", { queue: q.name }, q.oldest_age_seconds);
  out.family("fnt_dead_letters", "gauge", "Messages kept from the dead-letter queues, and those not yet replayed.");
  out.sample("fnt_dead_letters", { state: "all" }, ov.dead_letters.total);
  out.sample("fnt_dead_letters", { state: "unreplayed" }, ov.dead_letters.unreplayed);
  out.family("fnt_intake_paused", "gauge", "1 while an operator has paused new jobs.");
  out.sample("fnt_intake_paused", {}, ov.intake === "paused" ? 1 : 0);
  out.family("fnt_jobs", "gauge", "Jobs by status.");
  for (const r of byStatus) out.sample("fnt_jobs", { status: r.status }, r.n);
  out.family("fnt_chunk_attempts_total", "counter", "Chunk attempts by engine, outcome and error class.");
  for (const r of outcomes)
    out.sample("fnt_chunk_attempts_total", { engine: r.engine, outcome: r.outcome, error_class: r.error_class ?? "none" }, r.n);
  out.family("fnt_chunk_latency_seconds", "histogram", "Time to normalize a chunk that succeeded, by engine.");
  for (const r of latencyRows as Array<Record<string, number | string>>) {
    LATENCY_BUCKETS.forEach((b, i) => {
      out.sample("fnt_chunk_latency_seconds_bucket", { engine: r.engine!, le: b }, Number(r[`b${i}`]));
    });
    out.sample("fnt_chunk_latency_seconds_bucket", { engine: r.engine!, le: "+Inf" }, Number(r.n));
    out.sample("fnt_chunk_latency_seconds_sum", { engine: r.engine! }, Number(r.sum) / 1000);
    out.sample("fnt_chunk_latency_seconds_count", { engine: r.engine! }, Number(r.n));
  }
  out.family("fnt_tokens_total", "counter", "Model tokens used by chunk attempts, by engine and model.");
  for (const r of tokens) out.sample("fnt_tokens_total", { engine: r.engine, model: r.model ?? "" }, Number(r.t));
  out.family("fnt_credits_charged_total", "counter", "Credits charged to users for finished jobs.");
  out.sample("fnt_credits_charged_total", {}, Number(credits ?? 0) / 1000);
  return out.toString();
}
