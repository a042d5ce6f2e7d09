import { ApiError } from "../api";
import { session } from "../session.svelte";

/**
 * Whether the API refused the console to the signed-in user (403: not an operator, e.g. after
 * ADMIN_EMAILS changed). The console's layout then shows "Operators only" instead of any page.
 */
class Access {
  #deniedFor = $state<string | null>(null);

  get denied() {
    return this.#deniedFor !== null && this.#deniedFor === session.user?.id;
  }

  deny() {
    this.#deniedFor = session.user?.id ?? null;
  }
}

export const access = new Access();

/** Passes every error on, noting a 403 "forbidden" first (not a refused origin). */
export function noteDenied(err: unknown): never {
  if (err instanceof ApiError && err.status === 403 && err.code === "forbidden") access.deny();
  throw err;
}

/** The text of an error, for an alert. */
export const errorText = (err: unknown) => (err instanceof ApiError ? err.plain : String(err));
