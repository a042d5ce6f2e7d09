import type { ChunkMessage } from "../../schema/api";

/** Sends one message per chunk number, ids only, in batches of the queue's limit (100). */
export async function enqueueChunks(env: Env, jobId: string, chunks: readonly number[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += 100) {
    await env.CHUNK_QUEUE.sendBatch(chunks.slice(i, i + 100).map((chunk) => ({ body: { job_id: jobId, chunk } satisfies ChunkMessage })));
  }
}
