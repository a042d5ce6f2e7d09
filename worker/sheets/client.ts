import { ApiError } from "../core/errors";
import { accessToken } from "./oauth";
import { config } from "../core/config";

export const SHEETS_API = "https://sheets.googleapis.com";
/** Tries of one request on 429 and 5xx (Google asks for exponential backoff). */
const MAX_TRIES = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Sheets API v4 for one reader: their access token (refreshed once on a 401), retries with
 * exponential backoff and jitter on 429 and 5xx (RETRY_BASE_SECONDS × 250 ms × 2^n, or
 * Retry-After), and Google's error message in a 502 `sheets_error` when it still fails.
 */
export class SheetsClient {
  private token: string | null = null;

  constructor(
    private readonly env: Env,
    private readonly userId: string,
    private readonly returnTo?: string,
  ) {}

  private base() {
    return (this.env.GOOGLE_SHEETS_API_URL || SHEETS_API).replace(/\/+$/, "");
  }

  async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const baseMs = config(this.env).RETRY_BASE_SECONDS * 250;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      this.token ??= await accessToken(this.env, this.userId, { returnTo: this.returnTo });
      let res: Response | null = null;
      try {
        res = await fetch(`${this.base()}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        console.warn(JSON.stringify({ msg: "sheets request failed", path, err: String(err) }));
      }
      if (res?.ok) return (await res.json()) as T;
      if (res?.status === 401 && !refreshed) {
        // The access token expired or was revoked early: a new one, once.
        refreshed = true;
        await res.body?.cancel();
        this.token = await accessToken(this.env, this.userId, { force: true, returnTo: this.returnTo });
        continue;
      }
      const retriable = !res || res.status === 429 || res.status >= 500;
      if (retriable && attempt + 1 < MAX_TRIES) {
        const after = Number(res?.headers.get("retry-after"));
        await res?.body?.cancel();
        const wait =
          Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 30_000) : baseMs * 2 ** attempt * (1 + Math.random() * 0.25);
        await sleep(wait);
        continue;
      }
      throw new ApiError(
        502,
        "sheets_error",
        `Google Sheets refused the export: ${res ? await googleMessage(res) : "Google Sheets could not be reached."}`,
      );
    }
  }
}

async function googleMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const j = JSON.parse(text) as { error?: { message?: string; status?: string } };
    if (j.error?.message) return j.error.message;
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}`;
}
