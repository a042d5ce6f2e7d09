import type { Context } from "hono";
import { toCredits } from "../credits/pricing";
import {
  creditAccount,
  jobsPerHour,
  quotaExceeded,
  RateLimited,
  rateLimitHeaders,
  storageQuota,
  storageUsed,
  type Billing,
} from "../credits/service";
import type { Admission } from "../credits/account";
import type { AppEnv } from "../core/types";
import { ApiError } from "../core/errors";
import { intakePaused } from "../ops/state";
import { config } from "../core/config";

// What every job-creation route checks before it takes a file or holds credits: that intake
// is open (503 while an operator has paused it), that the user has some credit for a priced
// engine (402), a free slot in the hourly limit (429), and room in their storage quota (413).

/** Seconds a client is asked to wait while intake is paused. */
export const PAUSED_RETRY_SECONDS = 300;

export class IntakePaused extends ApiError {
  readonly retryAfter = PAUSED_RETRY_SECONDS;
  constructor() {
    super(503, "intake_paused", "New jobs are paused for maintenance; running jobs go on. Please try again in a few minutes.");
  }
}

export async function requireIntakeOpen(env: Env): Promise<void> {
  if (await intakePaused(env)) throw new IntakePaused();
}

/** A priced engine with nothing available: refused before the body is read. */
export async function requireSomeCredit(env: Env, billing: Billing): Promise<void> {
  if (billing.rate <= 0) return;
  const s = await creditAccount(env, billing.owner_id).summary();
  if (s.available <= 0) {
    throw new ApiError(
      402,
      "insufficient_credits",
      `No credits are available to start a book (${toCredits(s.reserved)} are held by jobs not finished yet). Your monthly credits renew on ${s.period_end.slice(0, 10)}.`,
    );
  }
}

/** Takes a slot in the user's hourly job limit for `jobId`, or answers 429. */
export async function admitJob(c: Context<AppEnv>, jobId: string): Promise<Admission> {
  const a = await creditAccount(c.env, c.get("userId")).admitJob(jobId, jobsPerHour(c.env));
  if (!a.ok) throw new RateLimited(a);
  for (const [k, v] of Object.entries(rateLimitHeaders(a))) c.header(k, v);
  return a;
}

/** A job refused after its slot was taken gives the slot back. */
export const releaseSlot = (env: Env, userId: string, jobId: string) =>
  creditAccount(env, userId)
    .forgetJob(jobId)
    .catch(() => undefined);

/** The bytes an upload may stream, held for it in the user's CreditAccount until it is stored or fails. */
export interface Room {
  maxBytes: number;
  /** The error past maxBytes when the quota, not the upload limit, set it. */
  overLimit?: (f: string) => ReturnType<typeof quotaExceeded>;
  /** The upload is in D1 (its job's row written): its hold counts only for requests that read D1 before. */
  settle(bytes: number): Promise<void>;
  /** The upload failed or was refused: its hold goes. */
  release(): Promise<void>;
}

/**
 * Bytes the user may still store; 413 at once when the request says it is bigger. They are
 * held in the user's CreditAccount (worker/credits/account.ts) while the upload streams, so
 * uploads sent at once cannot all take the same room; the stored figure is read after the ticket.
 * The returned `overLimit` names the quota when it, and not the upload limit, stops a stream.
 */
export async function storageRoom(c: Context<AppEnv>, field: string): Promise<Room> {
  const userId = c.get("userId");
  const account = creditAccount(c.env, userId);
  const key = `upload:${crypto.randomUUID()}`;
  const quota = storageQuota(c.env);
  const uploadLimit = config(c.env).MAX_UPLOAD_BYTES;
  const ticket = await account.byteTicket();
  const used = await storageUsed(c.env, userId);
  const room = Math.max(0, quota - used);
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  // The form's own bytes (boundaries, fields) are a few hundred; a body bigger than the room
  // by more than that cannot fit.
  if (declared > room + 64 * 1024) throw quotaExceeded(used, quota, field);
  // A declared length bounds the file (the form's bytes with it); else the most one upload may send.
  const want = declared > 0 ? Math.min(declared, uploadLimit) : uploadLimit;
  const hold = await account.holdBytes({ key, job_id: key, want, ticket, user_used: used, quota });
  const release = () => account.releaseBytes(key).catch(() => undefined);
  const byQuota = !hold.ok || hold.tighter === "quota";
  return {
    maxBytes: hold.ok ? hold.bytes : 0,
    ...(byQuota ? { overLimit: (f: string) => quotaExceeded(hold.used, quota, f) } : {}),
    settle: (bytes) => account.settleBytes(key, bytes).catch(release),
    release,
  };
}
