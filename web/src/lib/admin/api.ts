// The operator console's calls to /api/v1/admin/* (see worker/api/admin.ts) and their shapes.
import { api, ok } from "../api";
import type { Job, ProgressEvent } from "../types";
import { noteDenied } from "./access.svelte";

/** A console call that tells the console's layout when the API says 403 (not an operator). */
const call = <T>(p: Parameters<typeof ok<T>>[0]): Promise<T> => ok(p).catch(noteDenied);
const path = (id: string) => ({ params: { path: { id } } });

export type Range = "hour" | "day" | "week" | "month";
export const RANGES: { value: Range; label: string }[] = [
  { value: "hour", label: "Hour" },
  { value: "day", label: "Day" },
  { value: "week", label: "Week" },
  { value: "month", label: "30 days" },
];

export interface QueueHealth {
  name: string;
  /** null: the runtime does not report it ("not available", never a zero). */
  backlog: number | null;
  oldest_age_seconds: number | null;
  available: boolean;
  last_consumed_at: string | null;
}

export interface Overview {
  queues: QueueHealth[];
  dead_letters: { total: number; unreplayed: number };
  jobs_running: number;
  intake: "open" | "paused";
  d1: "ok" | "error";
  r2: "ok" | "error";
}

export interface Owner {
  id: string;
  email: string;
}
export type AdminJob = Job & { owner: Owner };

export interface JobFilters {
  status?: string;
  engine?: string;
  user?: string;
  q?: string;
}

export interface ChunkDetail {
  n: number;
  state: "pending" | "done" | "failed";
  first_page: number;
  last_page: number;
  sentences: number;
  tokens: number;
  error: string | null;
  updated_at: string;
  attempts: number;
  engine: string | null;
  model: string | null;
  latency_ms: number | null;
  last_error: string | null;
  last_error_class: string | null;
}

export interface JobDetail {
  job: AdminJob;
  events: (ProgressEvent & { seq: number })[];
  chunks: ChunkDetail[];
  retries: number;
  credits: { estimated: number | null; actual: number | null; pricing_version: string | null; pricing_rate: number | null };
  files: { key: string; size: number; uploaded: string }[];
}

export interface Throughput {
  range: Range;
  bucket_seconds: number;
  series: { t: string; chunks: number; pages: number }[];
  latency: { engine: string; model: string | null; count: number; p50_ms: number | null; p95_ms: number | null }[];
}

export interface FailureGroup {
  error_class: string;
  attempts: number;
  failed_for_good: number;
  jobs_affected: number;
  samples: { job_id: string; chunk: number; message: string | null; at: string }[];
  job_ids: string[];
}

export interface Failures {
  chunk_failures: FailureGroup[];
  failed_jobs: { error_code: string; jobs: number }[];
}

export interface Spend {
  per_day: { day: string; engine: string; model: string | null; tokens: number; credits: number; jobs: number }[];
  top_users: { user_id: string; email: string; tokens: number; credits: number; jobs: number }[];
}

export interface DeadLetter {
  id: string;
  queue: string;
  body: unknown;
  job_id: string | null;
  chunk: number | null;
  error_class: string;
  received_at: string;
  replayed_at: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_email: string;
  action: string;
  target_type: string;
  target_id: string | null;
  detail: unknown;
}

export interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  created_at: string;
}

export const getOverview = (): Promise<Overview> => call(api.GET("/api/v1/admin/overview"));

export function searchJobs(
  f: JobFilters,
  limit: number,
  cursor?: string | null,
): Promise<{ jobs: AdminJob[]; next_cursor: string | null }> {
  const query = { limit, ...Object.fromEntries(Object.entries(f).filter(([, v]) => v)), ...(cursor ? { cursor } : {}) };
  return call(api.GET("/api/v1/admin/jobs", { params: { query } }));
}

export const getJobDetail = (id: string): Promise<JobDetail> => call(api.GET("/api/v1/admin/jobs/{id}", path(id)));
export const getThroughput = (range: Range): Promise<Throughput> =>
  call(api.GET("/api/v1/admin/throughput", { params: { query: { range } } }));
export const getFailures = (range: Range): Promise<Failures> => call(api.GET("/api/v1/admin/failures", { params: { query: { range } } }));
export const getSpend = (range: Range): Promise<Spend> => call(api.GET("/api/v1/admin/spend", { params: { query: { range } } }));
export const getDeadLetters = (): Promise<DeadLetter[]> => call(api.GET("/api/v1/admin/dead-letters")).then((r) => r.dead_letters);

export function getAudit(cursor?: string | null): Promise<{ entries: AuditEntry[]; next_cursor: string | null }> {
  return call(api.GET("/api/v1/admin/audit", { params: { query: cursor ? { cursor } : {} } }));
}

export const findUsers = (q: string): Promise<AdminUser[]> =>
  call(api.GET("/api/v1/admin/users", { params: { query: { q } } })).then((r) => r.users);

// ---- actions (each leaves an audit entry) ----

export const cancelJob = (id: string): Promise<Job> => call(api.POST("/api/v1/admin/jobs/{id}/cancel", path(id)));

export const replayDeadLetters = (which: { id: string } | { error_class: string }) =>
  call(api.POST("/api/v1/admin/dead-letters/replay", { body: which }));

export const setIntake = (paused: boolean) => call(api.POST("/api/v1/admin/intake", { body: { paused } }));

export const grantCredits = (userId: string, credits: number, note: string) =>
  call(api.POST("/api/v1/admin/users/{id}/grant", { ...path(userId), body: { credits, note } }));

export { JOB_STATUSES as STATUSES } from "../../../../schema/statuses";
