import type { ChunkMessage, PlanMessage } from "../schema/api";
import { app } from "./api/app";
import { handleChunkBatch } from "./jobs/queues/chunk";
import { handleDeadLetters } from "./jobs/queues/dead-letters";
import { handlePlanBatch } from "./jobs/queues/plan";
import { handleWebhookBatch } from "./webhooks/service";
import { handleLearningBatch } from "./learning/service";
import { runCron } from "./cron";
import type { LearningMessage } from "../schema/learning";

export { JobTracker } from "./jobs/tracker";
export { RateLimiter } from "./jobs/rate-limiter";
export { CreditAccount } from "./credits/account";

export default {
  fetch: app.fetch,
  // One consumer per queue of wrangler.toml (the same names in every environment); a batch from
  // a queue this Worker does not know is an error, never some other queue's handler.
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case "fnt-plan":
        return handlePlanBatch(batch as MessageBatch<PlanMessage>, env);
      case "fnt-chunks":
        return handleChunkBatch(batch as MessageBatch<ChunkMessage>, env);
      case "fnt-webhooks":
        return handleWebhookBatch(batch, env);
      case "fnt-learning":
        return handleLearningBatch(batch as MessageBatch<LearningMessage>, env);
      case "fnt-plan-dlq":
      case "fnt-chunks-dlq":
        return handleDeadLetters(batch, env);
      default:
        throw new Error(`No consumer for queue "${batch.queue}" (wrangler.toml's [[queues.consumers]]).`);
    }
  },
  async scheduled(_controller, env) {
    await runCron(env);
  },
} satisfies ExportedHandler<Env, PlanMessage | ChunkMessage | LearningMessage>;
