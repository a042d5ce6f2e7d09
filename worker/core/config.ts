import { parseConfig, type Config } from "../../schema/config";

export { ConfigError, type Config } from "../../schema/config";

// Parsed once per environment object: a Worker isolate keeps one for its life.
const parsed = new WeakMap<object, Config>();

/** The Worker's numeric configuration (schema/config.ts); throws ConfigError naming a bad variable. */
export function config(env: Env): Config {
  let c = parsed.get(env);
  if (!c) {
    c = parseConfig(env as unknown as Record<string, unknown>);
    parsed.set(env, c);
  }
  return c;
}

/** Characters of one chunk: GEMINI_CHUNK_CHARS when the Gemini engine is on, else CHUNK_CHARS. */
export const chunkChars = (env: Env): number => (env.GEMINI_API_KEY ? config(env).GEMINI_CHUNK_CHARS : config(env).CHUNK_CHARS);
