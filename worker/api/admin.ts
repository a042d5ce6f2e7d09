import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { checkOrigin, resolveCaller, setCaller } from "../auth/caller";
import { sha256Hex } from "../auth/tokens";
import { grantCredits } from "../credits/service";
import { toCredits } from "../credits/pricing";
import { db } from "../jobs/db";
import { cancelJob, retryJob } from "../jobs/service";
import { jobPrefixes } from "../jobs/keys";
import { IMAGE_CONTENT_TYPES } from "../pipeline/images";
import { jobs, users } from "../../schema/db";
import { audit } from "../ops/audit";
import { failures, findUsers, jobDetail, listAudit, listDeadLetters, overview, RANGES, searchJobs, spend, throughput, type Range } from "../ops/console";
import { replayDeadLetters } from "../ops/dead-letters";
import { renderMetrics } from "../ops/metrics";
import { INTAKE_KEY, setState } from "../ops/state";
import { eq } from "drizzle-orm";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";
import { readJson, validate } from "./validate";

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

const RangeQuery = z.object({ range: z.enum(Object.keys(RANGES) as [Range, ...Range[]]).default("hour") });
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
const ReplayBody = z
  .object({ id: z.string().max(200).optional(), error_class: z.string().max(100).optional() })
  .strict()
  .refine((b) => Boolean(b.id) !== Boolean(b.error_class), { error: "send either id or error_class" });
const IntakeBody = z.object({ paused: z.boolean({ error: "must be true or false" }) }).strict();
const GrantBody = z
  .object({
    credits: z.number({ error: "must be a number of credits" }).positive({ error: "must be more than 0" }).max(1_000_000),
    note: z.string().trim().min(1, { error: "say why" }).max(500),
  })
  .strict();

export const adminRoutes = new Hono<AppEnv>()
  .get("/metrics", metricsAuth, async (c) => {
    c.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return c.body(await renderMetrics(c.env), 200);
  })
  .use(requireOperator)
  .get("/overview", async (c) => c.json(await overview(c.env), 200))
  .get("/jobs", async (c) => c.json(await searchJobs(c.env, validate(JobsQuery, c.req.query())), 200))
  .get("/jobs/:id", async (c) => c.json(await jobDetail(c.env, c.req.param("id")), 200))
  .get("/throughput", async (c) => c.json(await throughput(c.env, validate(RangeQuery, c.req.query()).range), 200))
  .get("/failures", async (c) => c.json(await failures(c.env, validate(RangeQuery, c.req.query()).range), 200))
  .get("/spend", async (c) => c.json(await spend(c.env, validate(RangeQuery, c.req.query()).range), 200))
  .get("/dead-letters", async (c) => {
    const rows = await listDeadLetters(c.env, 200);
    return c.json({ dead_letters: rows.map((r) => ({ ...r, body: JSON.parse(r.body) })) }, 200);
  })
  .get("/audit", async (c) => {
    const cursor = c.req.query("cursor");
    if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw new ApiError(400, "invalid_cursor", "The cursor is not valid.", "cursor");
    return c.json(await listAudit(c.env, 50, cursor ? Number(cursor) : undefined), 200);
  })
  .get("/users", async (c) => c.json({ users: await findUsers(c.env, c.req.query("q") ?? "") }, 200))
  // ---- actions: each goes through the same services as users', and leaves an audit row ----
  .post("/jobs/:id/retry", async (c) => {
    const row = await db(c.env.DB).select().from(jobs).where(eq(jobs.id, c.req.param("id"))).get();
    if (!row) throw new ApiError(404, "not_found", "No such job.");
    const out = await retryJob(c.env, row);
    await audit(c.env, c.get("caller"), "job.retry", { type: "job", id: row.id }, { chunks: out.retried_chunks });
    return c.json(out, 200);
  })
  .post("/jobs/:id/cancel", async (c) => {
    const row = await db(c.env.DB).select().from(jobs).where(eq(jobs.id, c.req.param("id"))).get();
    if (!row) throw new ApiError(404, "not_found", "No such job.");
    const job = await cancelJob(c.env, row);
    await audit(c.env, c.get("caller"), "job.cancel", { type: "job", id: row.id }, { status_before: row.status, status_after: job.status });
    return c.json(job, 200);
  })
  .get("/jobs/:id/files/:key{.+}", async (c) => {
    const id = c.req.param("id");
    const key = c.req.param("key");
    // Only a file of this job: its key sits under one of the job's prefixes (no "..": R2 keys
    // are flat strings, but a key naming another job must not be reachable through this one).
    if (!jobPrefixes(id).some((p) => key.startsWith(p)) || key.split("/").includes("..")) {
      throw new ApiError(404, "not_found", "No such file for this job.");
    }
    const row = await db(c.env.DB).select({ id: jobs.id }).from(jobs).where(eq(jobs.id, id)).get();
    if (!row) throw new ApiError(404, "not_found", "No such job.");
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
  })
  .post("/dead-letters/replay", async (c) => {
    const body = validate(ReplayBody, await readJson(c, ""));
    const out = await replayDeadLetters(c.env, body);
    await audit(c.env, c.get("caller"), "dead_letters.replay", { type: body.id ? "dead_letter" : "error_class", id: body.id ?? body.error_class }, out);
    return c.json(out, 200);
  })
  .post("/intake", async (c) => {
    const { paused } = validate(IntakeBody, await readJson(c, ""));
    await setState(c.env, INTAKE_KEY, paused ? "1" : "0");
    await audit(c.env, c.get("caller"), paused ? "intake.pause" : "intake.resume", { type: "service" });
    return c.json({ intake: paused ? "paused" : "open" }, 200);
  })
  .post("/users/:id/grant", async (c) => {
    const { credits, note } = validate(GrantBody, await readJson(c, ""));
    const user = await db(c.env.DB).select({ id: users.id, email: users.email }).from(users).where(eq(users.id, c.req.param("id"))).get();
    if (!user) throw new ApiError(404, "not_found", "No such user.");
    const summary = await grantCredits(c.env, user.id, credits, note);
    await audit(c.env, c.get("caller"), "credits.grant", { type: "user", id: user.id }, { credits, note, email: user.email });
    return c.json({ user_id: user.id, balance: toCredits(summary.balance), available: toCredits(summary.available) }, 200);
  });
