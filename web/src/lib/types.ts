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
