import { Hono } from "hono";
import { grantCredits } from "../credits/service";
import { toCredits } from "../credits/pricing";
import { db } from "../core/db";
import { anyJob, cancelJob, retryJob } from "../jobs/service";
import { jobPrefixes } from "../jobs/keys";
import { IMAGE_CONTENT_TYPES } from "../pipeline/images";
import { jobs, users } from "../../schema/db";
import { audit } from "../ops/audit";
import { replayDeadLetters } from "../ops/dead-letters";
import { INTAKE_KEY, setState } from "../ops/state";
import { eq } from "drizzle-orm";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";
import {
  GrantRequestSchema,
  GrantResultSchema,
  IntakeRequestSchema,
  IntakeStateSchema,
  ReplayRequestSchema,
  ReplayResultSchema,
} from "../../schema/admin";
import { JobRetrySchema, JobSchema } from "../../schema/api";
import { describe, header, json, pathParam, type Operation } from "./openapi";
import { jsonBody } from "./validate";

/**
 * The console's actions (mounted by ./admin.ts after its requireOperator): each goes through the
 * same services as users', and leaves an audit row. Also what both halves of the console share.
 */

/** A console route: operators only, tagged Console. */
export const consoleOp = (op: Omit<Operation, "tag" | "access">) => describe({ ...op, tag: "Console", access: "operator" });
export const jobId = pathParam("id", "The job's id (any user's).");

/** What a job's stored files are: the upload (PDF or page images), chunk inputs and results. */
const CONTENT_TYPES: Record<string, string> = { pdf: "application/pdf", json: "application/json", ...IMAGE_CONTENT_TYPES };
const contentTypeOf = (name: string) => CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream";

export const adminActionRoutes = new Hono<AppEnv>()
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
      const row = await anyJob(c.env, c.req.param("id"));
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
      const row = await anyJob(c.env, c.req.param("id"));
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
