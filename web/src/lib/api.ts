import { session } from "./session.svelte";
import { createApi } from "../../../client";
import type { ApiError } from "../../../client/errors";

export { ok } from "../../../client";
export { ApiError, networkError, retryInfo, toApiError, type RetryInfo } from "../../../client/errors";

/**
 * The typed client of the API (client/index.ts), on this origin with the session cookie; a
 * 401 from any call means the session ended: the sign-in page is shown again.
 */
export const api = createApi({ onRefused: (status) => status === 401 && session.ended() });

/** An ended or expired session: show the sign-in page again. */
export function checkAuth(err: ApiError) {
  if (err.status === 401) session.ended();
}
