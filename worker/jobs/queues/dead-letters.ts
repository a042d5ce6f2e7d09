/** The dead-letter queues' consumer (`fnt-plan-dlq`, `fnt-chunks-dlq`): the work is failed and the message kept for an operator. */
import { ChunkMessageSchema, PlanMessageSchema } from "../../../schema/api";
import { keepDeadLetter } from "../../ops/dead-letters";
import { heartbeat } from "../../ops/state";
import { tracker } from "../service";

/** Messages that ended in a dead-letter queue: the work is failed, never left hanging. */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await heartbeat(env, batch.queue);
  for (const msg of batch.messages) {
    const chunk = ChunkMessageSchema.safeParse(msg.body);
    const plan = PlanMessageSchema.safeParse(msg.body);
    try {
      const lastError = await keepDeadLetter(env, batch.queue, msg, chunk.success ? chunk.data : plan.success ? plan.data : null);
      if (chunk.success) await tracker(env, chunk.data.job_id).chunkFailed(chunk.data.chunk, lastError ?? "retries exhausted");
      else if (plan.success) await tracker(env, plan.data.job_id).fail("processing_error", "The PDF could not be read. Please try again.");
    } catch (err) {
      console.error("dead letter handling failed", err);
    }
    msg.ack();
  }
}
