import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ApiErrorBody } from "../../schema/api";
import { apiKeyRoutes, meRoutes, sessionRoutes } from "./account";
import { authRoutes } from "./auth";
import { ApiError, type ErrorCode } from "../core/errors";
import { RateLimited, rateLimitHeaders } from "../credits/service";
import { creditRoutes, legacyRoutes, limitRoutes } from "./credits";
import { IntakePaused } from "./intake";
import { adminRoutes } from "./admin";
import { webhookRoutes } from "./webhooks";
import { healthRoutes } from "./health";
import { jobRoutes } from "./jobs";
import { estimateRoutes } from "./estimate";
import { learningSetRoutes } from "./learning";
import { wordlistRoutes } from "./wordlists";
import { defaultsRoutes } from "./defaults";
import { exportRoutes, integrationRoutes } from "./sheets";
import { docsPage, openApiDocument } from "./docs";
import { describe } from "./openapi";
import { localCronRoutes } from "./local-cron";
import type { AppEnv } from "../core/types";
import { config, ConfigError } from "../core/config";

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  const id = c.req.header("cf-ray") ?? crypto.randomUUID();
  c.set("requestId", id);
  // The configuration is read once, here, before any route: a bad variable is named at the first request.
  config(c.env);
  await next();
  c.header("X-Request-Id", id);
  // Answers are per user: no shared cache (the web Worker's included) may keep them.
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
});

app.route("/api/health", healthRoutes);
app.route("/api/v1/health", healthRoutes);
app.route("/api/v1/auth", authRoutes);
app.route("/api/v1/me", meRoutes);
app.route("/api/v1/api-keys", apiKeyRoutes);
app.route("/api/v1/sessions", sessionRoutes);
app.route("/api/v1/credits", creditRoutes);
app.route("/api/v1/limits", limitRoutes);
app.route("/api/v1/webhooks", webhookRoutes);
app.route("/api/v1/settings", defaultsRoutes);
app.route("/api/v1/admin", adminRoutes);
app.route("/api/v1", legacyRoutes);
app.route("/api/v1/jobs", jobRoutes);
app.route("/api/v1/estimate", estimateRoutes);
app.route("/api/v1/wordlists", wordlistRoutes);
app.route("/api/v1/learning-sets", learningSetRoutes);
app.route("/api/v1/integrations", integrationRoutes);
app.route("/api/v1/exports", exportRoutes);
app.route("/api/__local", localCronRoutes);

app.get(
  "/api/v1/openapi.json",
  describe({
    operationId: "getOpenApiDocument",
    summary: "This OpenAPI 3.1 document",
    description:
      "Every /api/v1 route, generated from the routes themselves and their zod schemas. The interactive reference is at /api/docs.",
    tag: "Reference",
    access: "public",
    responses: { 200: { description: "The document.", content: { "application/json": { schema: { type: "object" } } } } },
  }),
  async (c) => c.json(await openApiDocument(app, c), 200),
);
app.get("/api/docs", (c) => docsPage(c));

function errorBody(code: ErrorCode, message: string, requestId: string, field?: string, extra?: ApiError["extra"]): ApiErrorBody {
  return { error: { code, message, request_id: requestId, ...(field ? { field } : {}), ...extra } };
}

app.notFound((c) => c.json(errorBody("not_found", "No such endpoint.", c.get("requestId") ?? ""), 404));

// One error shape everywhere; never a stack trace.
app.onError((err, c) => {
  const rid = c.get("requestId") ?? crypto.randomUUID();
  if (err instanceof IntakePaused) c.header("Retry-After", String(err.retryAfter));
  if (err instanceof RateLimited) {
    c.header("Retry-After", String(Math.max(1, err.admission.reset_seconds)));
    for (const [k, v] of Object.entries(rateLimitHeaders(err.admission))) c.header(k, v);
  }
  if (err instanceof ConfigError) {
    console.error(JSON.stringify({ msg: "bad configuration", variable: err.variable, error: err.message }));
    return c.json(errorBody("server_misconfigured", `The server is misconfigured: ${err.message}`, rid), 500);
  }
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, rid, err.field, err.extra), err.status);
  if (err instanceof HTTPException) {
    return c.json(errorBody("http_error", err.message || "Request refused.", rid), err.status);
  }
  console.error("unhandled error", rid, err);
  return c.json(errorBody("internal_error", "Something went wrong on our side. Please try again.", rid), 500);
});
