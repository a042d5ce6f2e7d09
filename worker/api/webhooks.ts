import { Hono } from "hono";
import { WebhookSecretSchema, WebhookSettingsSchema, WebhookSettingsUpdateSchema } from "../../schema/api";
import { requireAuth, requireSession } from "../auth/caller";
import { checkWebhookUrl } from "../webhooks/url";
import { getWebhookSettings, putWebhookSettings, rotateSecret, signingSecret } from "../webhooks/service";
import { describe, json } from "./openapi";
import type { AppEnv } from "../core/types";
import { jsonBody } from "./validate";

/** /api/v1/webhooks: the signing secret (shown, rotatable) and the default URL for new jobs. */
export const webhookRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get(
    "/secret",
    describe({
      operationId: "getWebhookSecret",
      summary: "My webhook signing secret",
      description: "Verify deliveries with any Standard Webhooks library (`webhook-id`, `webhook-timestamp`, `webhook-signature`).",
      tag: "Webhooks",
      access: "user",
      responses: { 200: json(WebhookSecretSchema, "The secret.") },
    }),
    async (c) => c.json({ secret: await signingSecret(c.env, c.get("userId")) }, 200),
  )
  .post(
    "/secret/rotate",
    describe({
      operationId: "rotateWebhookSecret",
      summary: "Rotate my webhook signing secret",
      description: "Deliveries are signed with the new secret from now on.",
      tag: "Webhooks",
      access: "user",
      responses: { 200: json(WebhookSecretSchema, "The new secret.") },
      errors: { 403: "`session_required`: an API key cannot rotate the secret; use a browser session." },
    }),
    requireSession,
    async (c) => c.json({ secret: await rotateSecret(c.env, c.get("userId")) }, 200),
  )
  .get(
    "/settings",
    describe({
      operationId: "getWebhookSettings",
      summary: "My default webhook",
      tag: "Webhooks",
      access: "user",
      responses: { 200: json(WebhookSettingsSchema, "The default URL for new jobs and its progress step.") },
    }),
    async (c) => c.json(await getWebhookSettings(c.env, c.get("userId")), 200),
  )
  .put(
    "/settings",
    describe({
      operationId: "putWebhookSettings",
      summary: "Set my default webhook",
      description: "URLs must be https and public in production (private, loopback, link-local addresses and internal names are refused).",
      tag: "Webhooks",
      access: "user",
      responses: { 200: json(WebhookSettingsSchema, "The settings now.") },
      errors: {
        400: "`invalid_field`: a field is invalid or the URL is refused (`field` names it); `invalid_json`: the body is not JSON.",
      },
    }),
    jsonBody(WebhookSettingsUpdateSchema, '{"default_url": "https://example.com/hook"}'),
    async (c) => {
      const s = c.req.valid("json");
      const url = s.default_url ? checkWebhookUrl(c.env, s.default_url, "default_url") : null;
      return c.json(await putWebhookSettings(c.env, c.get("userId"), { default_url: url, progress_every: s.progress_every ?? null }), 200);
    },
  );
