import { GeminiError } from "../pipeline/gemini-errors";
import { PipelineError } from "../pipeline/errors";

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

/**
 * Stores one attempt; a failure to record never fails the work itself. Only while the job
 * exists: an attempt that ends after its job was deleted leaves no row with the job's id.
 */
export async function recordAttempt(env: Env, a: Attempt): Promise<void> {
  try {
    await env.DB.prepare(
      `INSERT INTO chunk_attempts (job_id, chunk, attempt, engine, model, pages, started_at, latency_ms, tokens, outcome, error_class, error_message)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1)`,
    )
      .bind(
        a.job_id,
        a.chunk,
        a.attempt,
        a.engine,
        a.model,
        a.pages,
        new Date(a.started_ms).toISOString(),
        Math.max(0, Date.now() - a.started_ms),
        a.tokens,
        a.outcome,
        a.error_class ?? null,
        a.error_message?.slice(0, 500) ?? null,
      )
      .run();
  } catch (err) {
    console.warn(JSON.stringify({ msg: "could not record a chunk attempt", job_id: a.job_id, chunk: a.chunk, err: String(err) }));
  }
}
