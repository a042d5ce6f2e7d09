import { z } from "zod";
import { JobSchema, ProgressEventSchema } from "./api";

// The answers of the operators' console (/api/v1/admin/*), as its handlers build them
// (worker/ops/console.ts); the OpenAPI document shows them.

const timestamp = () => z.string().meta({ format: "date-time" });
const nullableTimestamp = () => z.string().nullable().meta({ format: "date-time" });
const probe = z.enum(["ok", "error"]);
const range = z.enum(["hour", "day", "week", "month"]);

export const AdminOverviewSchema = z
  .object({
    queues: z.array(
      z.object({
        name: z.string(),
        backlog: z.number().int().nullable().meta({ description: "null where the runtime does not report it (said, not zeroed)." }),
        oldest_age_seconds: z.number().int().nullable(),
        available: z.boolean(),
        last_consumed_at: nullableTimestamp(),
      }),
    ),
    dead_letters: z.object({ total: z.number().int(), unreplayed: z.number().int() }),
    jobs_running: z.number().int(),
    intake: z.enum(["open", "paused"]),
    d1: probe,
    r2: probe,
  })
  .meta({ id: "AdminOverview" });

/** A job as the console shows it: the public job and its owner. */
export const AdminJobSchema = JobSchema.extend({ owner: z.object({ id: z.string(), email: z.string() }) }).meta({ id: "AdminJob" });

export const AdminJobListSchema = z
  .object({ jobs: z.array(AdminJobSchema), next_cursor: z.string().nullable() })
  .meta({ id: "AdminJobList" });

export const AdminJobDetailSchema = z
  .object({
    job: AdminJobSchema,
    events: z.array(ProgressEventSchema),
    chunks: z.array(
      z.object({
        n: z.number().int(),
        state: z.enum(["pending", "done", "failed"]),
        first_page: z.number().int(),
        last_page: z.number().int(),
        sentences: z.number().int(),
        tokens: z.number().int(),
        error: z.string().nullable(),
        updated_at: timestamp(),
        attempts: z.number().int(),
        engine: z.string().nullable(),
        model: z.string().nullable(),
        latency_ms: z.number().int().nullable(),
        last_error: z.string().nullable(),
        last_error_class: z.string().nullable(),
      }),
    ),
    retries: z.number().int(),
    credits: z.object({
      estimated: z.number().nullable(),
      actual: z.number().nullable(),
      pricing_version: z.string().nullable(),
      pricing_rate: z.number().nullable(),
    }),
    files: z.array(z.object({ key: z.string(), size: z.number().int(), uploaded: timestamp() })),
  })
  .meta({ id: "AdminJobDetail" });

export const ThroughputSchema = z
  .object({
    range,
    bucket_seconds: z.number().int(),
    series: z.array(z.object({ t: timestamp(), chunks: z.number().int(), pages: z.number().int() })),
    latency: z.array(
      z.object({
        engine: z.string(),
        model: z.string().nullable(),
        count: z.number().int(),
        p50_ms: z.number().nullable(),
        p95_ms: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: "Throughput" });

export const FailuresSchema = z
  .object({
    range,
    chunk_failures: z.array(
      z.object({
        error_class: z.string(),
        attempts: z.number().int(),
        failed_for_good: z.number().int(),
        jobs_affected: z.number().int(),
        samples: z.array(z.object({ job_id: z.string(), chunk: z.number().int(), message: z.string().nullable(), at: timestamp() })),
        job_ids: z.array(z.string()),
      }),
    ),
    failed_jobs: z.array(z.object({ error_code: z.string(), jobs: z.number().int() })),
  })
  .meta({ id: "Failures" });

const spendFigures = { tokens: z.number().int(), credits: z.number(), jobs: z.number().int() };
export const SpendSchema = z
  .object({
    range,
    per_day: z.array(
      z.object({ day: z.string().meta({ format: "date" }), engine: z.string(), model: z.string().nullable(), ...spendFigures }),
    ),
    top_users: z.array(z.object({ user_id: z.string(), email: z.string(), ...spendFigures })),
  })
  .meta({ id: "Spend" });

export const DeadLetterListSchema = z
  .object({
    dead_letters: z.array(
      z.object({
        id: z.string(),
        queue: z.string(),
        body: z.unknown().meta({ description: "The dead-lettered message as it was sent." }),
        job_id: z.string().nullable(),
        chunk: z.number().int().nullable(),
        error_class: z.string(),
        received_at: timestamp(),
        replayed_at: nullableTimestamp(),
      }),
    ),
  })
  .meta({ id: "DeadLetterList" });

export const AuditPageSchema = z
  .object({
    entries: z.array(
      z.object({
        id: z.number().int(),
        at: timestamp(),
        actor_id: z.string(),
        actor_email: z.string(),
        action: z.string(),
        target_type: z.string(),
        target_id: z.string().nullable(),
        detail: z.unknown().meta({ description: "What the action was given and what it did; null when nothing." }),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: "AuditPage" });

export const AdminUserListSchema = z
  .object({ users: z.array(z.object({ id: z.string(), email: z.string(), name: z.string().nullable(), created_at: timestamp() })) })
  .meta({ id: "AdminUserList" });

export const ReplayResultSchema = z
  .object({
    replayed: z.number().int(),
    unchanged: z
      .number()
      .int()
      .meta({ description: "Messages that changed nothing (the chunk had already been redone, or is not a chunk)." }),
    ids: z.array(z.string()),
  })
  .meta({ id: "ReplayResult" });

export const IntakeStateSchema = z.object({ intake: z.enum(["open", "paused"]) }).meta({ id: "IntakeState" });

export const GrantResultSchema = z.object({ user_id: z.string(), balance: z.number(), available: z.number() }).meta({ id: "GrantResult" });

// Request bodies of the console's actions.
export const ReplayRequestSchema = z
  .object({ id: z.string().max(200).optional(), error_class: z.string().max(100).optional() })
  .strict()
  .refine((b) => Boolean(b.id) !== Boolean(b.error_class), { error: "send either id or error_class" })
  .meta({
    id: "DeadLetterReplayRequest",
    description: "Either `id` (one dead letter) or `error_class` (all not yet replayed of that class).",
  });
export const IntakeRequestSchema = z
  .object({ paused: z.boolean({ error: "must be true or false" }) })
  .strict()
  .meta({ id: "IntakeRequest" });
export const GrantRequestSchema = z
  .object({
    credits: z.number({ error: "must be a number of credits" }).positive({ error: "must be more than 0" }).max(1_000_000),
    note: z.string().trim().min(1, { error: "say why" }).max(500),
  })
  .strict()
  .meta({ id: "GrantRequest" });
