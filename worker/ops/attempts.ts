import { chunkAttempts } from "../../schema/db";
import { GeminiError } from "../pipeline/gemini-errors";
import { PipelineError } from "../pipeline/errors";
import { db } from "../jobs/db";

export type Outcome = "done" | "retry" | "deferred" | "failed";

export interface Attempt {
  job_id: string;
  chunk: number;
  attempt: number;
  engine: string;
  model: string | null;
  pages: number;
  started_ms: number;
  tokens: number;
  outcome: Outcome;
  error_class?: string | null;
  error_message?: string | null;
}

/**
 * The class of a failure, for grouping: Gemini's own codes (rate_limited, unavailable,
 * safety, malformed_output, …), the pipeline's (invalid_pdf, …), or "internal".
 */
export function errorClass(err: unknown): string {
  if (err instanceof GeminiError) return err.code;
  if (err instanceof PipelineError) return err.code;
  return "internal";
}

/** Stores one attempt; a failure to record never fails the work itself. */
export async function recordAttempt(env: Env, a: Attempt): Promise<void> {
  try {
    await db(env.DB)
      .insert(chunkAttempts)
      .values({
        job_id: a.job_id,
        chunk: a.chunk,
        attempt: a.attempt,
        engine: a.engine,
        model: a.model,
        pages: a.pages,
        started_at: new Date(a.started_ms).toISOString(),
        latency_ms: Math.max(0, Date.now() - a.started_ms),
        tokens: a.tokens,
        outcome: a.outcome,
        error_class: a.error_class ?? null,
        error_message: a.error_message?.slice(0, 500) ?? null,
      });
  } catch (err) {
    console.warn(JSON.stringify({ msg: "could not record a chunk attempt", job_id: a.job_id, chunk: a.chunk, err: String(err) }));
  }
}
