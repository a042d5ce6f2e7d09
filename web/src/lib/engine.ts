import { apiJson } from "./api";
import type { EngineInfo, Me } from "./types";

/** The server's engine and the Gemini models a job may ask for (GET /api/v1/me carries them beside the user). */
export async function getEngine(): Promise<EngineInfo> {
  const me = await apiJson<Me>("/api/v1/me");
  return { engine: me.engine, models: me.models ?? [] };
}
