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
