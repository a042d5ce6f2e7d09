/**
 * What can go wrong with a Gemini call, sorted by what the caller should do about it.
 * The queue consumer acts on `retryable` and `retryAfterSeconds`; the normalizer never
 * sleeps (a Worker must not), so every wait is a queue delay.
 */
export type GeminiErrorCode =
  /** 429, or our own rate limiter said no: wait, it is not the chunk's fault. */
  | "rate_limited"
  /** 5xx, a timeout or a dropped connection. */
  | "unavailable"
  | "bad_request"
  | "forbidden"
  | "model_not_found"
  /** The response was stopped or the prompt refused for safety. */
  | "safety"
  | "recitation"
  | "blocked"
  /** The model answered, but not JSON of the asked shape (after one retry). */
  | "malformed_output"
  /** A single sentence too long for the model's output, even alone. */
  | "too_long"
  /** The job was cancelled between two calls of one chunk. */
  | "cancelled";

const RETRYABLE: ReadonlySet<GeminiErrorCode> = new Set(["rate_limited", "unavailable"]);

export class GeminiError extends Error {
  readonly retryable: boolean;
  /** Tokens the chunk's requests used before this error (each request is billed, whatever its end). */
  tokens = 0;

  constructor(
    readonly code: GeminiErrorCode,
    message: string,
    /** The server's (or limiter's) own wait, when it gave one; else the caller backs off. */
    readonly retryAfterSeconds: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "GeminiError";
    this.retryable = RETRYABLE.has(code);
  }
}

/** google.protobuf.Duration in JSON: "12s", "1.5s", "0.250s". */
export function parseDuration(d: unknown): number | null {
  if (typeof d !== "string") return null;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(d.trim());
  return m ? Number(m[1]) : null;
}

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: Array<Record<string, unknown>> };
}

/** The `RetryInfo.retryDelay` of a Google API error body, in whole seconds (at least 1). */
export function retryDelayOf(body: GoogleErrorBody | null): number | null {
  for (const d of body?.error?.details ?? []) {
    if (String(d["@type"] ?? "").endsWith("google.rpc.RetryInfo")) {
      const s = parseDuration(d.retryDelay);
      if (s !== null) return Math.max(1, Math.ceil(s));
    }
  }
  return null;
}

/**
 * Turns an HTTP error of the API into a GeminiError. The SDK's ApiError carries the status
 * and the JSON error body, serialized, as its message.
 */
export function fromHttpError(status: number, rawMessage: string, model: string): GeminiError {
  let body: GoogleErrorBody | null = null;
  try {
    body = JSON.parse(rawMessage) as GoogleErrorBody;
  } catch {
    // Not JSON (a proxy's HTML page): keep the raw text.
  }
  const said = (body?.error?.message ?? rawMessage).slice(0, 300);
  const tag = body?.error?.status ? `${status} ${body.error.status}` : String(status);
  switch (status) {
    case 429:
      return new GeminiError("rate_limited", `Gemini rate limit (${tag}): ${said}`, retryDelayOf(body), status);
    case 408:
    case 500:
    case 502:
    case 503:
    case 504:
      return new GeminiError("unavailable", `Gemini unavailable (${tag}): ${said}`, retryDelayOf(body), status);
    case 401:
    case 403:
      return new GeminiError("forbidden", `Gemini refused the API key or project (${tag}): ${said}`, null, status);
    case 404:
      return new GeminiError("model_not_found", `Gemini model "${model}" was not found (${tag}): ${said}`, null, status);
    default:
      if (status >= 500) return new GeminiError("unavailable", `Gemini server error (${tag}): ${said}`, null, status);
      return new GeminiError("bad_request", `Gemini rejected the request (${tag}): ${said}`, null, status);
  }
}
