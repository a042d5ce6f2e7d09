import { api, ok } from "./api";
import type { ServerInfo } from "./types";

/**
 * The server's engine, the Gemini models a job may ask for, and how many days finished jobs are
 * kept (GET /api/v1/me carries them beside the user).
 */
export async function getEngine(): Promise<ServerInfo> {
  const me = await ok(api.GET("/api/v1/me"));
  return { engine: me.engine, models: me.models ?? [], retention_days: me.retention_days };
}

/** The reader's words for how long their books stay (RETENTION_DAYS). */
export const retentionText = (days: number) =>
  `Your books and their results are kept ${days} ${days === 1 ? "day" : "days"} after they finish, then deleted; you can delete them sooner in History.`;
