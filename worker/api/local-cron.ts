/**
 * POST /api/__local/scheduled: runs the cron now, for `npm start` only. wrangler dev never fires
 * cron triggers and its own trigger URL (/cdn-cgi/handler/scheduled) reaches the primary Worker
 * (the web app), not this one; so scripts/start.mjs calls this route on the cron's schedule with
 * the random LOCAL_CRON_TOKEN it gave this Worker. Without that token, or in production, the
 * route does not exist (404 like any unknown path); it is not part of /api/v1 nor its document.
 */
import { Hono } from "hono";
import { sha256Hex } from "../auth/tokens";
import { runCron } from "../cron";
import { ApiError } from "../core/errors";
import type { AppEnv } from "../core/types";

export const localCronRoutes = new Hono<AppEnv>();

localCronRoutes.post("/scheduled", async (c) => {
  const token = c.env.LOCAL_CRON_TOKEN ?? "";
  const given = (c.req.header("authorization") ?? "").replace(/^Bearer\s+/i, "");
  // Compared by hash, as METRICS_TOKEN is: no timing leak.
  if (c.env.ENVIRONMENT === "production" || token === "" || (await sha256Hex(given)) !== (await sha256Hex(token))) {
    throw new ApiError(404, "not_found", "No such endpoint.");
  }
  const started = Date.now();
  await runCron(c.env);
  return c.json({ ran: true, ms: Date.now() - started }, 200);
});
