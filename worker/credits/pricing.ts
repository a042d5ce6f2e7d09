/**
 * What a job costs: credits per 1,000 tokens by engine or model (`CREDIT_PRICES`). Credits
 * are kept as integer millicredits everywhere money moves, so sums never drift.
 */

export const DEFAULT_PRICES: Readonly<Record<string, number>> = {
  local: 0,
  "gemini-2.5-flash": 1,
  "gemini-2.5-flash-lite": 0.4,
  "gemini-2.5-pro": 4,
};

export interface Pricing {
  prices: Record<string, number>;
  /** Changes whenever a price does: recorded on every job. */
  version: string;
}

/** FNV-1a, enough to tell price lists apart (not a security boundary). */
function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export class PricingError extends Error {}

/** The configured prices; a broken CREDIT_PRICES is an operator's mistake, said plainly. */
export function parsePricing(raw: string | undefined): Pricing {
  let prices: Record<string, number> = { ...DEFAULT_PRICES };
  if (raw?.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new PricingError("CREDIT_PRICES is not valid JSON.");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new PricingError("CREDIT_PRICES must be a JSON object.");
    prices = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new PricingError(`CREDIT_PRICES.${k} must be a number ≥ 0.`);
      prices[k] = v;
    }
  }
  const canonical = JSON.stringify(
    Object.keys(prices)
      .sort()
      .map((k) => [k, prices[k]]),
  );
  return { prices, version: `p-${fingerprint(canonical)}` };
}

/**
 * Credits per 1,000 tokens for a job: its model's price, else its engine's, else (a model
 * allowed in GEMINI_MODELS that nobody priced) the dearest configured price: never less.
 */
export function rateFor(pricing: Pricing, engine: "local" | "gemini", model: string | null): number {
  const byModel = model ? pricing.prices[model] : undefined;
  const rate = byModel ?? pricing.prices[engine];
  if (rate !== undefined) return rate;
  if (engine === "local") throw new PricingError("CREDIT_PRICES has no price for the local engine.");
  return Math.max(0, ...Object.values(pricing.prices));
}

/** Millicredits for `tokens` at `rate` credits per 1,000 tokens, rounded up. */
export function millisFor(tokens: number, rate: number): number {
  if (tokens <= 0 || rate <= 0) return 0;
  // rate credits / 1000 tokens = rate millicredits per token
  return Math.ceil(tokens * rate - 1e-9);
}

/** For answers: credits with three decimals at most. */
export const toCredits = (millis: number) => Math.round(millis) / 1000;
export const toMillis = (credits: number) => Math.round(credits * 1000);
