import { DurableObject } from "cloudflare:workers";
import { config } from "../core/config";

/**
 * `ok`: go (after `waitMs`, when the caller agreed to wait: its slot is booked then); else come
 * back after `retryAfterSeconds`.
 */
export type Acquired = { ok: true; waitMs?: number } | { ok: false; retryAfterSeconds: number };

export interface Limits {
  /** Requests per minute; 0 = no limit. */
  rpm: number;
  /** Tokens (input + output) per minute; 0 = no limit. */
  tpm: number;
}

/**
 * Two token buckets (requests, tokens) refilled continuously at the per-minute rates.
 * A bucket holds at most a sixth of a minute's worth, so a burst after a quiet spell
 * stays small and any minute sees at most rate × 7/6.
 */
export class TokenBucket {
  private req: number;
  private tok: number;

  constructor(
    private limits: Limits,
    private last: number,
  ) {
    this.req = this.capacity().req;
    this.tok = this.capacity().tok;
  }

  private capacity() {
    return { req: Math.max(1, this.limits.rpm / 6), tok: Math.max(1, this.limits.tpm / 6) };
  }

  setLimits(limits: Limits) {
    this.limits = limits;
    const cap = this.capacity();
    this.req = Math.min(this.req, cap.req);
    this.tok = Math.min(this.tok, cap.tok);
  }

  /**
   * Takes one request and `tokens` tokens at time `now` (ms), or says how long to wait. A caller
   * that may wait up to `maxWaitMs` books its slot: the buckets go below zero by what it takes,
   * it is told when it may go, and every later caller waits behind it. So callers waiting
   * together are let through one after another at the quota's pace, first come first served,
   * with no one asking again.
   */
  take(tokens: number, now: number, maxWaitMs = 0): Acquired {
    const { rpm, tpm } = this.limits;
    const cap = this.capacity();
    const elapsedMin = Math.max(0, now - this.last) / 60_000;
    this.last = Math.max(this.last, now);
    this.req = Math.min(cap.req, this.req + elapsedMin * rpm);
    this.tok = Math.min(cap.tok, this.tok + elapsedMin * tpm);
    // A request bigger than the bucket could never pass: it waits for a full bucket instead.
    const want = Math.min(Math.max(0, tokens), cap.tok);
    // Refills are fractions of a minute: compare with a little slack for float dust.
    const reqOk = rpm <= 0 || this.req >= 1 - 1e-9;
    const tokOk = tpm <= 0 || this.tok >= want - 1e-6;
    const waitReq = reqOk ? 0 : ((1 - this.req) / rpm) * 60_000;
    const waitTok = tokOk ? 0 : ((want - this.tok) / tpm) * 60_000;
    const waitMs = Math.max(waitReq, waitTok);
    if (waitMs <= maxWaitMs) {
      if (rpm > 0) this.req -= 1;
      if (tpm > 0) this.tok -= want;
      return waitMs > 0 ? { ok: true, waitMs: Math.ceil(waitMs) } : { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000 - 1e-6)) };
  }
}

const limitsOf = (env: Env): Limits => ({
  rpm: config(env).GEMINI_RPM,
  tpm: config(env).GEMINI_TPM,
});

/**
 * The one place that paces calls to Gemini: a single named instance shared by every
 * chunk consumer. Callers ask before each request and, when refused, have the queue
 * bring the message back after `retryAfterSeconds` (a Worker never sleeps on it).
 * State is in memory: the object is evicted only after a quiet spell, when a full
 * bucket is the right state anyway.
 */
export class RateLimiter extends DurableObject<Env> {
  private bucket: TokenBucket | null = null;
  private override: Limits | null = null;
  /** Refusals handed out and not yet due, to spread the callers that come back. */
  private waiting: number[] = [];

  private get b(): TokenBucket {
    this.bucket ??= new TokenBucket(this.override ?? limitsOf(this.env), Date.now());
    return this.bucket;
  }

  /** A slot for one request of `tokens`; with `maxWaitMs`, one booked up to that far ahead (see TokenBucket.take). */
  async acquire(tokens: number, maxWaitMs = 0): Promise<Acquired> {
    const now = Date.now();
    const r = this.b.take(tokens, now, maxWaitMs);
    if (r.ok) return r;
    // Callers refused together would all come back together and be refused again: each
    // waiting one pushes the next a second further out.
    this.waiting = this.waiting.filter((due) => due > now);
    const delay = r.retryAfterSeconds + Math.floor(this.waiting.length / Math.max(1, this.perSecond()));
    this.waiting.push(now + delay * 1000);
    return { ok: false, retryAfterSeconds: Math.min(delay, 300) };
  }

  /** Overrides the GEMINI_RPM / GEMINI_TPM vars for this instance (tests, tuning without a deploy). */
  async setLimits(limits: Limits): Promise<void> {
    this.override = limits;
    this.b.setLimits(limits);
    this.waiting = [];
  }

  private perSecond(): number {
    const l = this.override ?? limitsOf(this.env);
    return l.rpm > 0 ? Math.max(1, Math.floor(l.rpm / 60)) : 1;
  }
}

/** The shared limiter every chunk consumer asks. */
export const geminiLimiter = (env: Env) => env.GEMINI_LIMITER.get(env.GEMINI_LIMITER.idFromName("gemini"));
