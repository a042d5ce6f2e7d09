import { api, ok } from "./api";
import type { EngineInfo } from "./types";

/** The server's engine and the Gemini models a job may ask for (GET /api/v1/me carries them beside the user). */
export async function getEngine(): Promise<EngineInfo> {
  const me = await ok(api.GET("/api/v1/me"));
  return { engine: me.engine, models: me.models ?? [] };
}
