// The API's one error shape as a thrown value, for every user of the typed client (the web
// app and the CLI): `{"error": {"code", "message", "request_id", "field"?}}` and what a
// refusal's headers say about trying again.

/** What a refusal's headers say about when to try again (429: Retry-After and RateLimit-*). */
export interface RetryInfo {
  /** Seconds to wait (Retry-After, else RateLimit-Reset); null when the answer did not say. */
  retryAfterSeconds: number | null;
  /** RateLimit-Limit: how many the window allows; null when not sent. */
  limit: number | null;
}

/** The API's one error shape, `{"error": {"code", "message", "field"?}}`, as a thrown value. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retry: RetryInfo = { retryAfterSeconds: null, limit: null },
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The message without the API's "field: " prefix, for showing beside that field. */
  get plain(): string {
    const m = this.field && this.message.startsWith(`${this.field}: `) ? this.message.slice(this.field.length + 2) : this.message;
    return m.charAt(0).toUpperCase() + m.slice(1);
  }
}

export const networkError = () => new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");

/** A header's value as a whole number ≥ 0 (Retry-After in its seconds form), else null. */
function seconds(value: string | null | undefined): number | null {
  if (value == null || !/^\s*\d+\s*$/.test(value)) return null;
  return Number(value);
}

/** Reads Retry-After (or RateLimit-Reset) and RateLimit-Limit from an answer's headers. */
export function retryInfo(header: (name: string) => string | null): RetryInfo {
  return {
    retryAfterSeconds: seconds(header("Retry-After")) ?? seconds(header("RateLimit-Reset")),
    limit: seconds(header("RateLimit-Limit")),
  };
}

/**
 * Turns any error body into an ApiError, also when the body is not the API's JSON. `header`
 * reads the answer's headers, for the retry information a 429 carries.
 */
export function toApiError(status: number, body: unknown, header?: (name: string) => string | null): ApiError {
  const e = (body as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
  const retry = header ? retryInfo(header) : undefined;
  if (e?.message) return new ApiError(status, e.code ?? "error", e.message, e.field, retry);
  if (status === 413) return new ApiError(413, "file_too_large", "The file is too large.", "pdf_file");
  return new ApiError(status, "http_error", `The server answered ${status}. Please try again.`, undefined, retry);
}
