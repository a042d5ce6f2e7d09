import { ApiError } from "../core/errors";
import { checkWebhookUrl } from "./url";
import { getWebhookSettings, type JobHooks } from "./service";

/**
 * Takes the webhook fields out of an upload's form (`webhook_url`, `webhook_progress_every`),
 * leaving the job settings; without them the user's default URL applies, if set.
 */
export async function takeHookFields(
  env: Env,
  userId: string,
  fields: Record<string, string>,
): Promise<{ rest: Record<string, string>; hooks?: JobHooks }> {
  const { webhook_url, webhook_progress_every, ...rest } = fields;
  let every: number | null = null;
  if (webhook_progress_every !== undefined && webhook_progress_every !== "") {
    every = Number(webhook_progress_every);
    if (!Number.isInteger(every) || every < 1 || every > 99) {
      throw new ApiError(400, "invalid_field", "webhook_progress_every: must be a whole percent from 1 to 99.", "webhook_progress_every");
    }
  }
  const defaults = await getWebhookSettings(env, userId);
  const url = webhook_url ? checkWebhookUrl(env, webhook_url, "webhook_url") : defaults.default_url;
  if (!url) return { rest };
  return { rest, hooks: { user_id: userId, url, progress_every: every ?? (webhook_url ? null : defaults.progress_every) } };
}
