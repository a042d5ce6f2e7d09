import { session } from "./session.svelte";

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

export const networkError = () =>
  new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");

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

/** An ended or expired session: show the sign-in page again. */
export function checkAuth(err: ApiError) {
  if (err.status === 401) session.ended();
}

export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    // The session cookie goes along by itself (same origin); no credential is handled here.
    res = await fetch(path, init);
  } catch {
    throw networkError();
  }
  if (!res.ok) {
    const err = toApiError(res.status, await res.json().catch(() => null), (n) => res.headers.get(n));
    checkAuth(err);
    throw err;
  }
  return res;
}

export async function apiJson<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const res = await apiFetch(
    path,
    json === undefined ? rest : { ...rest, body: JSON.stringify(json), headers: { "content-type": "application/json", ...(rest.headers as Record<string, string>) } },
  );
  return (res.status === 204 ? undefined : await res.json()) as T;
}
