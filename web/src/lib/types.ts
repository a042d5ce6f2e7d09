// The API's contracts live in schema/ (one source of truth for both Workers and this app);
// only their types are imported, so zod stays out of the browser bundle.
import type { Job, JobResult, JobStatus, ProgressEvent, ResultSentence } from "../../../schema/api";
import type { JobSettings } from "../../../schema/settings";

export type { Job, JobResult, JobStatus, ProgressEvent, JobSettings };

/** A sentence of a result; `edited` once the reader has corrected it. */
export type Sentence = ResultSentence & { edited?: boolean };

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
}

export type FinalStatus = "completed" | "partial" | "failed" | "cancelled";
export const isFinalStatus = (s: JobStatus): s is FinalStatus =>
  s === "completed" || s === "partial" || s === "failed" || s === "cancelled";

export interface User {
  id: string;
  email: string;
  name: string | null;
}

/** Which engine the server runs, and the Gemini models a job may ask for (none with the local engine). */
export interface EngineInfo {
  engine: "local" | "gemini";
  models: string[];
}

/** GET /api/v1/me */
export interface Me extends EngineInfo {
  user: User;
  auth: "session" | "api_key";
  /** Whether this user may open the operator console (/admin). */
  operator: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  last4: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_agent: string | null;
  current: boolean;
}

/** GET /api/v1/credits: amounts in credits (up to 3 decimals). */
export interface Credits {
  balance: number;
  /** Held for jobs that are running or reserved. */
  reserved: number;
  available: number;
  monthly_allowance: number;
  period_start: string;
  /** When the allowance renews. */
  period_end: string;
  pricing_version: string;
  /** Credits per 1,000 tokens, by engine or model. */
  prices: Record<string, number>;
}

export type LedgerKind = "grant" | "reserve" | "settle" | "release" | "expire";

/** One line of GET /api/v1/credits/ledger. */
export interface LedgerEntry {
  id: number;
  at: string;
  kind: LedgerKind;
  /** Signed for grant (+), settle (−) and expire (−); the amount held or given back for reserve and release. */
  credits: number;
  job_id: string | null;
  note: string | null;
  balance_after: number;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  next_cursor: string | null;
}

/** GET /api/v1/limits */
export interface Limits {
  jobs_per_hour: { limit: number; remaining: number; reset_seconds: number };
  storage: { used_bytes: number; quota_bytes: number };
  /** A PDF (a book, or one part of it) may have max_part_bytes; a job max_upload_bytes in all, in at most max_parts parts. */
  uploads: {
    max_part_bytes: number;
    max_upload_bytes: number;
    max_parts: number;
    parts_ttl_seconds: number;
    /** What one job holds of a book's text; a big PDF being read lowers the pages (see client/split.ts). */
    text: { max_pages: number; max_text_chars: number; page_budget: number; pages_per_file_mib: number };
  };
}
