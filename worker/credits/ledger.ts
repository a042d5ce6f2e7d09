/**
 * The arithmetic of one user's credits, with no storage: the CreditAccount Durable Object
 * (the single writer of a balance) runs it and persists what it returns; tests drive it
 * directly. All amounts are integer millicredits.
 *
 *   balance   = granted − settled − expired
 *   reserved  = the sum of active reservations
 *   available = balance − reserved        (never below zero)
 *
 * The monthly allowance is spent first and expires at the end of its period (except what a
 * running job holds); operator grants ("bonus") do not expire.
 */

export type EntryKind = "grant" | "reserve" | "settle" | "release" | "expire";

export interface Entry {
  kind: EntryKind;
  /** Signed effect on the balance for grant (+), settle (−) and expire (−); for reserve and
   *  release, the amount reserved or released (the balance does not move). */
  amount: number;
  job_id: string | null;
  note: string | null;
  balance_after: number;
  reserved_after: number;
  at: string;
}

export interface Reservation {
  amount: number;
  /** A reservation made ahead of an upload lapses then (null: held until the job ends). */
  expires_at: string | null;
}

export interface LedgerState {
  /** What is left of this period's allowance. */
  allowance: number;
  /** Operator grants, spent after the allowance. */
  bonus: number;
  /** The allowance granted at each renewal. */
  monthly: number;
  period_start: string;
  period_end: string;
  reservations: Record<string, Reservation>;
}

export type ReserveResult =
  | { ok: true; entries: Entry[]; reserved: number }
  | { ok: false; reason: "insufficient"; needed: number; available: number }
  | { ok: false; reason: "closed" };

/** The same day of the next month, clamped (31 Jan → 28/29 Feb), in UTC. */
export function addMonth(iso: string): string {
  const d = new Date(iso);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const next = new Date(d);
  next.setUTCDate(1);
  next.setUTCFullYear(y, m, Math.min(d.getUTCDate(), last));
  return next.toISOString();
}

export function newLedgerState(monthly: number, now: string): LedgerState {
  return { allowance: 0, bonus: 0, monthly, period_start: now, period_end: now, reservations: {} };
}

export class Ledger {
  constructor(
    readonly state: LedgerState,
    /** What a job was charged when it was settled, or undefined if it never was. */
    private readonly settledCharge: (jobId: string) => number | undefined = () => undefined,
  ) {}

  get balance() {
    return this.state.allowance + this.state.bonus;
  }

  get reserved() {
    return Object.values(this.state.reservations).reduce((s, r) => s + r.amount, 0);
  }

  get available() {
    return this.balance - this.reserved;
  }

  private entry(kind: EntryKind, amount: number, jobId: string | null, note: string | null, at: string): Entry {
    return { kind, amount, job_id: jobId, note, balance_after: this.balance, reserved_after: this.reserved, at };
  }

  /**
   * Starts the periods that have begun by `now`: what is left of the old allowance expires,
   * the new one is granted. `monthly` is the allowance from now on (config may change it).
   */
  renew(now: string, monthly = this.state.monthly): Entry[] {
    const out: Entry[] = [];
    if (now < this.state.period_end) return out;
    // What running jobs hold stays theirs (drawn from the allowance first); the rest expires.
    const unused = Math.max(0, this.state.allowance - this.reserved);
    if (unused > 0) {
      this.state.allowance -= unused;
      out.push(this.entry("expire", -unused, null, "unused monthly allowance", now));
    }
    let start = this.state.period_end;
    while (addMonth(start) <= now) start = addMonth(start);
    this.state.period_start = start;
    this.state.period_end = addMonth(start);
    this.state.monthly = monthly;
    this.state.allowance += monthly;
    if (monthly > 0) out.push(this.entry("grant", monthly, null, "monthly allowance", now));
    return out;
  }

  /** An operator's grant (not expiring). */
  grant(amount: number, note: string | null, now: string): Entry[] {
    if (!Number.isInteger(amount) || amount <= 0) throw new RangeError("a grant is a positive whole number of millicredits");
    this.state.bonus += amount;
    return [this.entry("grant", amount, null, note, now)];
  }

  /**
   * Holds `amount` for a job. A job that holds a reservation already has it replaced (the
   * plan's estimate replacing the client's); either way, only if the credits are there.
   */
  reserve(jobId: string, amount: number, expiresAt: string | null, now: string): ReserveResult {
    if (!Number.isInteger(amount) || amount < 0) throw new RangeError("a reservation is a whole number of millicredits ≥ 0");
    if (this.settledCharge(jobId) !== undefined) return { ok: false, reason: "closed" };
    const held = this.state.reservations[jobId]?.amount ?? 0;
    const available = this.available + held;
    if (amount > available) return { ok: false, reason: "insufficient", needed: amount, available };
    this.state.reservations[jobId] = { amount, expires_at: expiresAt };
    const note = held > 0 ? `replaces a reservation of ${held / 1000} credits` : null;
    return { ok: true, reserved: amount, entries: [this.entry("reserve", amount, jobId, note, now)] };
  }

  /**
   * Ends a job's reservation with a charge for what it used. The charge never takes the
   * balance (or what others hold) below zero: at most the job's reservation plus what is
   * available. Settling twice charges once.
   */
  settle(jobId: string, charge: number, now: string): { charged: number; entries: Entry[] } {
    const before = this.settledCharge(jobId);
    if (before !== undefined) return { charged: before, entries: [] };
    const held = this.state.reservations[jobId]?.amount ?? 0;
    const cap = held + this.available;
    const charged = Math.max(0, Math.min(Math.round(charge), cap));
    delete this.state.reservations[jobId];
    const fromAllowance = Math.min(charged, this.state.allowance);
    this.state.allowance -= fromAllowance;
    this.state.bonus -= charged - fromAllowance;
    const entries: Entry[] = [];
    const note = charged < charge ? `used ${Math.round(charge) / 1000} credits, charged what was available` : null;
    if (charged > 0) entries.push(this.entry("settle", -charged, jobId, note, now));
    if (held > charged) entries.push(this.entry("release", held - charged, jobId, "unused part of the reservation", now));
    return { charged, entries };
  }

  /** Gives a reservation back without a charge (a job that never started). */
  release(jobId: string, note: string, now: string): Entry[] {
    const r = this.state.reservations[jobId];
    if (!r) return [];
    delete this.state.reservations[jobId];
    return [this.entry("release", r.amount, jobId, note, now)];
  }

  /** Releases reservations whose time ran out; returns their job ids with the entries. */
  expireReservations(now: string): { jobs: string[]; entries: Entry[] } {
    const jobs: string[] = [];
    const entries: Entry[] = [];
    for (const [jobId, r] of Object.entries(this.state.reservations)) {
      if (r.expires_at && r.expires_at <= now) {
        jobs.push(jobId);
        entries.push(...this.release(jobId, "reservation expired unused", now));
      }
    }
    return { jobs, entries };
  }
}
