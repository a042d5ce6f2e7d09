import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERRORS, type ErrorCode, type ErrorStatus } from "../../schema/errors";

export type { ErrorCode };

/**
 * The one error the API throws on purpose; `app.onError` renders it as
 * `{"error": {"code", "message", "request_id", "field"?}}`. Its code is one of the registry's
 * (schema/errors.ts) and its status the one the registry gives that code: anything else does not
 * compile.
 */
export class ApiError<C extends ErrorCode = ErrorCode> extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    status: ErrorStatus<C>,
    readonly code: C,
    message: string,
    readonly field?: string,
    /** More for the client, e.g. `connect_url` (only names the error schema documents). */
    readonly extra?: { connect_url?: string },
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status as ContentfulStatusCode;
  }
}

/** An ApiError for a registry code known only at run time, with the registry's status. */
export function apiErrorFor<C extends ErrorCode>(code: C, message: string, field?: string): ApiError<C> {
  return new ApiError(ERRORS[code].status as ErrorStatus<C>, code, message, field);
}
