// The API's contracts live in schema/ (one source of truth for both Workers and this app);
// only their types are imported, so zod stays out of the browser bundle.
import type {
  ApiKey,
  Credits,
  EngineInfo,
  Job,
  JobResult,
  JobStatus,
  LedgerEntry,
  LedgerPage,
  Limits,
  Me,
  ProgressEvent,
  ResultSentence,
  SessionInfo,
  User,
} from "../../../schema/api";
import type { JobSettings } from "../../../schema/settings";

export type { Job, JobResult, JobStatus, ProgressEvent, JobSettings };

/** A sentence of a result; `edited` once the reader has corrected it. */
export type Sentence = ResultSentence & { edited?: boolean };

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
}

export { isFinal as isFinalStatus, type FinalStatus } from "../../../schema/statuses";

/** GET /api/v1/me and the shapes of the account's answers, as the API declares them. */
export type { ApiKey, Credits, EngineInfo, LedgerEntry, LedgerPage, Limits, Me, SessionInfo, User };
export type LedgerKind = LedgerEntry["kind"];
/** What the server says of itself beside the user (GET /api/v1/me): its engine, models, and how long finished jobs are kept. */
export type ServerInfo = Pick<Me, "engine" | "models" | "retention_days">;
