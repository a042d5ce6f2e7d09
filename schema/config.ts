/**
 * The Worker's numeric configuration (wrangler.toml `[vars]`), one zod schema parsed once per
 * environment (worker/core/config.ts): a bad value is one clear message naming the variable at
 * the first request (500 `server_misconfigured`), never a silent fallback found when first used.
 * Unset or empty takes the default. `RETENTION_DAYS` has its own parser (schema/retention.ts):
 * a bad one stops only the cron's deletions and is said by GET /api/v1/me.
 */
import { z } from "zod";

const count = (fallback: number, min: number, what: string) =>
  z.preprocess(
    (v) =>
      v === undefined || v === null || (typeof v === "string" && v.trim() === "") ? fallback : typeof v === "string" ? Number(v.trim()) : v,
    z
      .number({ error: `must be a number (${what})` })
      .int({ error: `must be a whole number (${what})` })
      .min(min, { error: `must be at least ${min} (${what})` }),
  );
const amount = (fallback: number, min: number, what: string) =>
  z.preprocess(
    (v) =>
      v === undefined || v === null || (typeof v === "string" && v.trim() === "") ? fallback : typeof v === "string" ? Number(v.trim()) : v,
    z.number({ error: `must be a number (${what})` }).min(min, { error: `must be at least ${min} (${what})` }),
  );

export const ConfigSchema = z.object({
  MAX_UPLOAD_BYTES: count(256 * 1024 * 1024, 1, "bytes one job may upload"),
  MAX_PART_BYTES: count(24 * 1024 * 1024, 1, "bytes of one PDF or part"),
  PARTS_TTL_SECONDS: count(3600, 5, "seconds a book in parts waits for its next part"),
  MAX_PAGE_IMAGES: count(1000, 1, "page images one job may send"),
  CHUNK_CHARS: count(12_000, 100, "characters of one chunk"),
  GEMINI_CHUNK_CHARS: count(8_000, 100, "characters of one chunk read by Gemini"),
  RETRY_BASE_SECONDS: amount(2, 0, "seconds of the first retry's backoff"),
  GEMINI_RPM: count(0, 0, "Gemini requests a minute, 0 = no limit"),
  GEMINI_TPM: count(0, 0, "Gemini tokens a minute, 0 = no limit"),
  MONTHLY_CREDITS: amount(2000, 0, "credits a month"),
  RESERVATION_TTL_SECONDS: count(1800, 60, "seconds a reservation is held"),
  MAX_JOBS_PER_HOUR: count(10, 1, "new jobs an hour"),
  STORAGE_QUOTA_BYTES: count(524_288_000, 0, "bytes a reader may keep"),
  MAX_ESTIMATES_PER_MINUTE: count(30, 1, "estimates a minute"),
  WEBHOOK_RETRY_BASE_SECONDS: amount(10, 0, "seconds of a webhook's first retry"),
  EVENT_LOG_SECONDS: count(600, 0, "seconds a finished job keeps its event log"),
  PLAN_TIME_MS: count(45_000, 1, "milliseconds the plan step may take to read a book"),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The configuration from the environment's strings; ConfigError naming the first bad variable. */
export function parseConfig(vars: Record<string, unknown>): Config {
  const r = ConfigSchema.safeParse(vars);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = String(issue.path[0] ?? "?");
  throw new ConfigError(name, `${name} ${issue.message}; it is ${JSON.stringify(vars[name])}.`);
}
