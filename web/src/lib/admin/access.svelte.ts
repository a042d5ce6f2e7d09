import { ApiError } from "../api";

/**
 * Whether the API refused the console (403: not an operator, e.g. after ADMIN_EMAILS
 * changed). The console's layout then shows "Operators only" instead of any page.
 */
class Access {
  denied = $state(false);
}

export const access = new Access();

/** Passes every error on, noting a 403 first. */
export function noteDenied(err: unknown): never {
  if (err instanceof ApiError && err.status === 403 && err.code === "forbidden") access.denied = true;
  throw err;
}

/** The text of an error, for an alert. */
export const errorText = (err: unknown) => (err instanceof ApiError ? err.plain : String(err));
