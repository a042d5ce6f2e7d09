import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { checkOrigin, resolveCaller, setCaller } from "../auth/caller";
import { sha256Hex } from "../auth/tokens";
import { grantCredits } from "../credits/service";
import { toCredits } from "../credits/pricing";
import { db } from "../core/db";
import { cancelJob, retryJob } from "../jobs/service";
import { jobPrefixes } from "../jobs/keys";
import { IMAGE_CONTENT_TYPES } from "../pipeline/images";
import { jobs, users } from "../../schema/db";
import { audit } from "../ops/audit";
import {
  failures,
  findUsers,
  jobDetail,
  listAudit,
  listDeadLetters,
  overview,
  RANGES,
  searchJobs,
  spend,
  throughput,
  type Range,
} from "../ops/console";
import { replayDeadLetters } from "../ops/dead-letters";
import { renderMetrics } from "../ops/metrics";
import { INTAKE_KEY, setState } from "../ops/state";
import { eq } from "drizzle-orm";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import {
  AdminJobDetailSchema,
  AdminJobListSchema,
  AdminOverviewSchema,
  AdminUserListSchema,
  AuditPageSchema,
  DeadLetterListSchema,
  FailuresSchema,
  GrantRequestSchema,
  GrantResultSchema,
  IntakeRequestSchema,
  IntakeStateSchema,
  ReplayRequestSchema,
  ReplayResultSchema,
  SpendSchema,
  ThroughputSchema,
} from "../../schema/admin";
import { JobRetrySchema, JobSchema } from "../../schema/api";
import { describe, header, json, pathParam, type Operation } from "./openapi";
import { jsonBody, queryParams } from "./validate";

/** What a job's stored files are: the upload (PDF or page images), chunk inputs and results. */
const CONTENT_TYPES: Record<string, string> = { pdf: "application/pdf", json: "application/json", ...IMAGE_CONTENT_TYPES };
const contentTypeOf = (name: string) => CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream";

/** Operators are the users whose (verified) email is in ADMIN_EMAILS. */
export function isOperator(env: Env, email: string): boolean {
  const list = (env.ADMIN_EMAILS ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  return list.includes(email.toLowerCase());
}

/** 401 without a credential, 403 for a signed-in user who is not an operator. */
const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await resolveCaller(c);
  if (!caller) throw new ApiError(401, "unauthorized", "Sign in first, or send Authorization: Bearer <API key>.");
  checkOrigin(c, caller);
  setCaller(c, caller);
  if (!isOperator(c.env, caller.user.email)) throw new ApiError(403, "forbidden", "This is for operators only.");
  await next();
});

/** Metrics may also be scraped with METRICS_TOKEN (compared by hash: no timing leak). */
const metricsAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = c.req.header("Authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (token && c.env.METRICS_TOKEN && (await sha256Hex(token)) === (await sha256Hex(c.env.METRICS_TOKEN))) return next();
  return requireOperator(c, next);
});

const RangeQuery = z.object({
  range: z
    .enum(Object.keys(RANGES) as [Range, ...Range[]])
    .default("hour")
    .meta({ description: "The window: the last hour, day, week or month." }),
});
const JobsQuery = z.object({
  status: z.string().max(20).optional(),
  engine: z.enum(["local", "gemini"]).optional(),
  error_code: z.string().max(60).optional(),
  user: z.string().max(200).optional(),
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(300).optional(),
});
/** A console route: operators only, tagged Console. */
const consoleOp = (op: Omit<Operation, "tag" | "access">) => describe({ ...op, tag: "Console", access: "operator" });
const jobId = pathParam("id", "The job's id (any user's).");

export const adminRoutes = new Hono<AppEnv>()
  .get(
    "/metrics",
    describe({
      operationId: "adminMetrics",
      summary: "Prometheus metrics",
      description: "The Prometheus text format, for operators or a scraper holding METRICS_TOKEN.",
      tag: "Console",
      access: "metrics",
      responses: { 200: { description: "The metrics.", content: { "text/plain": { schema: { type: "string" } } } } },
      errors: { 403: "`forbidden`: signed in, but not an operator (and not the metrics token)." },
    }),
    metricsAuth,
    async (c) => {
      c.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      return c.body(await renderMetrics(c.env), 200);
    },
  )
  .use(requireOperator)
  .get(
    "/overview",
    consoleOp({
      operationId: "adminOverview",
      summary: "Health strip",
      description: "Queues (backlog where the runtime reports it, last run), dead letters, running jobs, intake, D1 and R2.",
      responses: { 200: json(AdminOverviewSchema, "The overview.") },
    }),
    async (c) => c.json(await overview(c.env), 200),
  )
  .get(
    "/jobs",
    consoleOp({
      operationId: "adminSearchJobs",
      summary: "Search jobs of every user",
      description: "Newest first, filtered and searched (`q`: a job id, a file name or an email), keyset-paged.",
      responses: { 200: json(AdminJobListSchema, "A page of jobs with their owners.") },
      errors: { 400: "`invalid_field`: a parameter is invalid (`field` names it); `invalid_cursor`." },
    }),
    queryParams(JobsQuery),
    async (c) => c.json(await searchJobs(c.env, c.req.valid("query")), 200),
  )
  .get(
    "/jobs/:id",
    consoleOp({
      operationId: "adminGetJob",
      summary: "One job, everything about it",
      description: "Events, the chunk grid with attempts, latency and errors, credits, files.",
      parameters: [jobId],
      responses: { 200: json(AdminJobDetailSchema, "The job in detail.") },
      errors: { 404: "`not_found`: no such job." },
    }),
    async (c) => c.json(await jobDetail(c.env, c.req.param("id")), 200),
  )
  .get(
    "/throughput",
    consoleOp({
      operationId: "adminThroughput",
      summary: "Throughput and latency",
      description: "Pages and chunks done per bucket, latency percentiles per engine and model.",
      responses: { 200: json(ThroughputSchema, "The series.") },
    }),
    queryParams(RangeQuery),
    async (c) => c.json(await throughput(c.env, c.req.valid("query").range), 200),
  )
  .get(
    "/failures",
    consoleOp({
      operationId: "adminFailures",
      summary: "Failures",
      description: "Chunk failures by error class (with samples and the jobs hit), and failed jobs by code.",
      responses: { 200: json(FailuresSchema, "The failures.") },
    }),
    queryParams(RangeQuery),
    async (c) => c.json(await failures(c.env, c.req.valid("query").range), 200),
  )
  .get(
    "/spend",
    consoleOp({
      operationId: "adminSpend",
      summary: "Spend",
      description: "Tokens and credits per day and engine/model, and the users who spent most.",
      responses: { 200: json(SpendSchema, "The spend.") },
    }),
    queryParams(RangeQuery),
    async (c) => c.json(await spend(c.env, c.req.valid("query").range), 200),
  )
  .get(
    "/dead-letters",
    consoleOp({
      operationId: "adminListDeadLetters",
      summary: "Dead letters",
      description: "Messages the queues gave up on, newest first (at most 200).",
      responses: { 200: json(DeadLetterListSchema, "The dead letters.") },
    }),
    async (c) => {
      const rows = await listDeadLetters(c.env, 200);
      return c.json({ dead_letters: rows.map((r) => ({ ...r, body: JSON.parse(r.body) })) }, 200);
    },
  )
  .get(
    "/audit",
    consoleOp({
      operationId: "adminAudit",
      summary: "Audit log",
      description: "Every operator action, newest first, 50 a page.",
      parameters: [
        {
          name: "cursor",
          in: "query",
          required: false,
          description: "The previous page's `next_cursor`.",
          schema: { type: "string", pattern: "^\\d{1,15}$" },
        },
      ],
      responses: { 200: json(AuditPageSchema, "A page of the audit log.") },
      errors: { 400: "`invalid_cursor`: the cursor is not valid." },
    }),
    async (c) => {
      const cursor = c.req.query("cursor");
      if (cursor !== undefined && !/^\d{1,15}$/.test(cursor))
        throw new ApiError(400, "invalid_cursor", "The cursor is not valid.", "cursor");
      return c.json(await listAudit(c.env, 50, cursor ? Number(cursor) : undefined), 200);
    },
  )
  .get(
    "/users",
    consoleOp({
      operationId: "adminFindUsers",
      summary: "Find users",
      description: "By id, or by a part of their email (at most 20).",
      parameters: [
        { name: "q", in: "query", required: false, description: "A user id or a part of an email.", schema: { type: "string" } },
      ],
      responses: { 200: json(AdminUserListSchema, "The users found.") },
    }),
    async (c) => c.json({ users: await findUsers(c.env, c.req.query("q") ?? "") }, 200),
  )
  // ---- actions: each goes through the same services as users', and leaves an audit row ----
  .post(
    "/jobs/:id/retry",
    consoleOp({
      operationId: "adminRetryJob",
      summary: "Retry a job's failed chunks",
      description: "As its owner's retry would; audited.",
      parameters: [jobId],
      responses: { 200: json(JobRetrySchema, "The job now and the chunks tried again.") },
      errors: {
        402: "`insufficient_credits`: the owner has not enough credits for the retry.",
        404: "`not_found`: no such job.",
        409: "`job_has_edits`: the job has corrected sentences; `not_retryable` (or another code): nothing to retry now.",
      },
    }),
    async (c) => {
      const row = await db(c.env.DB)
        .select()
        .from(jobs)
        .where(eq(jobs.id, c.req.param("id")))
        .get();
      if (!row) throw new ApiError(404, "not_found", "No such job.");
      const out = await retryJob(c.env, row);
      await audit(c.env, c.get("caller"), "job.retry", { type: "job", id: row.id }, { chunks: out.retried_chunks });
      return c.json(out, 200);
    },
  )
  .post(
    "/jobs/:id/cancel",
    consoleOp({
      operationId: "adminCancelJob",
      summary: "Cancel any job",
      description: "Audited.",
      parameters: [jobId],
      responses: { 200: json(JobSchema, "The job now.") },
      errors: { 404: "`not_found`: no such job." },
    }),
    async (c) => {
      const row = await db(c.env.DB)
        .select()
        .from(jobs)
        .where(eq(jobs.id, c.req.param("id")))
        .get();
      if (!row) throw new ApiError(404, "not_found", "No such job.");
      const job = await cancelJob(c.env, row);
      await audit(
        c.env,
        c.get("caller"),
        "job.cancel",
        { type: "job", id: row.id },
        { status_before: row.status, status_after: job.status },
      );
      return c.json(job, 200);
    },
  )
  .get(
    "/jobs/:id/files/:key{.+}",
    consoleOp({
      operationId: "adminDownloadJobFile",
      summary: "Download one of a job's stored files",
      description:
        "The upload (PDF or page images), chunk inputs and results, by their key (GET /api/v1/admin/jobs/{id} lists them). Audited.",
      parameters: [jobId, pathParam("key", "The file's key, under one of the job's prefixes (slashes included).")],
      responses: {
        200: {
          description: "The file, as an attachment.",
          headers: { "Content-Disposition": header("attachment; filename=…") },
          content: {
            "application/pdf": { schema: { type: "string", format: "binary" } },
            "application/json": { schema: {} },
            "image/png": { schema: { type: "string", format: "binary" } },
            "image/jpeg": { schema: { type: "string", format: "binary" } },
            "application/octet-stream": { schema: { type: "string", format: "binary" } },
          },
        },
      },
      errors: { 404: "`not_found`: no such job, no such file of this job, or the file expired." },
    }),
    async (c) => {
      const id = c.req.param("id");
      const key = c.req.param("key");
      // Only a file of this job: its key sits under one of the job's prefixes (no "..": R2 keys
      // are flat strings, but a key naming another job must not be reachable through this one).
      const row = await db(c.env.DB).select({ id: jobs.id, source_job_id: jobs.source_job_id }).from(jobs).where(eq(jobs.id, id)).get();
      if (!row) throw new ApiError(404, "not_found", "No such job.");
      if (!jobPrefixes(id, row.source_job_id).some((p) => key.startsWith(p)) || key.split("/").includes("..")) {
        throw new ApiError(404, "not_found", "No such file for this job.");
      }
      const obj = await c.env.FILES.get(key);
      if (!obj) throw new ApiError(404, "not_found", "No such file (expired or deleted).");
      // Reading a user's file is an operator action like any other: it is audited.
      await audit(c.env, c.get("caller"), "job.file_download", { type: "job", id }, { key, size: obj.size });
      const name = key.slice(key.lastIndexOf("/") + 1);
      c.header("Content-Type", contentTypeOf(name));
      c.header("Content-Length", String(obj.size));
      c.header("Content-Disposition", `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`);
      c.header("X-Content-Type-Options", "nosniff");
      return c.body(obj.body, 200);
    },
  )
  .post(
    "/dead-letters/replay",
    consoleOp({
      operationId: "adminReplayDeadLetters",
      summary: "Replay dead letters",
      description: "One by `id`, or every one not yet replayed of an `error_class`; replaying twice changes nothing. Audited.",
      responses: { 200: json(ReplayResultSchema, "What was replayed.") },
    }),
    jsonBody(ReplayRequestSchema),
    async (c) => {
      const body = c.req.valid("json");
      const out = await replayDeadLetters(c.env, body);
      await audit(
        c.env,
        c.get("caller"),
        "dead_letters.replay",
        { type: body.id ? "dead_letter" : "error_class", id: body.id ?? body.error_class },
        out,
      );
      return c.json(out, 200);
    },
  )
  .post(
    "/intake",
    consoleOp({
      operationId: "adminSetIntake",
      summary: "Pause or resume intake",
      description: "While paused, uploads and reservations answer 503 with Retry-After; running jobs go on. Audited.",
      responses: { 200: json(IntakeStateSchema, "Intake now.") },
    }),
    jsonBody(IntakeRequestSchema),
    async (c) => {
      const { paused } = c.req.valid("json");
      await setState(c.env, INTAKE_KEY, paused ? "1" : "0");
      await audit(c.env, c.get("caller"), paused ? "intake.pause" : "intake.resume", { type: "service" });
      return c.json({ intake: paused ? "paused" : "open" }, 200);
    },
  )
  .post(
    "/users/:id/grant",
    consoleOp({
      operationId: "adminGrantCredits",
      summary: "Grant credits to a user",
      description: "Credits that do not expire; audited.",
      parameters: [pathParam("id", "The user's id.")],
      responses: { 200: json(GrantResultSchema, "The user's balance now.") },
      errors: { 404: "`not_found`: no such user." },
    }),
    jsonBody(GrantRequestSchema),
    async (c) => {
      const { credits, note } = c.req.valid("json");
      const user = await db(c.env.DB)
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(eq(users.id, c.req.param("id")))
        .get();
      if (!user) throw new ApiError(404, "not_found", "No such user.");
      const summary = await grantCredits(c.env, user.id, credits, note);
      await audit(c.env, c.get("caller"), "credits.grant", { type: "user", id: user.id }, { credits, note, email: user.email });
      return c.json({ user_id: user.id, balance: toCredits(summary.balance), available: toCredits(summary.available) }, 200);
    },
  );
