/**
 * A Gemini job's reservation as it runs. The plan holds the job's estimate; the model may use
 * more (a refusal or an unusable answer is paid for too, a retry reads the text again, the
 * real tokenizer is not ours). So before a worker takes a chunk, what the run has used plus
 * the estimates of the chunks in flight must be held: when it is not, the job reserves more
 * (the rest of its chunks at their estimate, or at least what is in flight), and when the
 * account cannot cover even that, the job stops with `insufficient_credits`, its finished
 * pages kept. A chunk is never started without credits held for it.
 */
import { millisFor, toCredits } from "../../credits/pricing";
import { creditAccount } from "../../credits/service";
import { billingKey } from "./billing";
import type { Meta } from "./types";

export type Funding = { ok: true } | { ok: false; message: string };

/**
 * Whether the run's reservation covers what it used and the chunks in flight (`pending`: the
 * token estimates of all pending chunks and of those a worker holds); reserves more when not.
 * Free engines, unbilled jobs and the local engine (billed at its estimate, never more) pass.
 */
export async function fund(env: Env, m: Meta, pending: { all: number; held: number }, save: (m: Meta) => void): Promise<Funding> {
  const b = m.billing;
  if (!b || b.rate <= 0 || b.engine !== "gemini" || m.held === undefined) return { ok: true };
  const used = millisFor(m.actual_tokens - (m.tokens_before_retry ?? 0), b.rate);
  const needed = used + millisFor(pending.held, b.rate);
  if (needed <= m.held) return { ok: true };
  const account = creditAccount(env, b.owner_id);
  const key = billingKey(m);
  // Enough for every chunk left, at its estimate; failing that, for the chunks in flight (asked once when they are the same).
  for (const target of new Set([used + millisFor(pending.all, b.rate), needed])) {
    const r = await account.reserve(key, target);
    if (r.ok) {
      m.held = target;
      save(m);
      return { ok: true };
    }
  }
  const { available } = await account.summary();
  return {
    ok: false,
    message:
      `The credits ran out while this book was read: going on needs about ${toCredits(needed - m.held)} more credits ` +
      `and ${toCredits(available)} are available. The pages done are kept; add credits, then retry the others.`,
  };
}
