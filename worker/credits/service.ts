import { lt } from "drizzle-orm";
import { jobs } from "../../schema/db";
import { ApiError } from "../core/errors";
import type { Admission, CreditSummary } from "./account";
import { parsePricing, PricingError, rateFor, toCredits, type Pricing } from "./pricing";
import { config } from "../core/config";
import { transitionAll } from "../jobs/lifecycle";

/** The one writer of a user's credits and job rate. */
export const creditAccount = (env: Env, userId: string) => env.CREDIT_ACCOUNT.get(env.CREDIT_ACCOUNT.idFromName(userId));

export function pricing(env: Env): Pricing {
  try {
    return parsePricing(env.CREDIT_PRICES);
  } catch (err) {
    if (err instanceof PricingError) {
      console.error(JSON.stringify({ msg: "bad CREDIT_PRICES", err: err.message }));
      throw new ApiError(500, "server_misconfigured", "Prices are misconfigured on this server. Please try again later.");
    }
    throw err;
  }
}

/** What a new job will be billed at: the engine a job gets now, its model, its price. */
export interface Billing {
  owner_id: string;
  engine: "local" | "gemini";
  model: string | null;
  rate: number;
  pricing_version: string;
}

export function billingFor(env: Env, ownerId: string, geminiModel: string): Billing {
  // The same choice as the chunk consumer's: Gemini whenever a key is set.
  const engine = env.GEMINI_API_KEY ? "gemini" : "local";
  const model = engine === "gemini" ? geminiModel : null;
  const p = pricing(env);
  let rate: number;
  try {
    rate = rateFor(p, engine, model);
  } catch (err) {
    if (err instanceof PricingError) {
      console.error(JSON.stringify({ msg: "bad CREDIT_PRICES", err: err.message }));
      throw new ApiError(500, "server_misconfigured", "Prices are misconfigured on this server. Please try again later.");
    }
    throw err;
  }
  return { owner_id: ownerId, engine, model, rate, pricing_version: p.version };
}

/** GET /api/v1/credits, in credits. */
export function publicCredits(s: CreditSummary, p: Pricing) {
  return {
    balance: toCredits(s.balance),
    reserved: toCredits(s.reserved),
    available: toCredits(s.available),
    monthly_allowance: toCredits(s.monthly_allowance),
    period_start: s.period_start,
    period_end: s.period_end,
    pricing_version: p.version,
    prices: p.prices,
  };
}

export const insufficient = (neededMillis: number, availableMillis: number) =>
  new ApiError(
    402,
    "insufficient_credits",
    `Not enough credits: this needs ${toCredits(neededMillis)} and ${toCredits(Math.max(0, availableMillis))} are available.`,
  );

// ---- limits -----------------------------------------------------------------------

export const jobsPerHour = (env: Env) => config(env).MAX_JOBS_PER_HOUR;
export const storageQuota = (env: Env) => config(env).STORAGE_QUOTA_BYTES;

/** The standard RateLimit headers of a job-creation answer (IETF draft, as GitHub and others send). */
export function rateLimitHeaders(a: Admission): Record<string, string> {
  return {
    "RateLimit-Limit": String(a.limit),
    "RateLimit-Remaining": String(a.remaining),
    "RateLimit-Reset": String(a.reset_seconds),
  };
}

export class RateLimited extends ApiError {
  constructor(
    readonly admission: Admission,
    message = `At most ${admission.limit} new jobs an hour: try again in ${Math.ceil(admission.reset_seconds / 60)} min.`,
  ) {
    super(429, "rate_limited", message);
  }
}

/** Retries of one job's failed pages an owner may ask for in an hour (an operator's are not counted). */
export const RETRIES_PER_JOB_HOUR = 5;

/** Estimates a user may ask for a minute (`MAX_ESTIMATES_PER_MINUTE`). */
export const estimatesPerMinute = (env: Env) => config(env).MAX_ESTIMATES_PER_MINUTE;

/**
 * Bytes of uploads the user has stored: every book whose files have not expired, once (a job
 * processed again reads the files of the job it came from: worker/jobs/sources.ts).
 */
export async function storageUsed(env: Env, userId: string): Promise<number> {
  // Books once each, and the reader's corrected sentences (their UTF-8 bytes).
  const row = await env.DB.prepare(
    `SELECT (SELECT COALESCE(SUM(size), 0) FROM (
       SELECT MAX(file_size) AS size FROM jobs
       WHERE owner_id = ?1 AND uploads_expired_at IS NULL AND status <> 'reserved'
       GROUP BY COALESCE(source_job_id, id)))
     + (SELECT COALESCE(SUM(length(CAST(e.text AS BLOB))), 0) FROM sentence_edits e JOIN jobs j ON j.id = e.job_id WHERE j.owner_id = ?1) AS used`,
  )
    .bind(userId)
    .first<{ used: number }>();
  return Number(row?.used ?? 0);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export const quotaExceeded = (used: number, quota: number, field?: string, what = "This upload") =>
  new ApiError(
    413,
    "storage_quota_exceeded",
    `${what} would go over your storage quota: ${mb(used)} of ${mb(quota)} used. Delete old jobs to make room.`,
    field,
  );

/** An operator's grant of credits to a user (the console's button calls this). */
export async function grantCredits(env: Env, userId: string, credits: number, note: string): Promise<CreditSummary> {
  const millis = Math.round(credits * 1000);
  if (!Number.isFinite(credits) || millis <= 0) throw new ApiError(400, "invalid_field", "credits: must be more than 0.", "credits");
  return creditAccount(env, userId).grant(millis, note);
}

/**
 * Cron: reservations made ahead of an upload that never came lapse; their jobs end
 * `failed` (reservation_expired) and the credits go back.
 */
export async function expireReservations(env: Env, now = new Date()): Promise<number> {
  const lapsed = await transitionAll(
    env.DB,
    "failed",
    {
      current_step: "failed",
      error_code: "reservation_expired",
      error_message: "The reservation expired before a PDF was sent.",
      completed_at: now.toISOString(),
      updated_at: now.toISOString(),
    },
    { from: ["reserved"], where: lt(jobs.reservation_expires_at, now.toISOString()) },
  );
  for (const j of lapsed) {
    await creditAccount(env, j.owner_id).release(j.id, "reservation expired unused", now.toISOString());
  }
  return lapsed.length;
}
