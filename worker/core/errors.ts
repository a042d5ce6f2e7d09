import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The one error the API throws on purpose; `app.onError` renders it as
 *  `{"error": {"code", "message", "request_id", "field"?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** More for the client, e.g. `connect_url` (only names the error schema documents). */
    readonly extra?: { connect_url?: string },
  ) {
    super(message);
    this.name = "ApiError";
  }
}
