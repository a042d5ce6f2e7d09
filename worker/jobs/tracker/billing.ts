/**
 * A job's credits: its estimate held before any work (the job's and each retry's, each on its
 * own ledger key), and what it used paid for when the run ends, the rest given back.
 */
import { millisFor, toCredits } from "../../credits/pricing";
import { creditAccount } from "../../credits/service";
import { addToCounter } from "../../ops/state";
import type { Meta } from "./types";

/** The ledger key of a job's current run: the job id, then one per retry. */
export const billingKey = (m: Pick<Meta, "job_id" | "retries">) => (m.retries ? `${m.job_id}#retry-${m.retries}` : m.job_id);

export type Held = { ok: true; estimated: number } | { ok: false; estimated: number; code: "insufficient_credits"; message: string };

/** Holds the job's estimate (nothing for a free engine or an unbilled job). */
export async function reserveJob(env: Env, m: Meta, estimatedTokens: number): Promise<Held> {
  const estimated = m.billing ? millisFor(estimatedTokens, m.billing.rate) : 0;
  if (!m.billing || m.billing.rate <= 0) return { ok: true, estimated };
  const r = await creditAccount(env, m.billing.owner_id).reserve(m.job_id, estimated);
  if (r.ok) return { ok: true, estimated };
  const available = r.reason === "insufficient" ? r.available : 0;
  return {
    ok: false,
    estimated,
    code: "insufficient_credits",
    message: `Not enough credits for this book: it needs about ${toCredits(estimated)} credits and ${toCredits(available)} are available.`,
  };
}

/** Holds a retry's estimate (its chunks' token estimates) under the retry's ledger key. */
export async function reserveRetry(env: Env, m: Meta, retries: number, estTokens: number): Promise<Held> {
  if (!m.billing || m.billing.rate <= 0) return { ok: true, estimated: 0 };
  const estimate = millisFor(estTokens, m.billing.rate);
  const r = await creditAccount(env, m.billing.owner_id).reserve(billingKey({ job_id: m.job_id, retries }), estimate);
  if (r.ok) return { ok: true, estimated: estimate };
  const available = r.reason === "insufficient" ? r.available : 0;
  return {
    ok: false,
    estimated: estimate,
    code: "insufficient_credits",
    message: `Not enough credits to retry: it needs about ${toCredits(estimate)} credits and ${toCredits(available)} are available.`,
  };
}

/**
 * Pays for what was used, whatever the end: the model's tokens (Gemini), or the token
 * estimate of the chunks done (the local engine); the rest of the reservation goes back.
 * Returns the millicredits charged so far (null: not billed); `save` keeps `m.charged`.
 */
export async function settle(
  env: Env,
  m: Meta,
  done: { n: number; est_tokens: number }[],
  save: (m: Meta) => void,
): Promise<number | null> {
  if (!m.billing) return null;
  // A free engine holds nothing and owes nothing: no call to the account at all.
  if (m.billing.rate <= 0) return m.charged ?? 0;
  // A retry pays only for the chunks it ran, under its own ledger key.
  const only = m.retries ? (m.retry_chunks ?? []) : null;
  const doneTokens = done.filter((r) => !only || only.includes(r.n)).reduce((sum, r) => sum + r.est_tokens, 0);
  const tokens = m.billing.engine === "local" ? doneTokens : m.actual_tokens - (m.tokens_before_retry ?? 0);
  const { charged } = await creditAccount(env, m.billing.owner_id).settle(billingKey(m), millisFor(tokens, m.billing.rate));
  m.charged = (m.charged ?? 0) + charged;
  save(m);
  await addToCounter(env, "credits_charged_millis", charged).catch(() => undefined);
  return m.charged;
}
