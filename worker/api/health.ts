import { Hono } from "hono";
import { HealthSchema } from "../../schema/api";
import { engineInfo } from "../jobs/engine";
import { describe, json } from "./openapi";
import { probe } from "../core/health";
import type { AppEnv } from "../core/types";

export const healthRoutes = new Hono<AppEnv>().get(
  "/",
  describe({
    operationId: "getHealth",
    summary: "Health, version and engine",
    description: "Also at /api/health. `engine` and `models` say what a job made now would use.",
    tag: "Health",
    access: "public",
    responses: {
      200: json(HealthSchema, "D1 and R2 answer."),
      503: json(HealthSchema, "Degraded: D1 or R2 does not answer (`status: degraded`)."),
    },
  }),
  async (c) => {
    const [d1, r2] = await Promise.all([probe(() => c.env.DB.prepare("SELECT 1").first()), probe(() => c.env.FILES.head("health-probe"))]);
    const ok = d1 === "ok" && r2 === "ok";
    // engine and models: what a job made now would use (the app shows them before an upload).
    return c.json({ status: ok ? "ok" : "degraded", version: c.env.APP_VERSION, d1, r2, ...engineInfo(c.env) }, ok ? 200 : 503);
  },
);
