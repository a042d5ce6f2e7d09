import type { JobStatus } from "../../../schema/api";
import type { JobSettings } from "../../../schema/settings";
import type { Billing } from "../../credits/service";
import type { JobHooks } from "../../webhooks/service";

export interface ChunkPlan {
  first_page: number;
  last_page: number;
  /** The chunk's token estimate: what the local engine bills for it once done. */
  tokens?: number;
}

export interface StartPlan {
  /** Pages read (the `pages` setting may leave some out). */
  page_count: number;
  /** Pages in the book, when the plan read the PDF. */
  book_page_count?: number;
  chunks: ChunkPlan[];
  estimated_tokens: number;
}

export type ChunkDecision = { process: false; reason: string } | { process: true; settings: JobSettings };

export type { ChunkState, Counts } from "./progress";
export type FinalStatus = Extract<JobStatus, "completed" | "partial" | "failed" | "cancelled">;

/** The job's state, kept as one JSON value in the tracker's `meta` table (key 'job'). */
export interface Meta {
  job_id: string;
  status: JobStatus;
  total: number;
  settings: JobSettings;
  created_ms: number;
  started_ms: number | null;
  last_progress_ms: number;
  /** Times the watchdog sent the job's chunks again since one last ended (./watchdog.ts). */
  requeues: number;
  requeued_ms?: number;
  error_code: string | null;
  error_message: string | null;
  actual_tokens: number;
  /** Who pays and at what rate; absent for jobs that are not billed (tests). */
  billing?: Billing;
  /** Retries of failed chunks so far; each is billed on its own ledger key. */
  retries?: number;
  /** The chunks the current retry runs, and the tokens counted before it. */
  retry_chunks?: number[];
  tokens_before_retry?: number;
  /** Millicredits held for the current run (its ledger key): its estimate, raised as it runs (./funds.ts). */
  held?: number;
  /** Millicredits charged by the runs that have ended. */
  charged?: number;
  /** Where webhook events go; absent when the job has none. */
  hooks?: JobHooks;
  /** The last progress step a job.progress event was sent for. */
  hooks_progress_sent?: number;
  /** When the job last ended: its tracker lets go of its storage a while after (../release.ts). */
  ended_ms?: number;
}
