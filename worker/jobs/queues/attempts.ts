/**
 * Attempts a message gets on each queue: wrangler.toml's `max_retries` of its consumer + 1 (the
 * first delivery). Copied by hand, since a consumer cannot read its own settings; the unit test
 * test/unit/queue-attempts.test.ts fails when they disagree with wrangler.toml's consumers, at
 * the top level and in [env.production].
 */

/** The plan step (`fnt-plan`): `max_retries` (3) + 1. */
export const PLAN_MAX_ATTEMPTS = 4;

/** A chunk (`fnt-chunks`) before it is declared failed: `max_retries` (4) + 1. */
export const CHUNK_MAX_ATTEMPTS = 5;
