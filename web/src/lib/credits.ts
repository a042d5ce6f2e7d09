import { api, ok } from "./api";
import { isFinalStatus, type Credits, type Job, type LedgerEntry, type LedgerPage, type Limits } from "./types";

export const getCredits = (): Promise<Credits> => ok(api.GET("/api/v1/credits"));

export const getLimits = (): Promise<Limits> => ok(api.GET("/api/v1/limits"));

export function getLedger(limit: number, cursor?: string | null): Promise<LedgerPage> {
  return ok(api.GET("/api/v1/credits/ledger", { params: { query: { limit, ...(cursor ? { cursor } : {}) } } }));
}

const creditFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

/** "20", "4.2", "0.375": credits as the API counts them (3 decimals at most). */
export const formatCredits = (n: number) => creditFmt.format(n);

/** "+20" or "−5.2" (a true minus sign, read as "minus"). */
export const formatSigned = (n: number) => (n > 0 ? `+${formatCredits(n)}` : n < 0 ? `−${formatCredits(-n)}` : "0");

/** "1 credit", "4.2 credits" */
export const creditsWord = (n: number) => `${formatCredits(n)} ${n === 1 ? "credit" : "credits"}`;

/** A ledger line's kind in words, and the credits column for it. */
export function describeEntry(e: LedgerEntry): { what: string; amount: string; detail: string | null } {
  switch (e.kind) {
    case "grant":
      return e.note === "monthly allowance"
        ? { what: "Monthly allowance", amount: formatSigned(e.credits), detail: null }
        : { what: "Credits added", amount: formatSigned(e.credits), detail: e.note };
    case "reserve":
      // The note of a replaced hold counts millicredits: not shown, the words say it.
      return {
        what: e.note?.startsWith("replaces") ? "Hold updated for a job" : "Held for a job",
        amount: `${formatCredits(e.credits)} held`,
        detail: null,
      };
    case "settle":
      return {
        what: "Charged for a job",
        amount: formatSigned(e.credits),
        detail: e.note?.startsWith("used") ? "all that was available" : null,
      };
    case "release":
      return { what: "Hold given back", amount: `${formatCredits(e.credits)} freed`, detail: e.note };
    case "expire":
      return { what: "Unused allowance expired", amount: formatSigned(e.credits), detail: null };
    default:
      return { what: String(e.kind), amount: formatCredits(e.credits), detail: e.note };
  }
}

/** Credits held ahead of an upload (POST /api/v1/credits/reserve) whose file never came: the only jobs without a name. */
export const isReservation = (job: Pick<Job, "original_filename" | "status">) => job.status === "reserved" || !job.original_filename;

/** A reservation has no file name: this stands in for it. */
export const jobName = (job: Pick<Job, "original_filename" | "status">) =>
  job.original_filename || (job.status === "reserved" ? "Reserved upload (no file yet)" : "Reservation (no file sent)");

/**
 * A job's credits in words, for "Credits: …": "free", "~4.2 estimated · 3.9 charged", or
 * null for a job priced before credits existed.
 */
export function jobCreditsText(job: Job): string | null {
  if (job.pricing_rate == null) return null;
  if (job.pricing_rate === 0) return "free";
  const parts: string[] = [];
  if (job.estimated_credits != null)
    parts.push(`~${formatCredits(job.estimated_credits)} ${job.status === "reserved" ? "held" : "estimated"}`);
  if (job.actual_credits != null) parts.push(`${formatCredits(job.actual_credits)} charged`);
  // A reservation that ended without its file was given back whole.
  else if (isFinalStatus(job.status) && isReservation(job) && parts.length) parts.push("nothing charged");
  if (parts.length) return parts.join(" · ");
  return isFinalStatus(job.status) ? null : "estimated once the book is read";
}

/** The short form for a list: "3.9 credits" (charged), "~4.2 credits" (estimated), "5 credits held", "free". */
export function jobCreditsShort(job: Job): string | null {
  if (job.pricing_rate == null) return null;
  if (job.pricing_rate === 0) return "free";
  if (job.status === "reserved" && job.estimated_credits != null) return `${creditsWord(job.estimated_credits)} held`;
  if (job.actual_credits != null) return creditsWord(job.actual_credits);
  if (isFinalStatus(job.status) && isReservation(job)) return "nothing charged";
  if (job.estimated_credits != null) return `~${creditsWord(job.estimated_credits)}`;
  return null;
}

/** "in 12 minutes", "in 40 seconds", "in 1 hour 5 minutes"; "in a little while" when unknown. */
export function formatWait(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "in a little while";
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `in ${s} ${s === 1 ? "second" : "seconds"}`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `in ${min} ${min === 1 ? "minute" : "minutes"}`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  return `in ${h} ${h === 1 ? "hour" : "hours"}${rest ? ` ${rest} ${rest === 1 ? "minute" : "minutes"}` : ""}`;
}

/** "12.3 MB", "500 MB", "1.2 GB": sizes for a quota, without trailing zeros. */
export function formatSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 || n >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(n)} ${units[i]}`;
}

const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });
/** "25 December 2026" (the reader's locale). */
export const formatDay = (iso: string) => dayFmt.format(new Date(iso));
