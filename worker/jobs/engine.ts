import { parseModelList } from "../../schema/settings";

/** Which engine this deployment runs, and the Gemini models a job may ask for. */
export interface EngineInfo {
  engine: "local" | "gemini";
  /** The allow-list (`GEMINI_MODELS`), first is the default; empty with the local engine. */
  models: string[];
}

/** Gemini whenever a key is configured; the same choice as the chunk consumer's normalizerFor. */
export const geminiOn = (env: Env) => Boolean(env.GEMINI_API_KEY);

/** The configured allow-list, whatever the engine: uploads are checked against it either way. */
export const allowedModels = (env: Env) => parseModelList(env.GEMINI_MODELS);

export function engineInfo(env: Env): EngineInfo {
  return geminiOn(env) ? { engine: "gemini", models: allowedModels(env) } : { engine: "local", models: [] };
}
