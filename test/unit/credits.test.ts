import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addMonth, Ledger, newLedgerState, type Entry } from "../../worker/credits/ledger";
import { DEFAULT_PRICES, millisFor, parsePricing, PricingError, rateFor, toCredits } from "../../worker/credits/pricing";

const T0 = "2026-01-31T10:00:00.000Z";

/** A ledger whose first period has begun, with what closed jobs were charged. */
function fresh(monthly = 2_000_000, now = T0) {
  const settled = new Map<string, number>();
  const l = new Ledger(newLedgerState(monthly, now), (id) => settled.get(id));
  const entries = l.renew(now);
  return { l, settled, entries };
}

describe("pricing", () => {
  it("defaults, parses and versions CREDIT_PRICES", () => {
    const d = parsePricing("");
    expect(d.prices).toEqual(DEFAULT_PRICES);
    expect(d.version).toMatch(/^p-[0-9a-f]{8}$/);
    const same = parsePricing(JSON.stringify({ "gemini-2.5-pro": 4, local: 0, "gemini-2.5-flash-lite": 0.4, "gemini-2.5-flash": 1 }));
    expect(same.version).toBe(d.version); // order does not matter
    expect(parsePricing(JSON.stringify({ ...DEFAULT_PRICES, local: 0.5 })).version).not.toBe(d.version);
    for (const bad of ["{", "[]", '{"local": -1}', '{"local": "1"}']) expect(() => parsePricing(bad)).toThrow(PricingError);
  });

  it("prices by model first, then by engine", () => {
    const p = parsePricing(JSON.stringify({ local: 0.1, gemini: 2, "gemini-2.5-pro": 4 }));
    expect(rateFor(p, "local", null)).toBe(0.1);
    expect(rateFor(p, "gemini", "gemini-2.5-pro")).toBe(4);
    expect(rateFor(p, "gemini", "gemini-2.5-flash")).toBe(2);
    // A model nobody priced costs the dearest price listed, never less.
    expect(rateFor(parsePricing('{"local": 0, "gemini-2.5-pro": 4, "gemini-2.5-flash": 1}'), "gemini", "gemini-3-flash")).toBe(4);
    expect(() => rateFor(parsePricing('{"gemini": 1}'), "local", null)).toThrow(PricingError);
  });

  it("counts millicredits, rounded up, and shows credits", () => {
    expect(millisFor(1000, 1)).toBe(1000);
    expect(millisFor(1234, 0.4)).toBe(494); // 493.6 → 494
    expect(millisFor(1, 0.4)).toBe(1);
    expect(millisFor(5000, 0)).toBe(0);
    expect(millisFor(0, 4)).toBe(0);
    expect(toCredits(494)).toBe(0.494);
  });
});

describe("months", () => {
  it("adds a calendar month, clamping to the month's end", () => {
    expect(addMonth("2026-01-31T10:00:00.000Z")).toBe("2026-02-28T10:00:00.000Z");
    expect(addMonth("2028-01-31T10:00:00.000Z")).toBe("2028-02-29T10:00:00.000Z");
    expect(addMonth("2026-12-15T00:00:00.000Z")).toBe("2027-01-15T00:00:00.000Z");
  });
});

describe("the ledger", () => {
  it("grants the allowance at the start, reserves, settles at use and releases the rest", () => {
    const { l, entries } = fresh();
    expect(entries.map((e) => e.kind)).toEqual(["grant"]);
    expect(l.balance).toBe(2_000_000);
    const r = l.reserve("job1", 30_000, null, T0);
    expect(r.ok).toBe(true);
    expect([l.balance, l.reserved, l.available]).toEqual([2_000_000, 30_000, 1_970_000]);
    const s = l.settle("job1", 12_345, T0);
    expect(s.charged).toBe(12_345);
    expect(s.entries.map((e) => [e.kind, e.amount])).toEqual([
      ["settle", -12_345],
      ["release", 17_655],
    ]);
    expect([l.balance, l.reserved, l.available]).toEqual([1_987_655, 0, 1_987_655]);
  });

  it("refuses a reservation beyond what is available, saying how much is needed and there", () => {
    const { l } = fresh(10_000);
    expect(l.reserve("a", 8_000, null, T0).ok).toBe(true);
    expect(l.reserve("b", 3_000, null, T0)).toEqual({ ok: false, reason: "insufficient", needed: 3_000, available: 2_000 });
    // A job's new estimate replaces its own reservation: what it holds counts as available to it.
    expect(l.reserve("a", 9_500, null, T0).ok).toBe(true);
    expect(l.reserved).toBe(9_500);
  });

  it("never charges more than the job held plus what is available", () => {
    const { l, settled } = fresh(10_000);
    l.reserve("a", 4_000, null, T0);
    l.reserve("b", 5_000, null, T0);
    const s = l.settle("a", 8_000, T0); // used twice its estimate
    expect(s.charged).toBe(5_000); // its 4,000 + the 1,000 available; b's hold is untouched
    settled.set("a", s.charged);
    expect(l.available).toBe(0);
    expect(l.balance).toBe(5_000);
    expect(l.settle("a", 8_000, T0)).toEqual({ charged: 5_000, entries: [] }); // twice = once
    expect(l.reserve("a", 1, null, T0)).toEqual({ ok: false, reason: "closed" });
  });

  it("spends the allowance before operator grants, and expires only the allowance", () => {
    const { l } = fresh(10_000);
    l.grant(5_000, "goodwill", T0);
    l.reserve("a", 12_000, null, T0);
    l.settle("a", 12_000, T0);
    expect([l.state.allowance, l.state.bonus]).toEqual([0, 3_000]);
    const next = l.renew(addMonth(T0));
    expect(next.map((e) => e.kind)).toEqual(["grant"]); // nothing left of the old allowance to expire
    expect(l.balance).toBe(13_000);
    l.reserve("b", 1_000, null, addMonth(T0));
    l.settle("b", 1_000, addMonth(T0));
    const later = l.renew("2026-04-30T00:00:00.000Z");
    expect(later.map((e) => [e.kind, e.amount])).toEqual([
      ["expire", -9_000],
      ["grant", 10_000],
    ]);
    // Periods skipped while nobody looked are caught up: the current one contains now.
    expect(l.state.period_start).toBe("2026-04-28T10:00:00.000Z");
    expect(l.state.period_end).toBe("2026-05-28T10:00:00.000Z");
    expect(l.balance).toBe(13_000);
  });

  it("lets reservations made ahead of an upload lapse", () => {
    const { l } = fresh();
    l.reserve("early", 1_000, "2026-01-31T10:30:00.000Z", T0);
    l.reserve("held", 2_000, null, T0);
    expect(l.expireReservations("2026-01-31T10:29:00.000Z").jobs).toEqual([]);
    const r = l.expireReservations("2026-01-31T10:31:00.000Z");
    expect(r.jobs).toEqual(["early"]);
    expect(r.entries.map((e) => [e.kind, e.amount, e.job_id])).toEqual([["release", 1_000, "early"]]);
    expect(l.reserved).toBe(2_000);
  });

  it("keeps its invariants under any sequence of reserve, settle, release, grant and renewal", () => {
    type Op =
      | { t: "reserve"; job: number; amount: number }
      | { t: "settle"; job: number; charge: number }
      | { t: "release"; job: number }
      | { t: "grant"; amount: number }
      | { t: "month" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant("reserve" as const), job: fc.nat(12), amount: fc.nat(6_000) }),
      fc.record({ t: fc.constant("settle" as const), job: fc.nat(12), charge: fc.nat(9_000) }),
      fc.record({ t: fc.constant("release" as const), job: fc.nat(12) }),
      fc.record({ t: fc.constant("grant" as const), amount: fc.integer({ min: 1, max: 4_000 }) }),
      fc.record({ t: fc.constant("month" as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.array(op, { maxLength: 80 }), (monthly, ops) => {
        const { l, settled, entries: log } = fresh(monthly);
        let now = T0;
        for (const o of ops) {
          let entries: Entry[] = [];
          if (o.t === "reserve") {
            const before = l.available + (l.state.reservations[`j${o.job}`]?.amount ?? 0);
            const r = l.reserve(`j${o.job}`, o.amount, null, now);
            if (r.ok) entries = r.entries;
            // Refused exactly when it would not fit (or the job is closed).
            expect(r.ok).toBe(o.amount <= before && !settled.has(`j${o.job}`));
          } else if (o.t === "settle") {
            const s = l.settle(`j${o.job}`, o.charge, now);
            if (!settled.has(`j${o.job}`)) settled.set(`j${o.job}`, s.charged);
            expect(s.charged).toBe(settled.get(`j${o.job}`));
            entries = s.entries;
          } else if (o.t === "release") {
            entries = l.release(`j${o.job}`, "test", now);
          } else if (o.t === "grant") {
            entries = l.grant(o.amount, null, now);
          } else {
            now = addMonth(now);
            entries = l.renew(now);
          }
          log.push(...entries);
          // The invariants, after every step.
          expect(l.balance).toBeGreaterThanOrEqual(0);
          expect(l.available).toBeGreaterThanOrEqual(0);
          expect(l.state.allowance).toBeGreaterThanOrEqual(0);
          expect(l.state.bonus).toBeGreaterThanOrEqual(0);
          const moved = log.filter((e) => e.kind === "grant" || e.kind === "settle" || e.kind === "expire");
          expect(moved.reduce((s, e) => s + e.amount, 0)).toBe(l.balance); // granted − settled − expired
          expect(l.reserved).toBe(Object.values(l.state.reservations).reduce((s, r) => s + r.amount, 0));
          for (const e of entries) expect(e.balance_after - e.reserved_after).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
