/**
 * The cron (wrangler.toml [triggers]): what runs on schedule. Cloudflare calls it through the
 * Worker's `scheduled` handler; under `npm start`, where wrangler never fires cron triggers,
 * scripts/start.mjs calls it on the same schedule through the local-only route in
 * worker/api/local-cron.ts.
 */
import { sweep } from "./jobs/sweep";
import { sweepLearningSets } from "./learning/service";
import { resumeAccountDeletions } from "./account/delete";

export async function runCron(env: Env): Promise<void> {
  await sweep(env);
  await sweepLearningSets(env);
  await resumeAccountDeletions(env);
}
