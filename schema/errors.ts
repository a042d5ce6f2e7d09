/**
 * Every error code the API answers with, its HTTP status and a title: the one registry that
 * `ApiError` (worker/core/errors.ts) is typed by — a code not listed here, or thrown with another
 * status, does not compile — and that the OpenAPI document lists (the `Error` schema's `code`).
 * A route's own description of when it answers a code stays with the route.
 */
export const ERRORS = {
  // 400
  invalid_field: { status: 400, title: "A field is invalid (`field` names it)" },
  invalid_json: { status: 400, title: "The body is not JSON" },
  invalid_cursor: { status: 400, title: "The paging cursor is not one this API gave" },
  invalid_part: { status: 400, title: "A part of a book is not what its job expects" },
  empty_file: { status: 400, title: "The file is empty" },
  missing_file: { status: 400, title: "No file was sent" },
  mixed_files: { status: 400, title: "A PDF and page images were sent together" },
  unexpected_file: { status: 400, title: "A file came in a field that takes none" },
  field_too_large: { status: 400, title: "A form field is too long" },
  malformed_upload: { status: 400, title: "The body is not valid multipart/form-data" },
  not_a_session: { status: 400, title: "An API key does not sign out" },
  confirmation_mismatch: { status: 400, title: "The confirmation is not the account's email" },
  empty_list: { status: 400, title: "The word list has no word" },
  // 401, 402, 403
  unauthorized: { status: 401, title: "No credential, or an unknown, revoked or expired one" },
  insufficient_credits: { status: 402, title: "Not enough credits" },
  forbidden: { status: 403, title: "Operators only" },
  forbidden_origin: { status: 403, title: "A session's request from another site" },
  session_required: { status: 403, title: "A browser session is needed, not an API key" },
  read_only: { status: 403, title: "This account can only read" },
  // 404, 409, 410
  not_found: { status: 404, title: "No such thing of yours" },
  job_not_finished: { status: 409, title: "The job has not finished" },
  job_not_ready: { status: 409, title: "The job is not ready for this" },
  job_not_reserved: { status: 409, title: "The job holds no reservation" },
  job_not_uploading: { status: 409, title: "The job takes no more parts" },
  job_not_rerunnable: { status: 409, title: "The job has no whole book to process again" },
  job_has_edits: { status: 409, title: "The job has corrected sentences a retry would renumber" },
  not_retryable: { status: 409, title: "Nothing to retry now" },
  idempotency_in_progress: { status: 409, title: "The same Idempotency-Key is still being answered" },
  too_many_keys: { status: 409, title: "At most 25 live API keys" },
  too_many_wordlists: { status: 409, title: "At most 50 word lists" },
  learning_set_not_ready: { status: 409, title: "The learning set has not finished" },
  not_coverage: { status: 409, title: "Only a coverage run has alternatives and swaps" },
  not_an_alternative: { status: 409, title: "That sentence does not bring the same new words" },
  sheets_not_connected: { status: 409, title: "Google Sheets is not connected" },
  sheets_reconnect: { status: 409, title: "The Google grant was revoked: connect again" },
  sheets_header_mismatch: { status: 409, title: "The tab has another header" },
  reservation_expired: { status: 410, title: "The reservation lapsed" },
  upload_expired: { status: 410, title: "The parts were not all sent in time" },
  source_expired: { status: 410, title: "The book's stored file is no longer kept" },
  learning_set_gone: { status: 410, title: "The learning set's books were deleted" },
  // 413, 415, 422, 426, 429
  body_too_large: { status: 413, title: "The JSON body is too large" },
  too_large: { status: 413, title: "The PDF is over MAX_PART_BYTES: send it in parts" },
  file_too_large: { status: 413, title: "Over MAX_UPLOAD_BYTES" },
  image_too_large: { status: 413, title: "A page image is too large" },
  // 400 on a route that takes one file (a second was sent): kept as it always answered.
  too_many_files: { status: 413, title: "Too many files in one job", also: [400] },
  too_many_pages: { status: 413, title: "Too many page images in one job" },
  too_many_entries: { status: 413, title: "Too many entries in a word list" },
  storage_quota_exceeded: { status: 413, title: "Over the storage quota" },
  export_too_large: { status: 413, title: "Too many sentences for this format here" },
  unsupported_media_type: { status: 415, title: "Not a file of a type this route takes" },
  unsupported_file_type: { status: 415, title: "Not a text file" },
  idempotency_key_reused: { status: 422, title: "The Idempotency-Key was used with another body" },
  upgrade_required: { status: 426, title: "A WebSocket upgrade is expected" },
  rate_limited: { status: 429, title: "Too many requests: wait for Retry-After" },
  // 5xx
  http_error: { status: 400, title: "The request was refused before a route saw it (the status says how)" },
  internal_error: { status: 500, title: "Something went wrong on our side" },
  server_misconfigured: { status: 500, title: "A setting of the server is invalid" },
  sheets_error: { status: 502, title: "Google Sheets answered with an error" },
  intake_paused: { status: 503, title: "New jobs are paused by an operator" },
  signin_unavailable: { status: 503, title: "Sign-in is not configured" },
  sheets_unavailable: { status: 503, title: "Google Sheets export is not configured" },
} as const satisfies Record<string, { status: number; title: string; also?: readonly number[] }>;

export type ErrorCode = keyof typeof ERRORS;
/** The status a code is answered with (a code or two answer one more, listed as `also`). */
export type ErrorStatus<C extends ErrorCode> =
  | (typeof ERRORS)[C]["status"]
  | ((typeof ERRORS)[C] extends { also: readonly (infer A)[] } ? A : never);
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

/** The registry as a list for a reader: "`code` (status): title", one a line. */
export const errorCodesDescription = () =>
  Object.entries(ERRORS)
    .map(([code, e]) => `- \`${code}\` (${[e.status, ...("also" in e ? e.also : [])].join(", ")}): ${e.title}`)
    .join("\n");
