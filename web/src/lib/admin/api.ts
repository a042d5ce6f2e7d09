// The operator console's calls to /api/v1/admin/* (see worker/api/admin.ts) and their shapes.
import { apiJson as plainApiJson } from "../api";
import type { Job, JobStatus, ProgressEvent } from "../types";
import { noteDenied } from "./access.svelte";

/** apiJson that tells the console's layout when the API says 403 (not an operator). */
const apiJson = <T>(path: string, init: Parameters<typeof plainApiJson>[1] = {}) => plainApiJson<T>(path, init).catch(noteDenied);

const base = "/api/v1/admin";
const enc = encodeURIComponent;

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

export const getOverview = () => apiJson<Overview>(`${base}/overview`);

export function searchJobs(f: JobFilters, limit: number, cursor?: string | null) {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  if (cursor) q.set("cursor", cursor);
  return apiJson<{ jobs: AdminJob[]; next_cursor: string | null }>(`${base}/jobs?${q}`);
}

export const getJobDetail = (id: string) => apiJson<JobDetail>(`${base}/jobs/${enc(id)}`);
export const getThroughput = (range: Range) => apiJson<Throughput>(`${base}/throughput?range=${range}`);
export const getFailures = (range: Range) => apiJson<Failures>(`${base}/failures?range=${range}`);
export const getSpend = (range: Range) => apiJson<Spend>(`${base}/spend?range=${range}`);
export const getDeadLetters = () => apiJson<{ dead_letters: DeadLetter[] }>(`${base}/dead-letters`).then((r) => r.dead_letters);

export function getAudit(cursor?: string | null) {
  return apiJson<{ entries: AuditEntry[]; next_cursor: string | null }>(`${base}/audit${cursor ? `?cursor=${enc(cursor)}` : ""}`);
}

export const findUsers = (q: string) => apiJson<{ users: AdminUser[] }>(`${base}/users?q=${enc(q)}`).then((r) => r.users);

// ---- actions (each leaves an audit entry) ----

export const cancelJob = (id: string) => apiJson<Job>(`${base}/jobs/${enc(id)}/cancel`, { method: "POST" });

export const replayDeadLetters = (which: { id: string } | { error_class: string }) =>
  apiJson<{ replayed: number; unchanged: number; ids: string[] }>(`${base}/dead-letters/replay`, { method: "POST", json: which });

export const setIntake = (paused: boolean) =>
  apiJson<{ intake: "open" | "paused" }>(`${base}/intake`, { method: "POST", json: { paused } });

export const grantCredits = (userId: string, credits: number, note: string) =>
  apiJson<{ user_id: string; balance: number; available: number }>(`${base}/users/${enc(userId)}/grant`, {
    method: "POST",
    json: { credits, note },
  });

export const STATUSES: JobStatus[] = ["reserved", "uploading", "queued", "planning", "processing", "completed", "partial", "failed", "cancelled"];
