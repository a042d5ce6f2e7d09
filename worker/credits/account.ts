import { DurableObject } from "cloudflare:workers";
import { Ledger, newLedgerState, type Entry, type LedgerState, type ReserveResult } from "./ledger";
import { config } from "../core/config";

export interface CreditSummary {
  balance: number;
  reserved: number;
  available: number;
  monthly_allowance: number;
  period_start: string;
  period_end: string;
}

/** A ledger entry as it is kept once its account is deleted: no job id, no note. */
export type ClosedEntry = Pick<Entry, "kind" | "amount" | "balance_after" | "reserved_after" | "at">;

export interface LedgerPage {
  entries: (Entry & { id: number })[];
  next_cursor: string | null;
}

export interface Admission {
  ok: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees up (the oldest job of the window leaves it). */
  reset_seconds: number;
}

const HOUR_MS = 3600_000;
const MINUTE_MS = 60_000;
/**
 * A hold on upload bytes lapses after this, whatever became of its request: a Worker may be
 * stopped mid-upload and never release it. An hour covers the largest book (256 MiB) at ~0.6
 * Mbit/s; a request still streaming then is not counted against others any more.
 */
export const BYTE_HOLD_MS = HOUR_MS;
/** A settled hold counts for tickets taken before it, for this long (a ticket is used within its request, in ms). */
const SETTLED_KEEP_MS = 5 * MINUTE_MS;

/** Bytes an upload asks to hold before it streams (see CreditAccount.holdBytes). */
export interface ByteHoldRequest {
  /** The hold's own name (one per request: the object key it stores to). */
  key: string;
  /** The job the bytes are for (the job limit counts the holds of this job). */
  job_id: string;
  /** Bytes wanted: the request's declared length, or the most it may send. */
  want: number;
  /** All of `want` or nothing (a declared length: fewer bytes could not take the request). */
  exact?: boolean;
  /** From byteTicket(), taken before the stored figures below were read from D1. */
  ticket: number;
  /** The user's stored bytes (D1, read after the ticket) and their quota. */
  user_used: number;
  quota: number;
  /** For a part: the job's other stored parts (D1, after the ticket) and MAX_UPLOAD_BYTES. */
  job_used?: number;
  job_limit?: number;
}

/**
 * Granted: the request may stream `bytes`; `tighter` names the limit that set them (the error to
 * give past them), null when the request's own `want` did. Refused: no byte is left under `limit`;
 * `used` is what that limit already counts (stored and held).
 */
export type ByteHold =
  | { ok: true; bytes: number; tighter: "quota" | "job" | null; used: number; job_used: number }
  | { ok: false; limit: "quota" | "job"; used: number; job_used: number };

/**
 * One per user: the single writer of that user's credits and of their job-creation rate.
 * Every method runs its check and its write without awaiting in between, so calls that
 * arrive together are served one after another (the Durable Object's input gate) and a
 * balance can never be spent twice. The ledger is append-only in this object's SQLite.
 */
export class CreditAccount extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, amount INTEGER NOT NULL,
        job_id TEXT, note TEXT, balance_after INTEGER NOT NULL, reserved_after INTEGER NOT NULL, at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS settled (job_id TEXT PRIMARY KEY, charged INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS admissions (job_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS retries (job_id TEXT NOT NULL, at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS estimates (at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS byte_holds (
        key TEXT PRIMARY KEY, job_id TEXT NOT NULL, bytes INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
        settled_seq INTEGER, settled_ms INTEGER);
    `);
  }

  private monthly(): number {
    return Math.round(config(this.env).MONTHLY_CREDITS * 1000);
  }

  /** The ledger as of now: loaded, with any period that began since renewed. */
  private open(now: string): Ledger {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'ledger'").toArray()[0];
    const state: LedgerState = row ? JSON.parse(row.value) : newLedgerState(this.monthly(), now);
    const ledger = new Ledger(
      state,
      (jobId) => this.sql.exec<{ charged: number }>("SELECT charged FROM settled WHERE job_id = ?", jobId).toArray()[0]?.charged,
    );
    // Written only when something changed: a first contact, or a period that began.
    const renewed = ledger.renew(now, this.monthly());
    if (!row || renewed.length) this.commit(ledger, renewed);
    return ledger;
  }

  private commit(ledger: Ledger, entries: Entry[]) {
    this.sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('ledger', ?)", JSON.stringify(ledger.state));
    for (const e of entries) {
      this.sql.exec(
        "INSERT INTO ledger (kind, amount, job_id, note, balance_after, reserved_after, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        e.kind,
        e.amount,
        e.job_id,
        e.note,
        e.balance_after,
        e.reserved_after,
        e.at,
      );
    }
  }

  private summaryOf(l: Ledger): CreditSummary {
    return {
      balance: l.balance,
      reserved: l.reserved,
      available: l.available,
      monthly_allowance: l.state.monthly,
      period_start: l.state.period_start,
      period_end: l.state.period_end,
    };
  }

  async summary(now = new Date().toISOString()): Promise<CreditSummary> {
    return this.summaryOf(this.open(now));
  }

  async grant(millis: number, note: string | null, now = new Date().toISOString()): Promise<CreditSummary> {
    const l = this.open(now);
    this.commit(l, l.grant(millis, note, now));
    return this.summaryOf(l);
  }

  async reserve(
    jobId: string,
    millis: number,
    expiresAt: string | null = null,
    now = new Date().toISOString(),
  ): Promise<ReserveResult & { summary: CreditSummary }> {
    const l = this.open(now);
    const r = l.reserve(jobId, millis, expiresAt, now);
    if (r.ok) this.commit(l, r.entries);
    return { ...r, summary: this.summaryOf(l) };
  }

  /** Ends a job's reservation with its charge; the same job settled again changes nothing. */
  async settle(jobId: string, millis: number, now = new Date().toISOString()): Promise<{ charged: number }> {
    const l = this.open(now);
    const { charged, entries } = l.settle(jobId, millis, now);
    this.commit(l, entries);
    this.sql.exec("INSERT OR IGNORE INTO settled (job_id, charged) VALUES (?, ?)", jobId, charged);
    return { charged };
  }

  async release(jobId: string, note: string, now = new Date().toISOString()): Promise<void> {
    const l = this.open(now);
    this.commit(l, l.release(jobId, note, now));
  }

  /** Releases lapsed reservations; returns the jobs whose reservation lapsed. */
  async expireReservations(now = new Date().toISOString()): Promise<string[]> {
    const l = this.open(now);
    const { jobs, entries } = l.expireReservations(now);
    this.commit(l, entries);
    return jobs;
  }

  async ledger(cursor: number | null, limit: number): Promise<LedgerPage> {
    this.open(new Date().toISOString()); // a period that began is on the ledger before it is read
    const rows = this.sql
      .exec<{
        id: number;
        kind: string;
        amount: number;
        job_id: string | null;
        note: string | null;
        balance_after: number;
        reserved_after: number;
        at: string;
      }>(
        "SELECT id, kind, amount, job_id, note, balance_after, reserved_after, at FROM ledger WHERE id < ? ORDER BY id DESC LIMIT ?",
        cursor ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit) as (Entry & { id: number })[];
    return { entries: page, next_cursor: rows.length > limit ? String(page.at(-1)!.id) : null };
  }

  /**
   * The account is being deleted: what its ledger keeps for the operator's accounting (each
   * entry's kind, amount, balances after it and date) without what tied it to the reader's books
   * (job ids, notes), which are removed here first; reservations, settled jobs and the hourly
   * window go too. The caller stores the entries elsewhere, then calls forget().
   */
  async anonymize(): Promise<{ entries: ClosedEntry[]; balance: number }> {
    this.sql.exec("UPDATE ledger SET job_id = NULL, note = NULL");
    this.sql.exec("DELETE FROM settled");
    this.sql.exec("DELETE FROM admissions");
    const row = this.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'ledger'").toArray()[0];
    const state: LedgerState | null = row ? JSON.parse(row.value) : null;
    if (state) this.sql.exec("UPDATE state SET value = ? WHERE key = 'ledger'", JSON.stringify({ ...state, reservations: {} }));
    const entries = this.sql.exec<ClosedEntry>("SELECT kind, amount, balance_after, reserved_after, at FROM ledger ORDER BY id").toArray();
    return { entries, balance: state ? state.allowance + state.bonus : 0 };
  }

  /** Deletes all of this account's storage (its ledger was kept elsewhere: anonymize()). */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  // ---- jobs per hour -------------------------------------------------------------

  /** Counts a new job against the hourly limit, if there is room. */
  async admitJob(jobId: string, limit: number, nowMs = Date.now()): Promise<Admission> {
    return this.slide("admissions", HOUR_MS, limit, nowMs, { add: jobId });
  }

  /**
   * A job was deleted: its ledger entries keep their amounts and dates but no longer name it (nor
   * its retries), a reservation it still held goes back, and its place in the hourly window stays
   * counted, unnamed (deleting is no way around the limit).
   */
  async dropJob(jobId: string, now = new Date().toISOString()): Promise<void> {
    const l = this.open(now);
    this.commit(l, l.release(jobId, "job deleted", now));
    const retries = `${jobId}#%`;
    this.sql.exec("UPDATE ledger SET job_id = NULL WHERE job_id = ? OR job_id LIKE ?", jobId, retries);
    this.sql.exec("DELETE FROM settled WHERE job_id = ? OR job_id LIKE ?", jobId, retries);
    this.sql.exec("UPDATE admissions SET job_id = ? WHERE job_id = ?", crypto.randomUUID(), jobId);
  }

  /** A job that was refused after all (bad upload) gives its slot back. */
  async forgetJob(jobId: string): Promise<void> {
    this.sql.exec("DELETE FROM admissions WHERE job_id = ?", jobId);
  }

  /**
   * A sliding window of `windowMs` over the rows of `table` (those of job `of` when given): with
   * `add`, counts one more (that job's row, or an unnamed one for null) if fewer than `limit` are
   * in it; without, only says where it stands. The check and the write run without an await between.
   */
  private slide(
    table: "admissions" | "retries" | "estimates",
    windowMs: number,
    limit: number,
    nowMs: number,
    opts: { of?: string; add?: string | null } = {},
  ): Admission {
    this.sql.exec(`DELETE FROM ${table} WHERE at_ms <= ?`, nowMs - windowMs);
    const rows = (
      opts.of === undefined
        ? this.sql.exec<{ at_ms: number }>(`SELECT at_ms FROM ${table} ORDER BY at_ms`)
        : this.sql.exec<{ at_ms: number }>(`SELECT at_ms FROM ${table} WHERE job_id = ? ORDER BY at_ms`, opts.of)
    ).toArray();
    const reset = (oldest: number) => Math.max(1, Math.ceil((oldest + windowMs - nowMs) / 1000));
    if (opts.add === undefined) {
      const oldest = rows[0]?.at_ms;
      return {
        ok: rows.length < limit,
        limit,
        remaining: Math.max(0, limit - rows.length),
        reset_seconds: oldest === undefined ? 0 : reset(oldest),
      };
    }
    if (rows.length >= limit) return { ok: false, limit, remaining: 0, reset_seconds: reset(rows[0]!.at_ms) };
    // A job admitted again (the same id) is counted once.
    const added =
      opts.add === null
        ? this.sql.exec(`INSERT INTO ${table} (at_ms) VALUES (?)`, nowMs).rowsWritten
        : this.sql.exec(`INSERT OR IGNORE INTO ${table} (job_id, at_ms) VALUES (?, ?)`, opts.add, nowMs).rowsWritten;
    return { ok: true, limit, remaining: limit - rows.length - (added > 0 ? 1 : 0), reset_seconds: reset(rows[0]?.at_ms ?? nowMs) };
  }

  /** Counts a retry of one job against its own hourly limit, if there is room (a sliding hour, like jobs). */
  async admitRetry(jobId: string, limit: number, nowMs = Date.now()): Promise<Admission> {
    return this.slide("retries", HOUR_MS, limit, nowMs, { of: jobId, add: jobId });
  }

  /**
   * Estimates (POST /api/v1/estimate) have a limit of their own, `limit` a minute: they take
   * no slot among the jobs of the hour.
   */
  async admitEstimate(limit: number, nowMs = Date.now()): Promise<Admission> {
    return this.slide("estimates", MINUTE_MS, limit, nowMs, { add: null });
  }

  // ---- upload bytes in flight -----------------------------------------------------
  //
  // Uploads and parts stream while others of the same user do: each holds its bytes here
  // first, so that 100 parts sent at once cannot all find the same room. The stored figures come
  // from D1, read by the caller after taking a ticket; a hold settled (its bytes in D1) after that
  // ticket may be missing from them, so it still counts; one settled before is in them.

  private purgeHolds(nowMs: number): void {
    this.sql.exec(
      "DELETE FROM byte_holds WHERE (settled_seq IS NULL AND expires_ms <= ?) OR settled_ms <= ?",
      nowMs,
      nowMs - SETTLED_KEEP_MS,
    );
  }

  private byteSeq(): number {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'byte_seq'").toArray()[0];
    return row ? Number(row.value) : 0;
  }

  /** Taken before reading the stored figures that holdBytes is then given. */
  async byteTicket(): Promise<number> {
    return this.byteSeq();
  }

  /** Holds up to `want` bytes within the user's quota (and the job's limit), or refuses. Check and write run without an await. */
  async holdBytes(r: ByteHoldRequest, nowMs = Date.now()): Promise<ByteHold> {
    this.purgeHolds(nowMs);
    const held = (jobId?: string) =>
      this.sql
        .exec<{ n: number }>(
          `SELECT COALESCE(SUM(bytes), 0) AS n FROM byte_holds
           WHERE key <> ? AND (settled_seq IS NULL OR settled_seq > ?) ${jobId === undefined ? "" : "AND job_id = ?"}`,
          ...(jobId === undefined ? [r.key, r.ticket] : [r.key, r.ticket, jobId]),
        )
        .one().n;
    const used = r.user_used + held();
    const jobUsed = r.job_limit === undefined ? 0 : (r.job_used ?? 0) + held(r.job_id);
    const userRoom = r.quota - used;
    const jobRoom = r.job_limit === undefined ? Number.POSITIVE_INFINITY : r.job_limit - jobUsed;
    const bytes = Math.min(r.want, userRoom, jobRoom);
    const tighter = bytes === r.want ? null : userRoom <= jobRoom ? "quota" : "job";
    if (bytes <= 0 || (r.exact && tighter)) return { ok: false, limit: tighter ?? "quota", used, job_used: jobUsed };
    this.sql.exec(
      "INSERT OR REPLACE INTO byte_holds (key, job_id, bytes, expires_ms, settled_seq, settled_ms) VALUES (?, ?, ?, ?, NULL, NULL)",
      r.key,
      r.job_id,
      bytes,
      nowMs + BYTE_HOLD_MS,
    );
    return { ok: true, bytes, tighter, used, job_used: jobUsed };
  }

  /** The upload is stored and its row in D1 says so: its `bytes` count now only for tickets taken before. */
  async settleBytes(key: string, bytes: number, nowMs = Date.now()): Promise<void> {
    const seq = this.byteSeq() + 1;
    this.sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('byte_seq', ?)", String(seq));
    this.sql.exec("UPDATE byte_holds SET bytes = ?, settled_seq = ?, settled_ms = ? WHERE key = ?", bytes, seq, nowMs, key);
  }

  /** The upload failed or was refused: its hold goes. */
  async releaseBytes(key: string): Promise<void> {
    this.sql.exec("DELETE FROM byte_holds WHERE key = ?", key);
  }

  /** Where the user stands against the hourly job limit, nothing counted. */
  async rate(limit: number, nowMs = Date.now()): Promise<Admission> {
    return this.slide("admissions", HOUR_MS, limit, nowMs);
  }
}
