import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { checkOrigin, resolveCaller, setCaller } from "../auth/caller";
import { sha256Hex } from "../auth/tokens";
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
import { renderMetrics } from "../ops/metrics";
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
  SpendSchema,
  ThroughputSchema,
} from "../../schema/admin";
import { describe, json } from "./openapi";
import { queryParams } from "./validate";
import { adminActionRoutes, consoleOp, jobId } from "./admin-actions";

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
  // ---- actions: ./admin-actions.ts ----
  .route("/", adminActionRoutes);
