// Small formatting helpers of the operator console.

/** "42 s", "3 min", "2 h 5 min", "3 d 4 h" */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** How long ago an instant was: "12 s ago". */
export const ago = (iso: string, now = Date.now()) => `${formatAge((now - Date.parse(iso)) / 1000)} ago`;

export function formatMs(ms: number | null | undefined): string {
  if (ms == null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export const num = (n: number | null | undefined) => (n == null ? "—" : n.toLocaleString());

/** Credits keep up to three decimals (they are thousandths in the ledger). */
export const credits = (n: number | null | undefined) => (n == null ? "—" : n.toLocaleString(undefined, { maximumFractionDigits: 3 }));

export const engineLabel = (engine: string | null, model: string | null) => (engine ? (model ? `${engine} · ${model}` : engine) : "—");

const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
export const formatTime = (iso: string | null | undefined) => (iso ? timeFmt.format(new Date(iso)) : "—");

/** A message made short enough for a table cell (the whole text goes in a title). */
export const clip = (s: string | null | undefined, n = 140) => (!s ? "" : s.length > n ? `${s.slice(0, n - 1)}…` : s);
