import { eq, inArray } from "drizzle-orm";
import { liveSockets } from "../../schema/db";
import { db, nowIso } from "../core/db";

/** How a socket names the credential that opened it. */
export const credentialTag = (auth: "session" | "api_key", id: string) => `${auth}:${id}`;

/** Remembers an open job WebSocket, so that ending its credential can close it. */
export async function recordSocket(env: Env, socketId: string, jobId: string, credential: string): Promise<void> {
  await db(env.DB).insert(liveSockets).values({ id: socketId, job_id: jobId, credential, opened_at: nowIso() });
}

/** The tracker forgets a socket that closed. */
export async function forgetSocket(env: Env, socketId: string): Promise<void> {
  await db(env.DB).delete(liveSockets).where(eq(liveSockets.id, socketId));
}

// D1 binds at most 100 parameters per statement.
const BATCH = 90;

/** Closes every open job WebSocket of these credentials, in whichever tracker it lives. */
export async function closeSocketsOf(env: Env, credentials: string[]): Promise<void> {
  for (let i = 0; i < credentials.length; i += BATCH) {
    const rows = await db(env.DB)
      .delete(liveSockets)
      .where(inArray(liveSockets.credential, credentials.slice(i, i + BATCH)))
      .returning()
      .all();
    const byJob = new Map<string, string[]>();
    for (const r of rows) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r.id]);
    await Promise.all(
      [...byJob].map(([jobId, ids]) =>
        env.JOB_TRACKER.get(env.JOB_TRACKER.idFromName(jobId))
          .closeSockets(ids)
          .catch((err: unknown) => console.warn(JSON.stringify({ msg: "closing sockets failed", job_id: jobId, err: String(err) }))),
      ),
    );
  }
}
