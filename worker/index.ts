import type { ChunkMessage, PlanMessage } from "../schema/api";
import { app } from "./api/app";
import { handleChunkBatch, handleDeadLetters, handlePlanBatch } from "./jobs/consumers";
import { handleWebhookBatch } from "./webhooks/service";
import { handleLearningBatch } from "./learning/service";
import { runCron } from "./cron";
import type { LearningMessage } from "../schema/learning";

export { JobTracker } from "./jobs/tracker";
export { RateLimiter } from "./jobs/rate-limiter";
export { CreditAccount } from "./credits/account";

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue.endsWith("-dlq")) return handleDeadLetters(batch, env);
    if (batch.queue.startsWith("fnt-webhooks")) return handleWebhookBatch(batch, env);
    if (batch.queue.startsWith("fnt-learning")) return handleLearningBatch(batch as MessageBatch<LearningMessage>, env);
    if (batch.queue.startsWith("fnt-plan")) return handlePlanBatch(batch as MessageBatch<PlanMessage>, env);
    return handleChunkBatch(batch as MessageBatch<ChunkMessage>, env);
  },
  async scheduled(_controller, env) {
    await runCron(env);
  },
} satisfies ExportedHandler<Env, PlanMessage | ChunkMessage | LearningMessage>;
