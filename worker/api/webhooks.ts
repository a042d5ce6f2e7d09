import { Hono } from "hono";
import { z } from "zod";
import { requireAuth } from "../auth/caller";
import { checkWebhookUrl } from "../webhooks/url";
import { getWebhookSettings, putWebhookSettings, rotateSecret, signingSecret } from "../webhooks/service";
import type { AppEnv } from "./types";
import { readJson, validate } from "./validate";

const SettingsBody = z
  .object({
    default_url: z.string().max(2000).nullable(),
    progress_every: z.number().int().min(1).max(99).nullable().optional(),
  })
  .strict();

/** /api/v1/webhooks: the signing secret (shown, rotatable) and the default URL for new jobs. */
export const webhookRoutes = new Hono<AppEnv>()
  .use(requireAuth)
  .get("/secret", async (c) => c.json({ secret: await signingSecret(c.env, c.get("userId")) }, 200))
  .post("/secret/rotate", async (c) => c.json({ secret: await rotateSecret(c.env, c.get("userId")) }, 200))
  .get("/settings", async (c) => c.json(await getWebhookSettings(c.env, c.get("userId")), 200))
  .put("/settings", async (c) => {
    const body = await readJson(c, '{"default_url": "https://example.com/hook"}');
    const s = validate(SettingsBody, body);
    const url = s.default_url ? checkWebhookUrl(c.env, s.default_url, "default_url") : null;
    return c.json(await putWebhookSettings(c.env, c.get("userId"), { default_url: url, progress_every: s.progress_every ?? null }), 200);
  });
